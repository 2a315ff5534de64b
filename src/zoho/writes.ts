import { isMlError, MlError } from '../support/errors.js';
import { WRITE_BATCH, type ZohoCallKind } from './credits.js';
import type { ZohoTransport } from './transport.js';

/** Writes in batches of at most 100, sent concurrently through the queue. */

/** The outcome of one record of a write. `index` is its position in the input. */
export interface WriteResult {
  ok: boolean;
  index: number;
  id?: string;
  action?: 'insert' | 'update' | 'delete';
  /** The field an upsert matched on (null on insert). */
  duplicateField?: string | null;
  modifiedTime?: string;
  /** Zoho's code (`INVALID_DATA`, `DUPLICATE_DATA`, `MANDATORY_NOT_FOUND`...) or ours for a failed call. */
  code?: string;
  /** The field at fault (`details.api_name`). */
  field?: string;
  message?: string;
}

export interface WriteOptions {
  /** Automation to run (`workflow`, `approval`, `blueprint`...). Default: the connection's, else none. */
  trigger?: string[];
  signal?: AbortSignal;
}

export interface UpsertOptions extends WriteOptions {
  duplicateCheckFields: string[];
}

interface RawResult {
  code?: string;
  status?: string;
  message?: string;
  action?: string;
  duplicate_field?: string | null;
  details?: Record<string, unknown>;
}

/** Codes that say the whole run cannot work (no point sending the other batches). */
const SYSTEMIC = /^ZOHO_(REAUTH_REQUIRED|WRONG_DATA_CENTER|AUTH_FAILED|TOKEN_THROTTLED|TOKEN_UNAVAILABLE|INVALID_TOKEN|INVALID_MODULE|OAUTH_SCOPE_MISMATCH|NO_PERMISSION|INVALID_URL_PATTERN|FEATURE_NOT_SUPPORTED)$/;

/** One per-record entry of `data[]`, as a WriteResult. */
export function readWriteResult(raw: RawResult | undefined, index: number, kind: ZohoCallKind): WriteResult {
  if (!raw) return { ok: false, index, code: 'ZOHO_NO_RESULT', message: 'Zoho returned no result for this record' };
  const details = raw.details ?? {};
  if (raw.status === 'success') {
    const action = kind === 'delete' ? 'delete' : kind === 'update' ? 'update' : raw.action === 'update' ? 'update' : 'insert';
    return {
      ok: true,
      index,
      ...(details.id !== undefined ? { id: String(details.id) } : {}),
      action,
      ...(kind === 'upsert' ? { duplicateField: raw.duplicate_field ?? null } : {}),
      ...(typeof details.Modified_Time === 'string' ? { modifiedTime: details.Modified_Time } : {}),
    };
  }
  const field = typeof details.api_name === 'string' ? details.api_name : undefined;
  const extra = ['expected_data_type', 'maximum_length', 'supported_values']
    .filter((k) => details[k] !== undefined)
    .map((k) => `${k}: ${JSON.stringify(details[k])}`);
  return {
    ok: false,
    index,
    code: raw.code ?? 'ZOHO_ERROR',
    ...(field ? { field } : {}),
    message: `${raw.message ?? 'failed'}${field ? ` (${field})` : ''}${extra.length ? ` [${extra.join(', ')}]` : ''}`,
  };
}

/** 207 (mixed) and 400 with one `data[]` entry per record (all failed) are answers, not errors. */
const perRecordAnswer =
  (size: number) =>
  (status: number, json: unknown): boolean =>
    (status === 207 || status === 400) && Array.isArray((json as { data?: unknown } | undefined)?.data) && (json as { data: unknown[] }).data.length === size;

/** One record to write and what the caller knows it by. */
export interface WriteItem<T> {
  record: Record<string, unknown>;
  tag: T;
}

export interface StreamOptions<T> {
  trigger: string[];
  signal?: AbortSignal;
  /** Stop pulling new records (what is in flight finishes and is reported). */
  stop?: () => boolean;
  /** Each batch's results, as the batch returns (in completion order). Awaited: a slow commit holds the stream back. */
  onBatch: (results: Array<{ tag: T; result: WriteResult }>) => Promise<void>;
  /** Batches in flight at most (the transport's queue limits the calls; this bounds memory). */
  window: number;
}

type BatchSender = (records: Record<string, unknown>[], guard: () => void) => Promise<{ json: unknown }>;

/**
 * Write records in batches of at most 100, as they come: up to `window` batches in flight (the
 * transport's queue caps the calls at the connection's concurrency), each batch's per-record
 * results handed to `onBatch` as it returns. A failed call fails its records with the error's
 * code; after a systemic error (auth, module, scope) no further batch is sent and the remaining
 * records fail with ZOHO_NOT_SENT. Throws (that systemic error) only when nothing at all was written.
 */
