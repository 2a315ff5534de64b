import type { Queryable } from './sql.js';
import { StateError } from './errors.js';
import { readAllAudit } from './audit.js';
import { readAllWatermarks, readLinks, readSnapshots, readSourceHashes, writeLinks, writeSnapshots, writeSourceHashes, writeWatermark } from './links.js';
import { readAllPairings, writePairing } from './pairings.js';
import { readAllRuns } from './runs.js';
import type { AuditRow, Link, Pairing, RunRow, Snapshot, Watermark, WebhookEventRow } from './types.js';

export const EXPORT_FORMAT = 'ml-connector-state';
/** 2 added `pairings`; version 1 files (without them) still import. */
export const EXPORT_FORMAT_VERSION = 2;

/**
 * A portable copy of the state in API shapes (not table rows), so a file exported by one schema
 * version imports into a later one. Secrets and locks are never exported: secrets only make sense
 * with their master key, and a lock belongs to a live process.
 */
export interface StateExport {
  format: typeof EXPORT_FORMAT;
  formatVersion: number;
  schemaVersion: number;
  exportedAt: string;
  secretsOmitted: number;
  mappings: Array<{
    mapping: string;
    links: Link[];
    snapshots: Snapshot[];
    sourceHashes: Array<{ key: string; hash: string }>;
    watermark?: Watermark;
  }>;
  /** Explicit pairings (`ml-connector adopt`): a person's decisions, not rebuildable from Zoho. */
  pairings?: Pairing[];
  runs: RunRow[];
  audit: AuditRow[];
  webhookEvents: WebhookEventRow[];
}

async function listMappings(q: Queryable): Promise<string[]> {
  const rows = await q.all<{ mapping: string }>(
    'SELECT mapping FROM links UNION SELECT mapping FROM snapshots UNION SELECT mapping FROM source_hashes UNION SELECT mapping FROM watermarks ORDER BY mapping',
  );
  return rows.map((r) => r.mapping);
}

export async function exportState(q: Queryable, nowIso: string, webhookEvents: WebhookEventRow[], schemaVersion: number): Promise<StateExport> {
  const watermarks = new Map((await readAllWatermarks(q)).map((w) => [w.mapping, w]));
  const mappings: StateExport['mappings'] = [];
  for (const mapping of await listMappings(q)) {
    const entry: StateExport['mappings'][number] = {
      mapping,
      links: [...(await readLinks(q, mapping)).values()],
      snapshots: [...(await readSnapshots(q, mapping)).values()],
      sourceHashes: [...(await readSourceHashes(q, mapping))].map(([key, hash]) => ({ key, hash })),
    };
    const w = watermarks.get(mapping);
    if (w) {
      const { mapping: _drop, ...watermark } = w;
      entry.watermark = watermark;
    }
    mappings.push(entry);
  }
  const secrets = await q.get<{ n: number }>('SELECT count(*) AS n FROM secrets');
  return {
    format: EXPORT_FORMAT,
    formatVersion: EXPORT_FORMAT_VERSION,
    schemaVersion,
    exportedAt: nowIso,
    secretsOmitted: secrets?.n ?? 0,
    mappings,
    pairings: await readAllPairings(q),
    runs: await readAllRuns(q),
    audit: await readAllAudit(q),
    webhookEvents,
  };
}

function invalid(why: string): StateError {
  return new StateError('STATE_IMPORT_INVALID', `The file is not a usable ml-connector state export: ${why}.`, {
    meta: { reason: why },
    hint: 'Import only files written by `ml-connector state export`.',
  });
}

/** Checks the envelope and the shape of each list; rows are checked again by the inserts. */
export function checkExport(data: unknown): StateExport {
  if (data === null || typeof data !== 'object') throw invalid('not a JSON object');
  const d = data as Partial<StateExport>;
  if (d.format !== EXPORT_FORMAT) throw invalid(`format is ${JSON.stringify(d.format)}, expected "${EXPORT_FORMAT}"`);
  if (typeof d.formatVersion !== 'number' || d.formatVersion > EXPORT_FORMAT_VERSION) {
    throw new StateError('STATE_TOO_NEW', `The export has format version ${String(d.formatVersion)}; this ml-connector reads up to ${EXPORT_FORMAT_VERSION}.`, {
      meta: { formatVersion: d.formatVersion },
      hint: 'Upgrade ml-connector to import it.',
    });
  }
  for (const key of ['mappings', 'runs', 'audit', 'webhookEvents'] as const) {
    if (!Array.isArray(d[key])) throw invalid(`"${key}" is not a list`);
  }
  if (d.pairings !== undefined && !Array.isArray(d.pairings)) throw invalid('"pairings" is not a list');
  return d as StateExport;
}

/** Replace everything but secrets and locks with the export's content (caller holds the transaction). */
export async function importState(q: Queryable, data: StateExport): Promise<void> {
  for (const table of ['pairings', 'audit', 'webhook_events', 'runs', 'links', 'snapshots', 'source_hashes', 'watermarks']) {
    await q.run(`DELETE FROM ${table}`);
  }
  for (const m of data.mappings) {
    await writeLinks(q, m.mapping, m.links, data.exportedAt);
    await writeSnapshots(q, m.mapping, m.snapshots, data.exportedAt);
    await writeSourceHashes(q, m.mapping, m.sourceHashes, false);
    if (m.watermark) await writeWatermark(q, m.mapping, m.watermark, m.watermark.updatedAt);
  }
  for (const r of data.runs) {
    await q.run(
      `INSERT INTO runs (id, kind, trigger, git_commit, git_dirty, config_digest, mappings, started_at, finished_at, status, counts, api_calls, credits, error, batches, pid, host, heartbeat_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        r.id, r.kind, r.trigger, r.gitCommit ?? null, r.gitDirty === undefined ? null : Number(r.gitDirty), r.configDigest, JSON.stringify(r.mappings ?? []),
        r.startedAt, r.finishedAt ?? null, r.status, JSON.stringify(r.counts ?? {}), r.apiCalls ?? 0, r.credits ?? 0, r.error ?? null, r.batches ?? 0,
        r.pid, r.host, r.heartbeatAt ?? r.startedAt,
      ],
    );
  }
  for (const a of data.audit) {
    await q.run(
      `INSERT INTO audit (id, run_id, at, mapping, external_id, zoho_id, action, event, fields, outcome, error_code, error_message, allow_large_change)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        a.id, a.runId, a.at, a.mapping, a.externalId, a.zohoId ?? null, a.action, a.event ?? null, JSON.stringify(a.fields ?? []), a.outcome,
        a.errorCode ?? null, a.errorMessage ?? null, a.allowLargeChange ? 1 : 0,
      ],
    );
  }
  for (const p of data.pairings ?? []) await writePairing(q, p, data.exportedAt);
  for (const e of data.webhookEvents) {
    await q.run(
      `INSERT INTO webhook_events (id, received_at, source, channel_id, module, operation, record_ids, status, run_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [e.id, e.receivedAt, e.source, e.channelId ?? null, e.module ?? null, e.operation ?? null, JSON.stringify(e.recordIds ?? []), e.status, e.runId ?? null, e.detail ?? null],
    );
  }
}
