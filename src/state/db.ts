import sqlite3 from 'sqlite3';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { StateError, mapStateError } from './errors.js';
import type { Param, Queryable, SqlDatabase } from './sql.js';

export type { Param, Queryable } from './sql.js';

export interface DbOptions {
  readonly?: boolean;
  /** Create the file (and its directory, mode 0700) when missing. Default true unless readonly. */
  create?: boolean;
  busyTimeoutMs?: number;
  /**
   * `normal` (default): in WAL mode a commit survives a killed process, and an OS crash or power
   * loss can only lose the last commits, never corrupt the file. `full`: fsync on every commit.
   */
  synchronous?: 'normal' | 'full';
  /** Cap on the file size in pages (PRAGMA max_page_count): bounds the file, simulates a full disk. */
  maxPages?: number;
}

/**
 * A promise wrapper around one sqlite3 connection. sqlite3 is callback based and would happily run
 * a statement from another async task in the middle of someone's BEGIN..COMMIT, so every call goes
 * through one queue: a transaction holds the queue until it commits or rolls back.
 */
export class Db implements SqlDatabase {
  readonly kind = 'sqlite' as const;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly raw: sqlite3.Database,
    readonly path: string,
    readonly readonly: boolean,
  ) {}

  run(sql: string, params: Param[] = []): Promise<{ changes: number; lastID: number }> {
    return this.exclusive(() => this.rawRun(sql, params));
  }
  get<T>(sql: string, params: Param[] = []): Promise<T | undefined> {
    return this.exclusive(() => this.rawGet<T>(sql, params));
  }
  all<T>(sql: string, params: Param[] = []): Promise<T[]> {
    return this.exclusive(() => this.rawAll<T>(sql, params));
  }
  exec(sql: string): Promise<void> {
    return this.exclusive(() => this.rawExec(sql));
  }

  /**
   * Run `fn` inside BEGIN IMMEDIATE .. COMMIT. IMMEDIATE takes the write lock up front, so two
   * processes never both read-then-write and deadlock; the busy timeout makes the second wait.
   * Any throw rolls back, and the error is mapped to a StateError.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, doing = 'writing'): Promise<T> {
    return this.exclusive(async () => {
      const tx: Queryable = {
        run: (sql, params = []) => this.rawRun(sql, params),
        get: <R>(sql: string, params: Param[] = []) => this.rawGet<R>(sql, params),
        all: <R>(sql: string, params: Param[] = []) => this.rawAll<R>(sql, params),
        exec: (sql) => this.rawExec(sql),
      };
      await this.rawExec('BEGIN IMMEDIATE', doing);
      try {
        const result = await fn(tx);
        await this.rawExec('COMMIT', doing);
        return result;
      } catch (err) {
        // SQLite may already have rolled back by itself (SQLITE_FULL, SQLITE_IOERR): ignore that.
        await this.rawExec('ROLLBACK').catch(() => undefined);
        throw mapStateError(err, this.path, doing);
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail.catch(() => undefined);
    await new Promise<void>((resolve, reject) => this.raw.close((err) => (err ? reject(mapStateError(err, this.path, 'closing')) : resolve())));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StateError('STATE_CLOSED', `The state database ${this.path} is already closed.`, { meta: { path: this.path } }));
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private rawRun(sql: string, params: Param[], doing = 'writing'): Promise<{ changes: number; lastID: number }> {
    const path = this.path;
    return new Promise((resolve, reject) => {
      this.raw.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(mapStateError(err, path, doing));
        else resolve({ changes: this.changes, lastID: this.lastID });
      });
    });
  }

  private rawGet<T>(sql: string, params: Param[]): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      this.raw.get<T>(sql, params, (err: Error | null, row: T) => (err ? reject(mapStateError(err, this.path, 'reading')) : resolve(row)));
    });
  }

  private rawAll<T>(sql: string, params: Param[]): Promise<T[]> {
    return new Promise((resolve, reject) => {
      this.raw.all<T>(sql, params, (err: Error | null, rows: T[]) => (err ? reject(mapStateError(err, this.path, 'reading')) : resolve(rows)));
    });
  }

  private rawExec(sql: string, doing = 'writing'): Promise<void> {
    return new Promise((resolve, reject) => {
      this.raw.exec(sql, (err: Error | null) => (err ? reject(mapStateError(err, this.path, doing)) : resolve()));
    });
  }
}

/** Open (and by default create) the SQLite file with WAL, a busy timeout and foreign keys. */
export async function openDb(path: string, options: DbOptions = {}): Promise<Db> {
  const readonly = options.readonly ?? false;
  const create = options.create ?? !readonly;
  const inMemory = path === ':memory:';
  if (!inMemory) prepareFile(path, readonly, create);

  const mode = readonly ? sqlite3.OPEN_READONLY : sqlite3.OPEN_READWRITE | (create ? sqlite3.OPEN_CREATE : 0);
  const raw = await new Promise<sqlite3.Database>((resolve, reject) => {
    const db: sqlite3.Database = new sqlite3.Database(path, mode, (err) => (err ? reject(mapStateError(err, path, 'opening')) : resolve(db)));
  });
  const db = new Db(raw, path, readonly);
  try {
    raw.configure('busyTimeout', options.busyTimeoutMs ?? 5000);
    // Reading the header first turns "not a database" into STATE_CORRUPT before anything else.
    await db.get('PRAGMA schema_version');
    if (!readonly && !inMemory) await db.get('PRAGMA journal_mode = WAL');
    await db.exec(`PRAGMA synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    await db.exec('PRAGMA foreign_keys = ON');
    if (options.maxPages !== undefined) await db.get(`PRAGMA max_page_count = ${Math.max(1, Math.floor(options.maxPages))}`);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw mapStateError(err, path, 'opening');
  }
  return db;
}

function prepareFile(path: string, readonly: boolean, create: boolean): void {
  if (existsSync(path)) return;
  if (readonly || !create) {
    throw new StateError('STATE_NOT_FOUND', `There is no state database at ${path}.`, {
      meta: { path },
      hint: 'Run `ml-connector plan` or `apply` first (they create it), or pass --state PATH / --config DIR to point at it.',
    });
  }
  try {
    // The file holds personal data and encrypted credentials: owner-only from the first byte.
    // SQLite gives the -wal and -shm files the same permissions as the database file.
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, 'wx', 0o600));
  } catch (err) {
    if ((err as { code?: string }).code === 'EEXIST') return;
    throw mapStateError(err, path, 'creating the state file');
  }
}
