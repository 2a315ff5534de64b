import type { ZohoRecord } from '../model/index.js';
import { MlError } from '../support/errors.js';
import { readEnvelope } from './errors.js';
import type { ZohoTransport } from './transport.js';

/** Reads: list (fields split by 50, `page` then `page_token`), by ids, by id, by external id, search. */

export const MAX_FIELDS = 50;
export const PER_PAGE = 200;
/** `page` reaches only the first 2,000 records; past them only `page_token` works. */
export const PAGE_LIMIT = 2000;
const IDS_PER_CALL = 100;
/** Search takes at most 10 criteria. */
export const SEARCH_VALUES = 10;

export interface ListOptions {
  /** Only records modified after this ISO datetime (`If-Modified-Since`); 304 means none. */
  modifiedSince?: string;
  sortBy?: 'id' | 'Modified_Time';
  signal?: AbortSignal;
  /** Fields per call; Zoho's limit is 50 (lower only to exercise the split in tests). */
  fieldsPerCall?: number;
}

interface ListAnswer {
  data?: Array<Record<string, unknown>>;
  info?: { more_records?: boolean; next_page_token?: string | null; page?: number };
}

const noData = (status: number): boolean => status === 204 || status === 304;

/**
 * The field chunks to ask for: at most 50 names per call, `Modified_Time` in the first (every
 * record carries it), `id` never (Zoho always returns it).
 */
export function splitFields(fields: string[], max = MAX_FIELDS): string[][] {
  const names = [...new Set(['Modified_Time', ...fields.filter((f) => f !== 'id')])];
  const chunks: string[][] = [];
  for (let i = 0; i < names.length; i += max) chunks.push(names.slice(i, i + max));
  return chunks;
}

function toRecord(raw: Record<string, unknown>): ZohoRecord {
  // IDs are 18-19 digit strings: never let them through as numbers.
  return { ...raw, id: String(raw.id), Modified_Time: String(raw.Modified_Time ?? '') };
}

/**
 * `If-Modified-Since` in the form Zoho documents (`2019-07-25T15:26:49+05:30`): whole seconds and a
 * numeric offset. Whether Zoho also takes milliseconds or `Z` is not documented, so never send them.
 */
