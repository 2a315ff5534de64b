/**
 * Reads through COQL (`POST /coql`, reference §2.6), where a query does what listing cannot:
 * 2,000 records per call selected by a condition. Two queries matter to the engine:
 * - which records changed since a Zoho time (ids and Modified_Time only: 2,000 per call, ten
 *   times a list page), so a run after a large apply does not re-read every record it wrote;
 * - which records have no external id yet (the candidates for adoption).
 * Paging is by keyset on (Modified_Time, id) or id, never by OFFSET, whose reach Zoho caps.
 */
import type { ZohoRecord } from '../model/index.js';
import { formatModifiedSince } from './records.js';
import type { ZohoTransport } from './transport.js';

export const COQL_LIMIT = 2000;
/** COQL selects at most 50 fields. */
export const COQL_FIELDS = 50;

interface CoqlAnswer {
  data?: Array<Record<string, unknown>>;
  info?: { more_records?: boolean };
}

/** A COQL string literal (quotes and backslashes escaped). */
export function coqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

async function query(t: ZohoTransport, text: string, signal?: AbortSignal): Promise<Array<Record<string, unknown>>> {
  const ans = await t.call({
    method: 'POST', path: '/coql', body: { select_query: text }, kind: 'coql', records: COQL_LIMIT, heavy: true,
    accept: (status) => status === 204,
    ...(signal ? { signal } : {}),
  });
  if (ans.status === 204) return [];
  return ((ans.json ?? {}) as CoqlAnswer).data ?? [];
}

const toRecord = (raw: Record<string, unknown>): ZohoRecord => ({ ...raw, id: String(raw.id), Modified_Time: String(raw.Modified_Time ?? '') });

/**
 * Records modified at or after `since` (whole seconds, Zoho's clock), oldest first: id,
 * Modified_Time and the given fields (e.g. the external id). At or after: a write in the same
 * second as the last one seen is not missed; the caller recognises what it has seen by
 * Modified_Time.
 */
export async function* changedSince(t: ZohoTransport, module: string, fields: readonly string[], since: string, signal?: AbortSignal): AsyncGenerator<ZohoRecord[]> {
  const select = [...new Set(['Modified_Time', ...fields.filter((f) => f !== 'id')])].slice(0, COQL_FIELDS).join(', ');
  let after: { time: string; id: string } | undefined;
  const floor = formatModifiedSince(since);
  for (;;) {
    const where = after
      ? `(Modified_Time > ${coqlString(after.time)} or (Modified_Time = ${coqlString(after.time)} and id > ${coqlString(after.id)}))`
      : `Modified_Time >= ${coqlString(floor)}`;
    const rows = (await query(t, `select ${select} from ${module} where ${where} order by Modified_Time asc, id asc limit ${COQL_LIMIT}`, signal)).map(toRecord);
    if (rows.length > 0) yield rows;
    if (rows.length < COQL_LIMIT) return;
    const last = rows[rows.length - 1]!;
    after = { time: formatModifiedSince(last.Modified_Time), id: last.id };
  }
}

/** Records whose `field` is empty (no external id yet), by id, with the given fields. */
export async function* withEmptyField(t: ZohoTransport, module: string, field: string, fields: readonly string[], signal?: AbortSignal): AsyncGenerator<ZohoRecord[]> {
  const select = [...new Set(['Modified_Time', ...fields.filter((f) => f !== 'id')])].slice(0, COQL_FIELDS).join(', ');
  let after: string | undefined;
  for (;;) {
    const where = after ? `(${field} is null and id > ${coqlString(after)})` : `${field} is null`;
    const rows = (await query(t, `select ${select} from ${module} where ${where} order by id asc limit ${COQL_LIMIT}`, signal)).map(toRecord);
    if (rows.length > 0) yield rows;
    if (rows.length < COQL_LIMIT) return;
    after = rows[rows.length - 1]!.id;
  }
}
