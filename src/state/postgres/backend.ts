import pg from 'pg';
import type { LockBeacon, LockBeacons, StateBackend } from '../backend.js';
import { StateError } from '../errors.js';
import type { Queryable } from '../sql.js';
import type { PostgresTarget } from '../target.js';
import type { Logger } from '../../support/log.js';
import { clientConfig, PgDb, quoteIdent } from './db.js';
import { mapPgError } from './errors.js';
import { PG_IDENTITY_TABLES, PG_MIGRATIONS, PG_SCHEMA_VERSION, migratePg, pgTooNewError, readPgSchemaVersion, schemaExists } from './migrations.js';

/** Every table version 1 creates: integrity means they are all there. */
const TABLES = ['links', 'snapshots', 'source_hashes', 'watermarks', 'runs', 'audit', 'secrets', 'locks', 'webhook_events', 'facts'];

/** A schema in a PostgreSQL database. */
export class PostgresBackend implements StateBackend {
  readonly latestVersion = PG_SCHEMA_VERSION;
  readonly beacons: LockBeacons;

  private constructor(readonly db: PgDb, logger: Logger | undefined) {
    this.beacons = new AdvisoryBeacons(db, logger);
  }

  /** `existed`: the schema already holds a migrated state (`create: false` needs it). */
  static async open(target: PostgresTarget, opts: { readonly: boolean; logger?: Logger }): Promise<{ backend: PostgresBackend; existed: boolean }> {
    const db = PgDb.open(target, opts);
    try {
      const existed = (await schemaExists(db)) && (await readPgSchemaVersion(db, db.schema)) > 0;
      return { backend: new PostgresBackend(db, opts.logger), existed };
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  readVersion(): Promise<number> {
    return readPgSchemaVersion(this.db, this.db.schema);
  }
  async migrate(): Promise<{ from: number }> {
    return { from: (await migratePg(this.db)).from };
  }
  tooNew(found: number): StateError {
    return pgTooNewError(this.db.path, found);
  }
  async sizes(): Promise<{ sizeBytes: number; walBytes: number }> {
    const row = await this.db.get<{ bytes: number | null }>(
      `SELECT sum(pg_total_relation_size(c.oid))::bigint AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind = 'r'`,
      [this.db.schema],
    );
    // The write-ahead log belongs to the whole server, not to this schema.
    return { sizeBytes: row?.bytes ?? 0, walBytes: 0 };
  }
  async checkIntegrity(): Promise<string[]> {
    const rows = await this.db.all<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind = 'r'`,
      [this.db.schema],
    );
    const present = new Set(rows.map((r) => r.relname));
    const missing = TABLES.filter((t) => !present.has(t)).map((t) => `table ${t} is missing from schema ${this.db.schema}`);
    const version = await this.readVersion();
    if (!PG_MIGRATIONS.some((m) => m.version === version)) missing.push(`unknown schema version ${version}`);
    return missing.length ? missing : ['ok'];
  }
  async afterExplicitIds(tx: Queryable): Promise<void> {
    for (const table of PG_IDENTITY_TABLES) {
      await tx.get(`SELECT setval(pg_get_serial_sequence(?, 'id'), GREATEST((SELECT max(id) FROM ${table}), 1), (SELECT max(id) FROM ${table}) IS NOT NULL) AS v`, [
        `${quoteIdent(this.db.schema)}.${table}`,
      ]);
    }
  }
}

/** The key of a lock's advisory lock: per schema and lock name (hashtextextended is in PostgreSQL 11+). */
const advisoryKey = (schema: string, lockName: string): string => `ml-connector lock ${schema}.${lockName}`;

/**
 * Session-level advisory locks as the "holder is alive" signal next to the lock row. The row stays
 * the lock of record (holder, heartbeat, `state unlock`); the advisory lock only lets a waiter see
 * at once that the holder's session ended (a killed process, a lost connection). It is trusted
 * only when the waiter's backend differs from the recorded one: PGlite serves every connection
 * from one session, where an advisory lock is re-entrant and proves nothing.
 */
class AdvisoryBeacons implements LockBeacons {
  constructor(private readonly db: PgDb, private readonly logger: Logger | undefined) {}

  async hold(lockName: string): Promise<LockBeacon> {
    const none: LockBeacon = { sessionPid: undefined, close: async () => undefined };
    const client = new pg.Client(clientConfig(this.db.target));
    client.on('error', (err) => this.logger?.warn('the database session of a held lock ended; another process may take the lock over', {
      lock: lockName, error: (mapPgError(err, this.db.path, 'holding a lock') as Error).message,
    }));
    try {
      await client.connect();
      // A host that vanishes without closing its connection is noticed in about a minute, not hours.
      await client.query('SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 3').catch(() => undefined);
      const row = (await client.query<{ got: boolean; pid: number }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS got, pg_backend_pid() AS pid', [advisoryKey(this.db.schema, lockName)])).rows[0];
      if (!row?.got) {
        await client.end().catch(() => undefined);
        return none;
      }
      return { sessionPid: row.pid, close: () => client.end().catch(() => undefined) };
    } catch (err) {
      this.logger?.warn('no database session for a held lock; a crash is noticed through its heartbeat only', { lock: lockName, error: (mapPgError(err, this.db.path, 'holding a lock') as Error).message });
      await client.end().catch(() => undefined);
      return none;
    }
  }

  async sessionEnded(tx: Queryable, lockName: string, sessionPid: number): Promise<boolean> {
    // Transaction-scoped: released when the acquiring transaction ends; conflicts with the holder's session lock.
    const row = await tx.get<{ me: number; got: boolean }>('SELECT pg_backend_pid() AS me, pg_try_advisory_xact_lock(hashtextextended(?, 0)) AS got', [advisoryKey(this.db.schema, lockName)]);
    return row !== undefined && row.got && row.me !== sessionPid;
  }
}