export function formatModifiedSince(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}+00:00`;
}

/** Every record of a module with `fields`, page by page. */
export async function* listRecords(t: ZohoTransport, module: string, fields: string[], o: ListOptions = {}): AsyncGenerator<ZohoRecord> {
  const [first, ...rest] = splitFields(fields, o.fieldsPerCall);
  let page = 1;
  let pageToken: string | undefined;
  for (;;) {
    const query: Record<string, string | undefined> = {
      fields: first!.join(','),
      per_page: String(PER_PAGE),
      ...(o.sortBy ? { sort_by: o.sortBy, sort_order: 'asc' } : {}),
    };
    if (pageToken) query.page_token = pageToken;
    else query.page = String(page);
    const ans = await t.call({
      method: 'GET',
      path: `/${module}`,
      query,
      ...(o.modifiedSince ? { headers: { 'If-Modified-Since': formatModifiedSince(o.modifiedSince) } } : {}),
      kind: 'list',
      // Zoho counts sorted lists against the sub-concurrency of heavy calls.
      heavy: o.sortBy !== undefined,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    if (noData(ans.status)) return;
    const body = (ans.json ?? {}) as ListAnswer;
    let records = (body.data ?? []).map(toRecord);
    if (rest.length > 0 && records.length > 0) records = await addFieldChunks(t, module, records, rest, o.signal);
    for (const r of records) yield r;
    if (!body.info?.more_records || records.length === 0) return;
    if (page * PER_PAGE < PAGE_LIMIT && !pageToken) {
      page++;
    } else if (body.info.next_page_token) {
      pageToken = body.info.next_page_token;
    } else {
      throw new MlError('ZOHO_PAGE_LIMIT', `Zoho listed ${PAGE_LIMIT} records of ${module} and gave no page_token for the rest`, {
        meta: { module },
        hint: 'use an API version that supports page_token (v8)',
      });
    }
  }
}

/** Fetch the other field chunks of these records by id and merge them in. */
async function addFieldChunks(t: ZohoTransport, module: string, records: ZohoRecord[], chunks: string[][], signal?: AbortSignal): Promise<ZohoRecord[]> {
  const byId = new Map(records.map((r) => [r.id, r]));
  for (const chunk of chunks) {
    for (const more of await fetchByIds(t, module, [...byId.keys()], chunk, signal)) {
      const r = byId.get(more.id);
      if (r) Object.assign(r, more, { Modified_Time: r.Modified_Time || more.Modified_Time });
    }
  }
  return records;
}

/** `ids=` (100 per call) with exactly these fields. */
async function fetchByIds(t: ZohoTransport, module: string, ids: string[], fields: string[], signal?: AbortSignal): Promise<ZohoRecord[]> {
  const out: ZohoRecord[] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_CALL) {
    const ans = await t.call({
      method: 'GET',
      path: `/${module}`,
      query: { ids: ids.slice(i, i + IDS_PER_CALL).join(','), fields: fields.join(',') },
      kind: 'list',
      ...(signal ? { signal } : {}),
    });
    if (!noData(ans.status)) out.push(...(((ans.json ?? {}) as ListAnswer).data ?? []).map(toRecord));
  }
  return out;
}

/** Records by id (100 per call), each with `fields` (split by 50 and merged). Missing ids are left out. */
export async function getRecords(t: ZohoTransport, module: string, ids: string[], fields: string[], signal?: AbortSignal, max?: number): Promise<ZohoRecord[]> {
  const [first, ...rest] = splitFields(fields, max);
  const found = await fetchByIds(t, module, ids, first!, signal);
  return rest.length && found.length ? addFieldChunks(t, module, found, rest, signal) : found;
}

const unknownId = (status: number, json: unknown): boolean =>
  status === 204 || (status === 400 && readEnvelope(json)?.code === 'INVALID_DATA' && /id given/i.test(readEnvelope(json)?.message ?? ''));

/** One record by Zoho id; undefined when it does not exist. */
export async function getRecord(t: ZohoTransport, module: string, id: string, fields?: string[]): Promise<ZohoRecord | undefined> {
  if (fields && splitFields(fields).length > 1) return (await getRecords(t, module, [id], fields))[0];
  const ans = await t.call({
    method: 'GET',
    path: `/${module}/${encodeURIComponent(id)}`,
    query: { fields: fields ? splitFields(fields)[0]!.join(',') : undefined },
    kind: 'get',
    accept: unknownId,
  });
  return firstRecord(ans.status, ans.json);
}

/** One record by the value of an external field (`X-EXTERNAL: Module.Field`); undefined when none. */
export async function getByExternalId(t: ZohoTransport, module: string, externalField: string, value: string, fields?: string[]): Promise<ZohoRecord | undefined> {
  const ans = await t.call({
    method: 'GET',
    path: `/${module}/${encodeURIComponent(value)}`,
    query: { fields: fields ? splitFields(fields)[0]!.join(',') : undefined },
    headers: { 'X-EXTERNAL': `${module}.${externalField}` },
    kind: 'get',
    accept: unknownId,
  });
  return firstRecord(ans.status, ans.json);
}

function firstRecord(status: number, json: unknown): ZohoRecord | undefined {
  if (status !== 200) return undefined;
  const raw = ((json ?? {}) as ListAnswer).data?.[0];
  return raw ? toRecord(raw) : undefined;
}

/** Escape a search value: parentheses and commas take a backslash (and so does the backslash). */
export function escapeCriteria(value: string): string {
  return value.replace(/[\\(),]/g, (c) => `\\${c}`);
}

/** Criteria matching any of the values (at most 10). */
export function criteriaFor(field: string, values: string[]): string {
  const parts = values.map((v) => `(${field}:equals:${escapeCriteria(v)})`);
  return parts.length === 1 ? parts[0]! : `(${parts.join('or')})`;
}

/**
 * Records whose `field` equals one of `values`, by search (10 values per call). Search is
 * eventually consistent in Zoho: a record written a moment ago may be missing.
 */
export async function searchByField(t: ZohoTransport, module: string, field: string, values: string[], fields: string[]): Promise<ZohoRecord[]> {
  const unique = [...new Set(values)];
  const out = new Map<string, ZohoRecord>();
  const calls: Promise<void>[] = [];
  for (let i = 0; i < unique.length; i += SEARCH_VALUES) {
    const slice = unique.slice(i, i + SEARCH_VALUES);
    calls.push(
      (async () => {
        for (let page = 1; ; page++) {
          const ans = await t.call({
            method: 'GET',
            path: `/${module}/search`,
            query: { criteria: criteriaFor(field, slice), fields: splitFields([...fields, field])[0]!.join(','), per_page: String(PER_PAGE), page: String(page) },
            kind: 'search',
            heavy: true,
          });
          if (noData(ans.status)) return;
          const body = (ans.json ?? {}) as ListAnswer;
          for (const raw of body.data ?? []) out.set(String(raw.id), toRecord(raw));
          if (!body.info?.more_records) return;
        }
      })(),
    );
  }
  await Promise.all(calls);
  const found = [...out.values()];
  const extra = splitFields([...fields, field]).slice(1);
  return extra.length ? addFieldChunks(t, module, found, extra) : found;
}
