import { deleteMany, insertMany, lastPerKey } from './bulk.js';
import { chunk as chunks, type Param, type Queryable } from './sql.js';
import { StateError } from './errors.js';
import type { Link, LinkInput, Snapshot, SnapshotInput, SourceHashInput, Watermark, WatermarkInput } from './types.js';

/** Links, snapshots, source hashes and watermarks: the rebuildable cache (docs/state.md, "Rebuild"). */

function requireText(value: unknown, what: string, mapping: string): void {
  if (typeof value !== 'string' || value === '') {
    throw new StateError('STATE_INVALID_INPUT', `Mapping ${mapping}: ${what} must be a non-empty string.`, { meta: { mapping, field: what } });
  }
}

const LINK_COLUMNS = ['mapping', 'external_id', 'module', 'zoho_id', 'field_hash', 'applied_values', 'zoho_modified_time', 'updated_at'];

/** `updatedAt` on a row is kept as given (import); otherwise rows are stamped `now`. */
export async function writeLinks(q: Queryable, mapping: string, links: readonly (LinkInput & { updatedAt?: string })[], now: string): Promise<void> {
  const rows: Param[][] = lastPerKey(links, (l) => l.externalId).map((l) => {
    requireText(l.externalId, 'externalId', mapping);
    requireText(l.zohoId, 'zohoId', mapping);
    requireText(l.module, 'module', mapping);
    return [mapping, l.externalId, l.module, l.zohoId, l.fieldHash, JSON.stringify(l.appliedValues ?? {}), l.zohoModifiedTime ?? null, l.updatedAt ?? now];
  });
  await insertMany(q, 'links', LINK_COLUMNS, rows, `ON CONFLICT (mapping, external_id) DO UPDATE SET
    module = excluded.module, zoho_id = excluded.zoho_id, field_hash = excluded.field_hash,
    applied_values = excluded.applied_values, zoho_modified_time = excluded.zoho_modified_time, updated_at = excluded.updated_at`);
}

export async function removeLinks(q: Queryable, mapping: string, externalIds: readonly string[]): Promise<void> {
  await deleteMany(q, 'links', { sql: 'mapping = ?', params: [mapping] }, 'external_id', externalIds);
}

interface LinkDbRow {
  external_id: string;
  module: string;
  zoho_id: string;
  field_hash: string;
  applied_values: string;
  zoho_modified_time: string | null;
  updated_at: string;
}

const LINK_SELECT = 'SELECT external_id, module, zoho_id, field_hash, applied_values, zoho_modified_time, updated_at FROM links';

function toLink(r: LinkDbRow): Link {
  const link: Link = {
    externalId: r.external_id,
    module: r.module,
    zohoId: r.zoho_id,
    fieldHash: r.field_hash,
    appliedValues: JSON.parse(r.applied_values) as Record<string, unknown>,
    updatedAt: r.updated_at,
  };
  if (r.zoho_modified_time !== null) link.zohoModifiedTime = r.zoho_modified_time;
  return link;
}

export async function readLinks(q: Queryable, mapping: string): Promise<Map<string, Link>> {
  const rows = await q.all<LinkDbRow>(`${LINK_SELECT} WHERE mapping = ? ORDER BY external_id`, [mapping]);
  return new Map(rows.map((r) => [r.external_id, toLink(r)]));
}

/** The links of these external ids (a page of source records), in statements of at most MAX_KEYS keys. */
export async function readLinksByKeys(q: Queryable, mapping: string, keys: readonly string[]): Promise<Map<string, Link>> {
  const out = new Map<string, Link>();
  for (const part of chunks(keys)) {
    const rows = await q.all<LinkDbRow>(`${LINK_SELECT} WHERE mapping = ? AND external_id IN (${part.map(() => '?').join(', ')})`, [mapping, ...part]);
    for (const r of rows) out.set(r.external_id, toLink(r));
  }
  return out;
}

