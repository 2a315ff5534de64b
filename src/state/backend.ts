/**
 * What differs between the two state backends, and nothing else: schema versions and migrations,
 * sizes and integrity checks, id generators, and (PostgreSQL) lock sessions. Every table's
 * queries are shared (links.ts, runs.ts, audit.ts, lock.ts, secrets.ts, export.ts).
 */
import type { StateError } from './errors.js';
import type { Queryable, SqlDatabase } from './sql.js';

export interface StateBackend {
  readonly db: SqlDatabase;
  /** The schema version this code writes (numbered per backend). */
  readonly latestVersion: number;
  readVersion(): Promise<number>;
  /** Forward-only; refuses (STATE_TOO_NEW) a schema newer than the code. */
  migrate(): Promise<{ from: number }>;
  tooNew(found: number): StateError;
  sizes(): Promise<{ sizeBytes: number; walBytes: number }>;
  /** `['ok']`, or the problems found. */
  checkIntegrity(): Promise<string[]>;
  /** After rows were inserted with explicit ids (import): move the id generators past them. */
  afterExplicitIds(tx: Queryable): Promise<void>;
  /** Sessions that tell, through the database, that a lock's holder is gone (PostgreSQL only). */
  readonly beacons?: LockBeacons;
}

/**
 * A lock holder's database session, kept open while it holds the lock: when the holder crashes,
 * the database ends the session and waiters see it at once instead of after `staleMs`.
 */
export interface LockBeacon {
  /** The backend process of the session, recorded in the lock row; undefined: no session could be had. */
  readonly sessionPid: number | undefined;
  close(): Promise<void>;
}

export interface LockBeacons {
  hold(lockName: string): Promise<LockBeacon>;
  /** Inside the acquiring transaction: has the session recorded for this lock ended? */
  sessionEnded(tx: Queryable, lockName: string, sessionPid: number): Promise<boolean>;
}
