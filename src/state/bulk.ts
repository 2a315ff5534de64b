import type { Param, Queryable } from './sql.js';

/**
 * Parameters per statement. SQLite allows 32,766 since 3.32 and PostgreSQL 65,535; 8,000 keeps
 * statements a few hundred KB and measured fastest here (1,000 links per statement).
 */
const MAX_PARAMS = 8000;

const placeholderCache = new Map<string, string>();

function placeholders(columns: number, rows: number): string {
  const key = `${columns}x${rows}`;
  let text = placeholderCache.get(key);
  if (text === undefined) {
    const one = `(${Array.from({ length: columns }, () => '?').join(', ')})`;
    text = Array.from({ length: rows }, () => one).join(', ');
    placeholderCache.set(key, text);
  }
  return text;
}

/**
 * `INSERT INTO table (columns) VALUES (...), (...) <suffix>` for many rows, a few statements in
 * all. One multi-row statement per chunk is several times faster through sqlite3 than a prepared
 * statement per row, because each call crosses into the native thread pool (see docs/decisions.md,
 * "State bulk writes").
 */
export async function insertMany(q: Queryable, table: string, columns: readonly string[], rows: readonly Param[][], suffix = ''): Promise<void> {
  if (rows.length === 0) return;
  if (q.insertRows) return q.insertRows(table, columns, rows, suffix);
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
  for (let i = 0; i < rows.length; i += perStatement) {
    const part = rows.slice(i, i + perStatement);
    await q.run(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${placeholders(columns.length, part.length)} ${suffix}`, part.flat());
  }
}

/**
 * Rows for one multi-row upsert: the last row of each key wins, in key order. PostgreSQL refuses
 * a statement that updates the same row twice ("ON CONFLICT DO UPDATE command cannot affect row a
 * second time"), and writing keys in one order keeps concurrent batches from deadlocking.
 */
export function lastPerKey<T>(rows: readonly T[], keyOf: (row: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const r of rows) byKey.set(keyOf(r), r);
  if (byKey.size === rows.length && isSorted(rows, keyOf)) return rows as T[];
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
}

function isSorted<T>(rows: readonly T[], keyOf: (row: T) => string): boolean {
  for (let i = 1; i < rows.length; i++) if (keyOf(rows[i - 1]!) > keyOf(rows[i]!)) return false;
  return true;
}

/** `DELETE FROM table WHERE <scope> AND column IN (...)`, chunked the same way. */
export async function deleteMany(q: Queryable, table: string, scope: { sql: string; params: Param[] }, column: string, values: readonly string[]): Promise<void> {
  const perStatement = MAX_PARAMS - scope.params.length;
  for (let i = 0; i < values.length; i += perStatement) {
    const part = values.slice(i, i + perStatement);
    await q.run(`DELETE FROM ${table} WHERE ${scope.sql} AND ${column} IN (${part.map(() => '?').join(', ')})`, [...scope.params, ...part]);
  }
}
