/**
 * Move a whole state from one database to another (`ml-connector state migrate`): SQLite to
 * PostgreSQL and back, table by table in pages (500,000 employees never sit in memory), in one
 * transaction on the target, with row counts checked at the end. Unlike `state export`, secrets
 * and facts move too; secrets keep their ciphertext unless the master key changes.
 */
import { insertMany } from './bulk.js';
import type { StateBackend } from './backend.js';
import { StateError } from './errors.js';
import { resealSecret } from './secrets.js';
import type { Param, Queryable } from './sql.js';
import { keyId } from './master-key.js';

/**
 * Every table that holds state, in an order that satisfies foreign keys (runs before audit), with
 * the key it is paged by. A new table must be added here: test/state-migrate.test.ts fails for a
 * table of the SQLite schema that is neither here nor in NOT_COPIED.
 */
export const COPIED_TABLES: ReadonlyArray<{ table: string; key: readonly string[]; columns: readonly string[] }> = [
  { table: 'links', key: ['mapping', 'external_id'], columns: ['mapping', 'external_id', 'module', 'zoho_id', 'field_hash', 'applied_values', 'zoho_modified_time', 'updated_at'] },
  { table: 'snapshots', key: ['mapping', 'external_id'], columns: ['mapping', 'external_id', 'zoho_id', 'field_values', 'modified_time', 'observed_at'] },
  { table: 'source_hashes', key: ['mapping', 'source_key'], columns: ['mapping', 'source_key', 'hash'] },
  { table: 'histories', key: ['scope', 'source_key'], columns: ['scope', 'source_key', 'hash', 'data', 'updated_at'] },
  { table: 'watermarks', key: ['mapping'], columns: ['mapping', 'cursor', 'config_digest', 'last_full_at', 'source_row_count', 'updated_at'] },
  {
    table: 'runs', key: ['id'],
    columns: ['id', 'kind', 'trigger', 'git_commit', 'git_dirty', 'config_digest', 'mappings', 'started_at', 'finished_at', 'status', 'counts', 'api_calls', 'credits', 'error', 'batches', 'pid', 'host', 'heartbeat_at'],
  },
  {
    table: 'audit', key: ['id'],
    columns: ['id', 'run_id', 'at', 'mapping', 'external_id', 'zoho_id', 'action', 'event', 'fields', 'outcome', 'error_code', 'error_message', 'allow_large_change'],
  },
  { table: 'pairings', key: ['mapping', 'external_id'], columns: ['mapping', 'external_id', 'module', 'zoho_id', 'created_at', 'run_id'] },
  { table: 'webhook_events', key: ['id'], columns: ['id', 'received_at', 'source', 'channel_id', 'module', 'operation', 'record_ids', 'status', 'run_id', 'detail'] },
  { table: 'facts', key: ['name'], columns: ['name', 'value', 'updated_at'] },
  { table: 'secrets', key: ['name'], columns: ['name', 'nonce', 'ciphertext', 'tag', 'key_id', 'created_at', 'updated_at'] },
];

/** Locks belong to live processes; schema bookkeeping belongs to each backend. */
export const NOT_COPIED = ['locks', 'schema_migrations', 'sqlite_sequence'];

const PAGE = 5_000;

export interface CopyOptions {
  /** Re-encrypt secrets from this key to `toKey` (only when the keys differ). */
  fromKey?: Buffer;
  toKey?: Buffer;
  onTable?: (table: string, rows: number) => void;
}

export type CopyReport = Record<string, number>;

async function* pages(q: Queryable, t: (typeof COPIED_TABLES)[number]): AsyncGenerator<Array<Record<string, Param>>> {
  const select = `SELECT ${t.columns.join(', ')} FROM ${t.table}`;
  const order = `ORDER BY ${t.key.join(', ')} LIMIT ?`;
  let after: Param[] | undefined;
  for (;;) {
    const where = after ? `WHERE (${t.key.join(', ')}) > (${t.key.map(() => '?').join(', ')})` : '';
    const rows = await q.all<Record<string, Param>>(`${select} ${where} ${order}`, [...(after ?? []), PAGE]);
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < PAGE) return;
    const last = rows[rows.length - 1]!;
    after = t.key.map((k) => last[k] ?? null);
  }
}

async function countRows(q: Queryable, table: string): Promise<number> {
  return (await q.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))?.n ?? 0;
}

/**
 * Copy every table of `source` into `target`, which must be empty (or is emptied first with
 * `replace`). The caller holds both stores' apply locks, so no run writes meanwhile.
 */
export async function copyState(source: StateBackend, target: StateBackend, opts: CopyOptions & { replace?: boolean } = {}): Promise<CopyReport> {
  const reseal = opts.fromKey && opts.toKey && keyId(opts.fromKey) !== keyId(opts.toKey) ? { from: opts.fromKey, to: opts.toKey } : undefined;
  return target.db.transaction(async (tx) => {
    for (const t of COPIED_TABLES) {
      const present = await countRows(tx, t.table);
      if (present > 0 && !opts.replace) {
        throw new StateError('STATE_NOT_EMPTY', `The target ${target.db.path} already holds ${present} rows in ${t.table}; migrate copies into an empty state.`, {
          meta: { path: target.db.path, table: t.table, rows: present },
          hint: 'Add --force to replace what the target holds (its locks are kept), or pick a new schema or file.',
        });
      }
    }
    if (opts.replace) for (const t of [...COPIED_TABLES].reverse()) await tx.run(`DELETE FROM ${t.table}`);
    const report: CopyReport = {};
    for (const t of COPIED_TABLES) {
      let n = 0;
      for await (const rows of pages(source.db, t)) {
        const values = rows.map((r) => {
          if (t.table === 'secrets' && reseal) {
            const s = resealSecret(r as unknown as { name: string; nonce: Buffer; ciphertext: Buffer; tag: Buffer }, reseal.from, reseal.to);
            return t.columns.map((c) => (c === 'nonce' ? s.nonce : c === 'ciphertext' ? s.ciphertext : c === 'tag' ? s.tag : c === 'key_id' ? s.keyId : r[c] ?? null));
          }
          return t.columns.map((c) => r[c] ?? null);
        });
        await insertMany(tx, t.table, t.columns, values);
        n += rows.length;
      }
      report[t.table] = n;
      opts.onTable?.(t.table, n);
    }
    await target.afterExplicitIds(tx);
    for (const t of COPIED_TABLES) {
      const copied = await countRows(tx, t.table);
      if (copied !== report[t.table]) {
        throw new StateError('STATE_MIGRATE_MISMATCH', `Copying ${t.table} gave ${copied} rows in the target, not the ${report[t.table]} read; nothing was written.`, {
          meta: { table: t.table, read: report[t.table], written: copied },
          hint: 'Report this with both databases\' `ml-connector state show --json`.',
        });
      }
    }
    return report;
  }, 'migrating the state', { lockTables: COPIED_TABLES.map((t) => t.table) });
}
