import type { Db } from './db.js';
import { StateError } from './errors.js';

/**
 * Forward-only schema migrations, numbered by PRAGMA user_version. A migration is never edited
 * once released: change the schema by appending one. test/fixtures/state/make-v1.mjs keeps a
 * frozen copy of version 1 to prove that old files still open.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /**
   * The migration rebuilds a table others reference (SQLite's documented way to change a CHECK
   * constraint: create, copy, drop, rename). Foreign keys are switched off around its transaction,
   * which PRAGMA allows only outside one, and checked before it commits.
   */
  rebuildsTables?: boolean;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'links, watermarks, runs, audit, secrets, locks',
    sql: `
      CREATE TABLE links (
        mapping TEXT NOT NULL,
        external_id TEXT NOT NULL,
        module TEXT NOT NULL,
        zoho_id TEXT NOT NULL,
        field_hash TEXT NOT NULL,
        zoho_modified_time TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (mapping, external_id)
      ) WITHOUT ROWID;
      CREATE TABLE watermarks (
        mapping TEXT PRIMARY KEY,
        cursor TEXT NOT NULL,
        config_digest TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('plan', 'apply', 'serve')),
        trigger TEXT NOT NULL,
        git_commit TEXT,
        config_digest TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'partial', 'interrupted')),
        counts TEXT NOT NULL DEFAULT '{}',
        api_calls INTEGER NOT NULL DEFAULT 0,
        credits INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL
      );
      CREATE INDEX runs_by_start ON runs (started_at);
      CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL REFERENCES runs (id),
        at TEXT NOT NULL,
        mapping TEXT NOT NULL,
        external_id TEXT NOT NULL,
        zoho_id TEXT,
        action TEXT NOT NULL,
        fields TEXT NOT NULL DEFAULT '[]',
        outcome TEXT NOT NULL CHECK (outcome IN ('applied', 'failed', 'skipped')),
        error_code TEXT,
        error_message TEXT
      );
      CREATE INDEX audit_by_run ON audit (run_id);
      CREATE INDEX audit_by_time ON audit (at);
      CREATE TABLE secrets (
        name TEXT PRIMARY KEY,
        nonce BLOB NOT NULL,
        ciphertext BLOB NOT NULL,
        tag BLOB NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE locks (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        token TEXT NOT NULL,
        acquired_at TEXT NOT NULL,
        heartbeat_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'drift snapshots, source hashes, webhook events, run heartbeats, audit lifecycle events',
    sql: `
      ALTER TABLE links ADD COLUMN applied_values TEXT NOT NULL DEFAULT '{}';
      CREATE INDEX links_by_zoho_id ON links (module, zoho_id);
      CREATE TABLE snapshots (
        mapping TEXT NOT NULL,
        external_id TEXT NOT NULL,
        zoho_id TEXT NOT NULL,
        field_values TEXT NOT NULL,
        modified_time TEXT NOT NULL,
        observed_at TEXT NOT NULL,
        PRIMARY KEY (mapping, external_id)
      ) WITHOUT ROWID;
      CREATE TABLE source_hashes (
        mapping TEXT NOT NULL,
        source_key TEXT NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (mapping, source_key)
      ) WITHOUT ROWID;
      ALTER TABLE watermarks ADD COLUMN last_full_at TEXT;
      ALTER TABLE watermarks ADD COLUMN source_row_count INTEGER;
      ALTER TABLE runs ADD COLUMN git_dirty INTEGER;
      ALTER TABLE runs ADD COLUMN mappings TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE runs ADD COLUMN batches INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE runs ADD COLUMN heartbeat_at TEXT;
      UPDATE runs SET heartbeat_at = COALESCE(finished_at, started_at);
      CREATE INDEX runs_by_status ON runs (status);
      ALTER TABLE audit ADD COLUMN event TEXT;
      ALTER TABLE audit ADD COLUMN allow_large_change INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX audit_by_mapping ON audit (mapping, at);
      ALTER TABLE secrets ADD COLUMN key_id TEXT;
      CREATE TABLE webhook_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        received_at TEXT NOT NULL,
        source TEXT NOT NULL,
        channel_id TEXT,
        module TEXT,
        operation TEXT,
        record_ids TEXT NOT NULL DEFAULT '[]',
        status TEXT NOT NULL CHECK (status IN ('received', 'processed', 'ignored', 'rejected')),
        run_id TEXT,
        detail TEXT
      );
      CREATE INDEX webhook_events_by_time ON webhook_events (received_at);
    `,
  },
  {
    version: 6,
    name: 'runs of kind adopt, blocked runs, facts',
    // Runs of `ml-connector adopt` (kind adopt) and runs a guard stopped (status blocked): the
    // CHECK constraints need the table rebuilt. `facts`: small values remembered between runs, never secrets.
    rebuildsTables: true,
    sql: `
      CREATE TABLE runs_next (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('plan', 'apply', 'serve', 'adopt')),
        trigger TEXT NOT NULL,
        git_commit TEXT,
        config_digest TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'partial', 'interrupted', 'blocked')),
        counts TEXT NOT NULL DEFAULT '{}',
        api_calls INTEGER NOT NULL DEFAULT 0,
        credits INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        git_dirty INTEGER,
        mappings TEXT NOT NULL DEFAULT '[]',
        batches INTEGER NOT NULL DEFAULT 0,
        heartbeat_at TEXT
      );
      INSERT INTO runs_next (id, kind, trigger, git_commit, config_digest, started_at, finished_at, status, counts, api_calls, credits, error, pid, host, git_dirty, mappings, batches, heartbeat_at)
        SELECT id, kind, trigger, git_commit, config_digest, started_at, finished_at, status, counts, api_calls, credits, error, pid, host, git_dirty, mappings, batches, heartbeat_at FROM runs;
      DROP TABLE runs;
      ALTER TABLE runs_next RENAME TO runs;
      CREATE INDEX runs_by_start ON runs (started_at);
      CREATE INDEX runs_by_status ON runs (status);
      CREATE TABLE facts (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 7,
    name: 'source histories (whole JOB histories of readers with history: changed-rows)',
    sql: `
      CREATE TABLE histories (
        scope TEXT NOT NULL,
        source_key TEXT NOT NULL,
        hash TEXT NOT NULL,
        data TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (scope, source_key)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 8,
    name: 'explicit pairings (ml-connector adopt)',
    sql: `
      CREATE TABLE pairings (
        mapping TEXT NOT NULL,
        external_id TEXT NOT NULL,
        module TEXT NOT NULL,
        zoho_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        run_id TEXT REFERENCES runs (id),
        PRIMARY KEY (mapping, external_id)
      ) WITHOUT ROWID;
      CREATE UNIQUE INDEX pairings_by_zoho_id ON pairings (module, zoho_id);
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export async function readSchemaVersion(db: Db): Promise<number> {
  const row = await db.get<{ user_version: number }>('PRAGMA user_version');
  return row?.user_version ?? 0;
}

export function tooNewError(path: string, found: number): StateError {
  return new StateError('STATE_TOO_NEW', `The state database ${path} was written by a newer ml-connector (schema version ${found}; this version knows up to ${SCHEMA_VERSION}).`, {
    meta: { path, schemaVersion: found, supported: SCHEMA_VERSION },
    hint: 'Upgrade ml-connector (npm install ml-connector@latest) on this machine; do not point an older version at this file.',
  });
}

/**
 * Bring the file up to SCHEMA_VERSION, one migration per transaction. The version is read again
 * inside each transaction, so two processes opening an old file at once migrate it exactly once.
 */
export async function migrate(db: Db): Promise<{ from: number; to: number }> {
  const from = await readSchemaVersion(db);
  if (from > SCHEMA_VERSION) throw tooNewError(db.path, from);
  for (const migration of MIGRATIONS) {
    if (migration.version <= from) continue;
    if (migration.rebuildsTables) await db.exec('PRAGMA foreign_keys = OFF');
    try {
      await db.transaction(async (tx) => {
        const current = (await tx.get<{ user_version: number }>('PRAGMA user_version'))?.user_version ?? 0;
        if (current >= migration.version) return;
        await tx.exec(migration.sql);
        if (migration.rebuildsTables) {
          const broken = await tx.all<{ table: string }>('PRAGMA foreign_key_check');
          if (broken.length > 0) throw new StateError('STATE_CORRUPT', `Migrating ${db.path} to schema version ${migration.version} would break ${broken.length} reference(s) in ${broken[0]!.table}.`, { meta: { path: db.path, version: migration.version } });
        }
        // user_version lives in the file header, so it commits (or rolls back) with the schema.
        await tx.exec(`PRAGMA user_version = ${migration.version}`);
      }, `migrating to schema version ${migration.version}`);
    } finally {
      if (migration.rebuildsTables) await db.exec('PRAGMA foreign_keys = ON');
    }
  }
  return { from, to: SCHEMA_VERSION };
}