export async function writeStream<T>(items: AsyncIterable<WriteItem<T>> | Iterable<WriteItem<T>>, kind: ZohoCallKind, send: BatchSender, o: StreamOptions<T>): Promise<void> {
  let systemic: MlError | undefined;
  let written = 0;
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const run = async (batch: WriteItem<T>[]): Promise<void> => {
    let results: WriteResult[];
    if (systemic) {
      results = batch.map((_, index) => ({ ok: false, index, code: 'ZOHO_NOT_SENT', message: `not sent: ${systemic!.message}` }));
    } else {
      const guard = (): void => {
        if (systemic) throw new MlError('ZOHO_NOT_SENT', `not sent: ${systemic.message}`);
      };
      try {
        const ans = await send(batch.map((b) => b.record), guard);
        const data = ((ans.json ?? {}) as { data?: RawResult[] }).data ?? [];
        results = batch.map((_, i) => readWriteResult(data[i], i, kind));
      } catch (err) {
        if (isMlError(err) && SYSTEMIC.test(err.code)) systemic ??= err as MlError;
        const code = isMlError(err) ? err.code : 'ZOHO_CALL_FAILED';
        const message = err instanceof Error ? err.message : String(err);
        results = batch.map((_, index) => ({ ok: false, index, code, message }));
      }
    }
    written += results.filter((r) => r.ok).length;
    await o.onBatch(batch.map((b, i) => ({ tag: b.tag, result: results[i]! })));
  };
  const launch = (batch: WriteItem<T>[]): void => {
    const p: Promise<void> = run(batch).catch((err: unknown) => { failure ??= err; }).finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  let batch: WriteItem<T>[] = [];
  for await (const item of items) {
    if (o.stop?.() || failure !== undefined) break;
    batch.push(item);
    if (batch.length < WRITE_BATCH) continue;
    launch(batch);
    batch = [];
    while (inFlight.size >= Math.max(1, o.window)) await Promise.race(inFlight);
  }
  if (batch.length > 0 && !o.stop?.() && failure === undefined) launch(batch);
  while (inFlight.size > 0) await Promise.race(inFlight);
  if (failure !== undefined) throw failure;
  if (systemic && written === 0) throw systemic;
}

/** Send a whole array and collect per-record results in input order (small writes, tests). */
async function writeAll(records: Record<string, unknown>[], kind: ZohoCallKind, send: BatchSender, o: { trigger: string[]; signal?: AbortSignal }): Promise<WriteResult[]> {
  const results: WriteResult[] = new Array<WriteResult>(records.length);
  await writeStream(records.map((record, tag) => ({ record, tag })), kind, send, {
    ...o, window: Math.max(1, Math.ceil(records.length / WRITE_BATCH)),
    onBatch: async (batch) => {
      for (const { tag, result } of batch) results[tag] = { ...result, index: tag };
    },
  });
  return results;
}

function sender(t: ZohoTransport, kind: 'upsert' | 'update', method: 'POST' | 'PUT', path: string, o: { trigger: string[]; signal?: AbortSignal; extra?: Record<string, unknown> }): BatchSender {
  return (items, guard) => t.call({
    beforeSend: guard,
    method,
    path,
    body: { data: items, trigger: o.trigger, ...o.extra },
    kind,
    records: items.length,
    heavy: items.length > 10,
    accept: perRecordAnswer(items.length),
    ...(o.signal ? { signal: o.signal } : {}),
  });
}

/** POST /{module}/upsert, matching on `duplicateCheckFields` (the mapping's external-id field). */
export function upsertSender(t: ZohoTransport, module: string, o: UpsertOptions & { trigger: string[] }): BatchSender {
  return sender(t, 'upsert', 'POST', `/${module}/upsert`, { ...o, extra: { duplicate_check_fields: o.duplicateCheckFields } });
}

/** PUT /{module}: each record carries its `id`. */
export function updateSender(t: ZohoTransport, module: string, o: WriteOptions & { trigger: string[] }): BatchSender {
  const send = sender(t, 'update', 'PUT', `/${module}`, o);
  return (items, guard) => {
    const missing = items.findIndex((r) => typeof r.id !== 'string' || r.id === '');
    if (missing >= 0) throw new MlError('ZOHO_UPDATE_WITHOUT_ID', `Record ${missing} of an update to ${module} has no id`, { meta: { module, index: missing } });
    return send(items, guard);
  };
}

/** DELETE /{module}?ids=... (workflow rules not triggered); records are `{ id }`. */
export function deleteSender(t: ZohoTransport, module: string, signal?: AbortSignal): BatchSender {
  return (items, guard) => t.call({
    beforeSend: guard,
    method: 'DELETE',
    path: `/${module}`,
    query: { ids: items.map((r) => String(r.id)).join(','), wf_trigger: 'false' },
    kind: 'delete',
    records: items.length,
    accept: perRecordAnswer(items.length),
    ...(signal ? { signal } : {}),
  });
}

export function upsertRecords(t: ZohoTransport, module: string, records: Record<string, unknown>[], o: UpsertOptions & { trigger: string[] }): Promise<WriteResult[]> {
  return writeAll(records, 'upsert', upsertSender(t, module, o), o);
}

export function updateRecords(t: ZohoTransport, module: string, records: Record<string, unknown>[], o: WriteOptions & { trigger: string[] }): Promise<WriteResult[]> {
  return writeAll(records, 'update', updateSender(t, module, o), o);
}

/** DELETE /{module}?ids=... (100 per call). Workflow rules are not triggered. */
export function deleteRecords(t: ZohoTransport, module: string, ids: string[], signal?: AbortSignal): Promise<WriteResult[]> {
  return writeAll(ids.map((id) => ({ id })), 'delete', deleteSender(t, module, signal), { trigger: [], ...(signal ? { signal } : {}) });
}
