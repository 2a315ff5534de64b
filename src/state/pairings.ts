import type { Param, Queryable } from './db.js';
import { deleteMany } from './bulk.js';
import { StateError } from './errors.js';
import type { Pairing, PairingInput } from './types.js';

/**
 * Explicit pairings: "source record EXTERNAL_ID of this mapping is Zoho record ZOHO_ID", stored by
 * `ml-connector adopt` when match rules cannot tell. Unlike links they are not a cache: they are a
 * person's decision, kept until the planner has adopted the record (or they are removed). One Zoho
 * record is paired at most once per module (unique index), so two source records never claim it.
 * Plain SQL on one table, so a PostgreSQL backend can implement the same three calls.
 */

const BATCH = 900;

interface PairingDbRow {
  mapping: string;
  external_id: string;
  module: string;
  zoho_id: string;
  created_at: string;
  run_id: string | null;
}

function toPairing(r: PairingDbRow): Pairing {
  const p: Pairing = { mapping: r.mapping, externalId: r.external_id, module: r.module, zohoId: r.zoho_id, createdAt: r.created_at };
  if (r.run_id !== null) p.runId = r.run_id;
  return p;
}

function requireText(value: unknown, what: string): void {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new StateError('STATE_INVALID_INPUT', `A pairing needs a non-empty ${what}.`, { meta: { field: what } });
  }
}

/** Store (or move) one pairing; refuses a Zoho record already paired with another source record. */
export async function writePairing(q: Queryable, p: PairingInput, now: string): Promise<void> {
  for (const [value, what] of [[p.mapping, 'mapping'], [p.externalId, 'external id'], [p.module, 'module'], [p.zohoId, 'Zoho id']] as const) requireText(value, what);
  const other = await q.get<PairingDbRow>('SELECT * FROM pairings WHERE module = ? AND zoho_id = ? AND NOT (mapping = ? AND external_id = ?)', [p.module, p.zohoId, p.mapping, p.externalId]);
  if (other !== undefined) {
    throw new StateError('STATE_PAIRING_CONFLICT', `${p.module} record ${p.zohoId} is already paired with ${other.mapping} ${other.external_id} (since ${other.created_at}).`, {
      meta: { module: p.module, zohoId: p.zohoId, pairedWith: { mapping: other.mapping, externalId: other.external_id } },
      hint: `One Zoho record belongs to one source record. Remove the other pairing first: ml-connector adopt --mapping ${other.mapping} --remove ${other.external_id}`,
    });
  }
  await q.run(
    `INSERT INTO pairings (mapping, external_id, module, zoho_id, created_at, run_id) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (mapping, external_id) DO UPDATE SET module = excluded.module, zoho_id = excluded.zoho_id, created_at = excluded.created_at, run_id = excluded.run_id`,
    [p.mapping, p.externalId, p.module, p.zohoId, p.createdAt ?? now, p.runId ?? null],
  );
}

/** The pairings of these source records (batched IN lists: one query per 900 keys, never one per key). */
export async function readPairings(q: Queryable, mapping: string, keys: readonly string[]): Promise<Map<string, Pairing>> {
  const out = new Map<string, Pairing>();
  const unique = [...new Set(keys)];
  for (let i = 0; i < unique.length; i += BATCH) {
    const part = unique.slice(i, i + BATCH);
    const rows = await q.all<PairingDbRow>(`SELECT * FROM pairings WHERE mapping = ? AND external_id IN (${part.map(() => '?').join(', ')})`, [mapping, ...part] as Param[]);
    for (const r of rows) out.set(r.external_id, toPairing(r));
  }
  return out;
}

export async function removePairingRows(q: Queryable, mapping: string, keys: readonly string[]): Promise<number> {
  const before = await q.get<{ n: number }>('SELECT count(*) AS n FROM pairings WHERE mapping = ?', [mapping]);
  await deleteMany(q, 'pairings', { sql: 'mapping = ?', params: [mapping] }, 'external_id', [...new Set(keys)]);
  const after = await q.get<{ n: number }>('SELECT count(*) AS n FROM pairings WHERE mapping = ?', [mapping]);
  return (before?.n ?? 0) - (after?.n ?? 0);
}

/** Which source record a Zoho record is paired with, if any. */
export async function findPairingByZohoId(q: Queryable, module: string, zohoId: string): Promise<Pairing | undefined> {
  const row = await q.get<PairingDbRow>('SELECT * FROM pairings WHERE module = ? AND zoho_id = ?', [module, zohoId]);
  return row && toPairing(row);
}

/** Every pairing, or one mapping's, in key order (for `adopt --list` and export). */
export async function readAllPairings(q: Queryable, mapping?: string): Promise<Pairing[]> {
  const rows = mapping === undefined
    ? await q.all<PairingDbRow>('SELECT * FROM pairings ORDER BY mapping, external_id')
    : await q.all<PairingDbRow>('SELECT * FROM pairings WHERE mapping = ? ORDER BY external_id', [mapping]);
  return rows.map(toPairing);
}