/** One page of a mapping's links after `after` (keyset paging by external id). */
export async function readLinkPage(q: Queryable, mapping: string, after: string | undefined, limit: number): Promise<Link[]> {
  const rows = after === undefined
    ? await q.all<LinkDbRow>(`${LINK_SELECT} WHERE mapping = ? ORDER BY external_id LIMIT ?`, [mapping, limit])
    : await q.all<LinkDbRow>(`${LINK_SELECT} WHERE mapping = ? AND external_id > ? ORDER BY external_id LIMIT ?`, [mapping, after, limit]);
  return rows.map(toLink);
}

export async function countLinks(q: Queryable, mapping: string): Promise<number> {
  return (await q.get<{ n: number }>('SELECT count(*) AS n FROM links WHERE mapping = ?', [mapping]))?.n ?? 0;
}

/** Which mapping and external id a Zoho record is linked to (webhooks name records by Zoho id). */
export async function findLinkByZohoId(q: Queryable, module: string, zohoId: string): Promise<{ mapping: string; externalId: string } | undefined> {
  const row = await q.get<{ mapping: string; external_id: string }>('SELECT mapping, external_id FROM links WHERE module = ? AND zoho_id = ? LIMIT 1', [module, zohoId]);
  return row && { mapping: row.mapping, externalId: row.external_id };
}

const SNAPSHOT_COLUMNS = ['mapping', 'external_id', 'zoho_id', 'field_values', 'modified_time', 'observed_at'];

export async function writeSnapshots(q: Queryable, mapping: string, rows: readonly (SnapshotInput & { observedAt?: string })[], now: string): Promise<void> {
  const values: Param[][] = lastPerKey(rows, (r) => r.externalId).map((r) => {
    requireText(r.externalId, 'externalId', mapping);
    requireText(r.zohoId, 'zohoId', mapping);
    return [mapping, r.externalId, r.zohoId, JSON.stringify(r.values ?? {}), r.modifiedTime, r.observedAt ?? now];
  });
  await insertMany(q, 'snapshots', SNAPSHOT_COLUMNS, values, `ON CONFLICT (mapping, external_id) DO UPDATE SET
    zoho_id = excluded.zoho_id, field_values = excluded.field_values, modified_time = excluded.modified_time, observed_at = excluded.observed_at`);
}

export async function removeSnapshots(q: Queryable, mapping: string, externalIds: readonly string[] | 'all'): Promise<void> {
  if (externalIds === 'all') await q.run('DELETE FROM snapshots WHERE mapping = ?', [mapping]);
  else await deleteMany(q, 'snapshots', { sql: 'mapping = ?', params: [mapping] }, 'external_id', externalIds);
}

interface SnapshotDbRow { external_id: string; zoho_id: string; field_values: string; modified_time: string; observed_at: string }
const SNAPSHOT_SELECT = 'SELECT external_id, zoho_id, field_values, modified_time, observed_at FROM snapshots';

function toSnapshot(r: SnapshotDbRow): Snapshot {
  return { externalId: r.external_id, zohoId: r.zoho_id, values: JSON.parse(r.field_values) as Record<string, unknown>, modifiedTime: r.modified_time, observedAt: r.observed_at };
}

export async function readSnapshots(q: Queryable, mapping: string): Promise<Map<string, Snapshot>> {
  const rows = await q.all<SnapshotDbRow>(`${SNAPSHOT_SELECT} WHERE mapping = ? ORDER BY external_id`, [mapping]);
  return new Map(rows.map((r) => [r.external_id, toSnapshot(r)]));
}

export async function readSnapshotsByKeys(q: Queryable, mapping: string, keys: readonly string[]): Promise<Map<string, Snapshot>> {
  const out = new Map<string, Snapshot>();
  for (const part of chunks(keys)) {
    const rows = await q.all<SnapshotDbRow>(`${SNAPSHOT_SELECT} WHERE mapping = ? AND external_id IN (${part.map(() => '?').join(', ')})`, [mapping, ...part]);
    for (const r of rows) out.set(r.external_id, toSnapshot(r));
  }
  return out;
}

