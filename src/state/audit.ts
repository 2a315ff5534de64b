import { chunk, placeholdersFor, type Param, type Queryable } from './sql.js';
import { insertMany } from './bulk.js';
import { StateError } from './errors.js';
import type { AuditInput, AuditQuery, AuditRow, WebhookEventInput, WebhookEventRow, WebhookQuery, WebhookStatus } from './types.js';
import { scrub } from '../support/redact.js';

const OUTCOMES = new Set(['applied', 'failed', 'skipped']);

/**
 * The audit trail holds field NAMES and outcomes, never values; error messages go through
 * `scrub` so a credential that leaked into an API error text is masked before it is stored.
 */
export async function insertAudit(q: Queryable, rows: readonly AuditInput[], now: string): Promise<void> {
  for (const r of rows) {
    if (!OUTCOMES.has(r.outcome)) {
      throw new StateError('STATE_INVALID_INPUT', `Audit row for ${r.mapping}/${r.externalId}: unknown outcome "${String(r.outcome)}".`, {
        meta: { mapping: r.mapping, externalId: r.externalId },
      });
    }
    if (!Array.isArray(r.fields) || r.fields.some((f) => typeof f !== 'string')) {
      throw new StateError('STATE_INVALID_INPUT', `Audit row for ${r.mapping}/${r.externalId}: fields must be a list of field names.`, {
        meta: { mapping: r.mapping, externalId: r.externalId },
      });
    }
  }
  const values: Param[][] = rows.map((r) => [
    r.runId, now, r.mapping, r.externalId, r.zohoId ?? null, r.action, r.event ?? null, JSON.stringify(r.fields), r.outcome,
    r.errorCode ?? null, r.errorMessage === undefined ? null : scrub(r.errorMessage), r.allowLargeChange ? 1 : 0,
  ]);
  await insertMany(q, 'audit', AUDIT_COLUMNS, values);
}

const AUDIT_COLUMNS = ['run_id', 'at', 'mapping', 'external_id', 'zoho_id', 'action', 'event', 'fields', 'outcome', 'error_code', 'error_message', 'allow_large_change'];

interface AuditDbRow {
  id: number;
  run_id: string;
  at: string;
  mapping: string;
  external_id: string;
  zoho_id: string | null;
  action: string;
  event: string | null;
  fields: string;
  outcome: AuditRow['outcome'];
  error_code: string | null;
  error_message: string | null;
  allow_large_change: number;
}

function toAudit(r: AuditDbRow): AuditRow {
  const row: AuditRow = {
    id: r.id,
    runId: r.run_id,
    at: r.at,
    mapping: r.mapping,
    externalId: r.external_id,
    action: r.action,
    fields: JSON.parse(r.fields) as string[],
    outcome: r.outcome,
    allowLargeChange: r.allow_large_change === 1,
  };
  if (r.zoho_id !== null) row.zohoId = r.zoho_id;
  if (r.event !== null) row.event = r.event;
  if (r.error_code !== null) row.errorCode = r.error_code;
  if (r.error_message !== null) row.errorMessage = r.error_message;
  return row;
}

/**
 * `2026-11-01`, `2026-11-01T08:00:00Z`, or relative: `90m`, `24h`, `7d`. Returned as an ISO
 * instant, which sorts correctly as text against the stored ISO timestamps.
 */
export function parseSince(value: string, nowMs: number): string {
  const rel = /^(\d+)\s*([mhd])$/.exec(value.trim());
  if (rel) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 'm' | 'h' | 'd'];
    return new Date(nowMs - Number(rel[1]) * unit).toISOString();
  }
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new StateError('STATE_INVALID_INPUT', `"${value}" is not a date.`, {
      meta: { since: value },
      hint: 'Use a date (2026-11-01), a date and time (2026-11-01T08:00:00Z) or a duration back from now (90m, 24h, 7d).',
    });
  }
  return new Date(ms).toISOString();
}

