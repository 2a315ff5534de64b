/**
 * What every store module needs from a database, whichever backend it is. Statements use `?`
 * placeholders and SQL that SQLite and PostgreSQL both accept (`INSERT … ON CONFLICT … DO
 * UPDATE SET x = excluded.x`, `RETURNING`, aliased sub-queries, `IN (?, ?, …)` lists); each
 * backend's adapter turns them into its own (PostgreSQL: `$1, $2, …`). Column types are chosen so
 * both return the same JavaScript values: text, integers as numbers, blobs as Buffers.
 */
export type Param = string | number | bigint | Buffer | null;

/** The statements every store module needs; both a database and an open transaction provide them. */
export interface Queryable {
  run(sql: string, params?: Param[]): Promise<{ changes: number }>;
  get<T>(sql: string, params?: Param[]): Promise<T | undefined>;
  all<T>(sql: string, params?: Param[]): Promise<T[]>;
  /** Several statements without parameters (DDL, pragmas). */
  exec(sql: string): Promise<void>;
  /**
   * `INSERT INTO table (columns) … <suffix>` for many rows, when the backend has a faster way than
   * multi-row VALUES (PostgreSQL: one array per column through unnest). bulk.ts uses it when present.
   */
  insertRows?(table: string, columns: readonly string[], rows: readonly Param[][], suffix: string): Promise<void>;
}

export type BackendKind = 'sqlite' | 'postgres';

export interface TransactionOptions {
  /**
   * Tables no other writer may change until this transaction ends (a key rotation reads every
   * secret, then rewrites them). SQLite's BEGIN IMMEDIATE already excludes other writers;
   * PostgreSQL takes `LOCK TABLE … IN SHARE ROW EXCLUSIVE MODE`.
   */
  lockTables?: readonly string[];
}

/** One open state database: a SQLite file or a PostgreSQL schema. */
export interface SqlDatabase extends Queryable {
  readonly kind: BackendKind;
  /** Where it is, for messages: a file path, or a PostgreSQL URL without its password. */
  readonly path: string;
  readonly readonly: boolean;
  readonly isClosed: boolean;
  /**
   * Run `fn` in one transaction: everything it writes commits together or not at all. Any throw
   * rolls back and comes out as a StateError; `doing` says what was being done, for the message.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, doing?: string, options?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
}

/** Keys per `IN (...)` list: well under SQLite's and PostgreSQL's parameter limits. */
export const MAX_KEYS = 900;

export function chunk<T>(items: readonly T[], size = MAX_KEYS): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A quoted SQL identifier (schema and table names we chose; quotes doubled all the same). */
export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export const placeholdersFor = (n: number): string => Array.from({ length: n }, () => '?').join(', ');