export async function writeSourceHashes(q: Queryable, mapping: string, rows: readonly SourceHashInput[], replace: boolean): Promise<void> {
  if (replace) await q.run('DELETE FROM source_hashes WHERE mapping = ?', [mapping]);
  const values: Param[][] = lastPerKey(rows, (r) => r.key).map((r) => {
    requireText(r.key, 'source key', mapping);
    return [mapping, r.key, r.hash];
  });
  await insertMany(q, 'source_hashes', ['mapping', 'source_key', 'hash'], values, 'ON CONFLICT (mapping, source_key) DO UPDATE SET hash = excluded.hash');
}

export async function readSourceHashes(q: Queryable, mapping: string): Promise<Map<string, string>> {
  const rows = await q.all<{ source_key: string; hash: string }>('SELECT source_key, hash FROM source_hashes WHERE mapping = ? ORDER BY source_key', [mapping]);
  return new Map(rows.map((r) => [r.source_key, r.hash]));
}

export async function readSourceHashesByKeys(q: Queryable, mapping: string, keys: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const part of chunks(keys)) {
    const rows = await q.all<{ source_key: string; hash: string }>(`SELECT source_key, hash FROM source_hashes WHERE mapping = ? AND source_key IN (${part.map(() => '?').join(', ')})`, [mapping, ...part]);
    for (const r of rows) out.set(r.source_key, r.hash);
  }
  return out;
}

export async function removeSourceHashes(q: Queryable, mapping: string, keys: readonly string[]): Promise<void> {
  await deleteMany(q, 'source_hashes', { sql: 'mapping = ?', params: [mapping] }, 'source_key', keys);
}

interface WatermarkDbRow {
  mapping: string;
  cursor: string;
  config_digest: string;
  last_full_at: string | null;
  source_row_count: number | null;
  updated_at: string;
}

function toWatermark(r: WatermarkDbRow): Watermark {
  const w: Watermark = { cursor: r.cursor, configDigest: r.config_digest, updatedAt: r.updated_at };
  if (r.last_full_at !== null) w.lastFullAt = r.last_full_at;
  if (r.source_row_count !== null) w.sourceRowCount = r.source_row_count;
  return w;
}

export async function readWatermark(q: Queryable, mapping: string): Promise<Watermark | undefined> {
  const row = await q.get<WatermarkDbRow>('SELECT * FROM watermarks WHERE mapping = ?', [mapping]);
  return row && toWatermark(row);
}

export async function readAllWatermarks(q: Queryable): Promise<Array<Watermark & { mapping: string }>> {
  const rows = await q.all<WatermarkDbRow>('SELECT * FROM watermarks ORDER BY mapping');
  return rows.map((r) => ({ mapping: r.mapping, ...toWatermark(r) }));
}

export async function writeWatermark(q: Queryable, mapping: string, w: WatermarkInput, now: string): Promise<void> {
  requireText(w.cursor, 'watermark cursor', mapping);
  await q.run(
    `INSERT INTO watermarks (mapping, cursor, config_digest, last_full_at, source_row_count, updated_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (mapping) DO UPDATE SET cursor = excluded.cursor, config_digest = excluded.config_digest,
       last_full_at = excluded.last_full_at, source_row_count = excluded.source_row_count, updated_at = excluded.updated_at`,
    [mapping, w.cursor, w.configDigest, w.lastFullAt ?? null, w.sourceRowCount ?? null, w.updatedAt ?? now],
  );
}

/** Forget everything cached for a mapping (it was removed, or a full rebuild was asked for). */
export async function clearMappingCache(q: Queryable, mapping: string): Promise<void> {
  for (const table of ['links', 'snapshots', 'source_hashes', 'watermarks']) {
    await q.run(`DELETE FROM ${table} WHERE mapping = ?`, [mapping]);
  }
}