export async function selectAudit(q: Queryable, query: AuditQuery, nowMs: number): Promise<AuditRow[]> {
  const where: string[] = [];
  const params: Param[] = [];
  const add = (clause: string, value: Param): void => {
    where.push(clause);
    params.push(value);
  };
  if (query.runId !== undefined) add('run_id = ?', query.runId);
  if (query.mapping !== undefined) add('mapping = ?', query.mapping);
  if (query.externalId !== undefined) add('external_id = ?', query.externalId);
  if (query.outcome !== undefined) add('outcome = ?', query.outcome);
  if (query.since !== undefined) add('at >= ?', parseSince(query.since, nowMs));
  params.push(Math.max(1, query.limit ?? 1000));
  const rows = await q.all<AuditDbRow>(
    `SELECT * FROM (SELECT * FROM audit ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?) AS recent ORDER BY id`,
    params,
  );
  return rows.map(toAudit);
}

export async function readAllAudit(q: Queryable): Promise<AuditRow[]> {
  return (await q.all<AuditDbRow>('SELECT * FROM audit ORDER BY id')).map(toAudit);
}

const WEBHOOK_STATUSES = new Set<WebhookStatus>(['received', 'processed', 'ignored', 'rejected']);

export async function insertWebhookEvent(q: Queryable, e: WebhookEventInput, now: string): Promise<number> {
  const status = e.status ?? 'received';
  if (!WEBHOOK_STATUSES.has(status)) throw new StateError('STATE_INVALID_INPUT', `Unknown webhook event status "${status}".`, { meta: { status } });
  const row = await q.get<{ id: number }>(
    `INSERT INTO webhook_events (received_at, source, channel_id, module, operation, record_ids, status, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    [now, e.source, e.channelId ?? null, e.module ?? null, e.operation ?? null, JSON.stringify(e.recordIds), status, e.detail === undefined ? null : scrub(e.detail)],
  );
  return row!.id;
}

export async function updateWebhookEvents(q: Queryable, ids: readonly number[], status: WebhookStatus, runId: string | undefined): Promise<void> {
  if (!WEBHOOK_STATUSES.has(status)) throw new StateError('STATE_INVALID_INPUT', `Unknown webhook event status "${status}".`, { meta: { status } });
  for (const part of chunk(ids)) {
    await q.run(`UPDATE webhook_events SET status = ?, run_id = COALESCE(?, run_id) WHERE id IN (${placeholdersFor(part.length)})`, [status, runId ?? null, ...part]);
  }
}

interface WebhookDbRow {
  id: number;
  received_at: string;
  source: string;
  channel_id: string | null;
  module: string | null;
  operation: string | null;
  record_ids: string;
  status: WebhookStatus;
  run_id: string | null;
  detail: string | null;
}

function toWebhook(r: WebhookDbRow): WebhookEventRow {
  const row: WebhookEventRow = { id: r.id, receivedAt: r.received_at, source: r.source, recordIds: JSON.parse(r.record_ids) as string[], status: r.status };
  if (r.channel_id !== null) row.channelId = r.channel_id;
  if (r.module !== null) row.module = r.module;
  if (r.operation !== null) row.operation = r.operation;
  if (r.run_id !== null) row.runId = r.run_id;
  if (r.detail !== null) row.detail = r.detail;
  return row;
}

export async function selectWebhookEvents(q: Queryable, query: WebhookQuery, nowMs: number): Promise<WebhookEventRow[]> {
  const where: string[] = [];
  const params: Param[] = [];
  if (query.status !== undefined) {
    where.push('status = ?');
    params.push(query.status);
  }
  if (query.since !== undefined) {
    where.push('received_at >= ?');
    params.push(parseSince(query.since, nowMs));
  }
  params.push(Math.max(1, query.limit ?? 1000));
  const rows = await q.all<WebhookDbRow>(
    `SELECT * FROM (SELECT * FROM webhook_events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?) AS recent ORDER BY id`,
    params,
  );
  return rows.map(toWebhook);
}
