import { isMlError, MlError } from '../support/errors.js';
import { WRITE_BATCH, type ZohoCallKind } from './credits.js';
import type { ZohoTransport } from './transport.js';

/** Writes in batches of at most 100, sent concurrently through the queue; results in input order. */

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

interface Batch {
  start: number;
  size: number;
  /** `guard` runs when the call leaves the queue; it throws to stop a batch not yet sent. */
  send: (guard: () => void) => Promise<{ json: unknown }>;
}

/**
 * Send batches concurrently and collect per-record results in input order. A failed call marks
 * its records failed with the error's code; after a systemic error (auth, module, scope) the
 * batches not yet sent are not sent. Throws only when nothing at all was written, so that
 * what was written is never lost to an exception.
 */
async function runBatches(total: number, batches: Batch[], kind: ZohoCallKind): Promise<WriteResult[]> {
  const results: WriteResult[] = new Array<WriteResult>(total);
  let systemic: MlError | undefined;
  await Promise.all(
    batches.map(async (b) => {
      const guard = (): void => {
        if (systemic) throw new MlError('ZOHO_NOT_SENT', `not sent: ${systemic.message}`);
      };
      try {
        const ans = await b.send(guard);
        const data = ((ans.json ?? {}) as { data?: RawResult[] }).data ?? [];
        for (let i = 0; i < b.size; i++) results[b.start + i] = readWriteResult(data[i], b.start + i, kind);
      } catch (err) {
        if (isMlError(err) && SYSTEMIC.test(err.code)) systemic ??= err as MlError;
        const code = isMlError(err) ? err.code : 'ZOHO_CALL_FAILED';
        const message = err instanceof Error ? err.message : String(err);
        for (let i = 0; i < b.size; i++) results[b.start + i] = { ok: false, index: b.start + i, code, message };
      }
    }),
  );
  if (systemic && !results.some((r) => r.ok)) throw systemic;
  return results;
}

function batchesOf<T>(items: T[]): Array<{ start: number; items: T[] }> {
  const out: Array<{ start: number; items: T[] }> = [];
  for (let i = 0; i < items.length; i += WRITE_BATCH) out.push({ start: i, items: items.slice(i, i + WRITE_BATCH) });
  return out;
}

/** POST /{module}/upsert, matching on `duplicateCheckFields` (the mapping's external-id field). */
export function upsertRecords(t: ZohoTransport, module: string, records: Record<string, unknown>[], o: UpsertOptions & { trigger: string[] }): Promise<WriteResult[]> {
  return writeRecords(t, 'upsert', 'POST', `/${module}/upsert`, records, { ...o, extra: { duplicate_check_fields: o.duplicateCheckFields } });
}

/** PUT /{module}: each record carries its `id`. */
export function updateRecords(t: ZohoTransport, module: string, records: Record<string, unknown>[], o: WriteOptions & { trigger: string[] }): Promise<WriteResult[]> {
  const missing = records.findIndex((r) => typeof r.id !== 'string' || r.id === '');
  if (missing >= 0) throw new MlError('ZOHO_UPDATE_WITHOUT_ID', `Record ${missing} of an update to ${module} has no id`, { meta: { module, index: missing } });
  return writeRecords(t, 'update', 'PUT', `/${module}`, records, o);
}

/** POST /{module}: plain inserts (no duplicate check beyond unique fields). */
export function insertRecords(t: ZohoTransport, module: string, records: Record<string, unknown>[], o: WriteOptions & { trigger: string[] }): Promise<WriteResult[]> {
  return writeRecords(t, 'insert', 'POST', `/${module}`, records, o);
}

function writeRecords(
  t: ZohoTransport,
  kind: 'upsert' | 'update' | 'insert',
  method: 'POST' | 'PUT',
  path: string,
  records: Record<string, unknown>[],
  o: WriteOptions & { trigger: string[]; extra?: Record<string, unknown> },
): Promise<WriteResult[]> {
  const batches = batchesOf(records).map(
    (b): Batch => ({
      start: b.start,
      size: b.items.length,
      send: (guard) =>
        t.call({
          beforeSend: guard,
          method,
          path,
          body: { data: b.items, trigger: o.trigger, ...o.extra },
          kind,
          records: b.items.length,
          heavy: b.items.length > 10,
          accept: perRecordAnswer(b.items.length),
          ...(o.signal ? { signal: o.signal } : {}),
        }),
    }),
  );
  return runBatches(records.length, batches, kind);
}

/** DELETE /{module}?ids=... (100 per call). Workflow rules are not triggered. */
export function deleteRecords(t: ZohoTransport, module: string, ids: string[], signal?: AbortSignal): Promise<WriteResult[]> {
  const batches = batchesOf(ids).map(
    (b): Batch => ({
      start: b.start,
      size: b.items.length,
      send: (guard) =>
        t.call({
          beforeSend: guard,
          method: 'DELETE',
          path: `/${module}`,
          query: { ids: b.items.join(','), wf_trigger: 'false' },
          kind: 'delete',
          records: b.items.length,
          accept: perRecordAnswer(b.items.length),
          ...(signal ? { signal } : {}),
        }),
    }),
  );
  return runBatches(ids.length, batches, 'delete');
}

