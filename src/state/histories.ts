/**
 * Whole source histories per scope (a PeopleSoft connection and entity, e.g. `peoplesoft-hcm/employees`):
 * what a reader with `history: changed-rows` merges the rows it read with. Facts about PeopleSoft,
 * not about a mapping, so two mappings reading the same source share them. Plain SQL on one
 * table, batched like the other bulk paths (docs/decisions.md, "State bulk writes").
 */
import type { StoredHistory } from '../model/index.js';
import { insertMany } from './bulk.js';
import type { Param, Queryable } from './db.js';
import { StateError } from './errors.js';
import type { HistoryInput } from './types.js';

/** Keys per SELECT: well under SQLite's parameter limit, one statement for a typical page. */
const KEYS_PER_SELECT = 5000;

export async function readHistories(q: Queryable, scope: string, keys: readonly string[]): Promise<Map<string, StoredHistory>> {
  const out = new Map<string, StoredHistory>();
  const unique = [...new Set(keys)];
  for (let i = 0; i < unique.length; i += KEYS_PER_SELECT) {
    const part = unique.slice(i, i + KEYS_PER_SELECT);
    const rows = await q.all<{ source_key: string; hash: string; data: string }>(
      `SELECT source_key, hash, data FROM histories WHERE scope = ? AND source_key IN (${part.map(() => '?').join(', ')})`,
      [scope, ...part],
    );
    for (const r of rows) out.set(r.source_key, { hash: r.hash, data: r.data });
  }
  return out;
}

export async function writeHistories(q: Queryable, scope: string, rows: readonly HistoryInput[], now: string): Promise<void> {
  if (scope === '') throw new StateError('STATE_INVALID_INPUT', 'A history scope must be a non-empty string (connection/entity).', { meta: { field: 'scope' } });
  const values: Param[][] = rows.map((r) => {
    if (typeof r.key !== 'string' || r.key === '' || typeof r.hash !== 'string' || typeof r.data !== 'string') {
      throw new StateError('STATE_INVALID_INPUT', `History of scope ${scope}: key, hash and data must be strings (key ${String(r.key)}).`, { meta: { scope, key: r.key ?? null } });
    }
    return [scope, r.key, r.hash, r.data, now];
  });
  await insertMany(q, 'histories', ['scope', 'source_key', 'hash', 'data', 'updated_at'], values,
    'ON CONFLICT (scope, source_key) DO UPDATE SET hash = excluded.hash, data = excluded.data, updated_at = excluded.updated_at');
}
