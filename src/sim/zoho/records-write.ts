import { json, zohoError, type Reply } from './http-io.js';
import { parseZohoTime } from './ids.js';
import { API_USER, type Org } from './org.js';
import type { ModuleDef } from './schema.js';
import type { ModuleStore, StoredRecord } from './store.js';
import { cleanRecord, isRecordError, mandatoryMissing, recordError, type CleanRecord, type RecordError } from './validate.js';

/**
 * Insert, update, upsert and delete with Zoho's per-record results: one entry per input record,
 * in input order; 201 all inserted, 200 all succeeded, 207 mixed, 400 all failed.
 */

export type WriteOp = 'insert' | 'update' | 'upsert';

/** Called after a write with what changed, to send notifications. */
export type ChangeListener = (module: string, operation: 'insert' | 'update' | 'delete', ids: string[], affected: Map<string, string[]>) => void;

export interface WriteRequest {
  op: WriteOp;
  body: unknown;
  /** `PUT /{module}/{id}`: the id (or external value) from the path. */
  pathId?: string;
  /** External field named by X-EXTERNAL, for a path id or `id` values given as external values. */
  externalField?: string;
  ifUnmodifiedSince?: number;
}

export const MAX_WRITE = 100;

type Result = Record<string, unknown>;

/** Number of records a write body carries (for credits and sub-concurrency), before validation. */
export function countRecords(body: unknown): number {
  const data = (body as { data?: unknown } | undefined)?.data;
  return Array.isArray(data) ? data.length : 0;
}

export function handleWrite(org: Org, store: ModuleStore, req: WriteRequest, onChange: ChangeListener): Reply {
  const body = req.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return zohoError(400, 'INVALID_DATA', 'body', { expected_data_type: 'jsonobject' });
  }
  const data = (body as { data?: unknown }).data;
  if (data === undefined) return zohoError(400, 'MANDATORY_NOT_FOUND', 'required field not found', { api_name: 'data', json_path: '$.data' });
  if (!Array.isArray(data) || data.length === 0) {
    return zohoError(400, 'INVALID_DATA', 'invalid data', { api_name: 'data', json_path: '$.data', expected_data_type: 'jsonarray' });
  }
  if (data.length > MAX_WRITE) return zohoError(400, 'LIMIT_EXCEEDED', 'limit exceeded', { api_name: 'data', json_path: '$.data', limit: MAX_WRITE });
  const trigger = (body as { trigger?: unknown }).trigger;
  if (trigger !== undefined && (!Array.isArray(trigger) || trigger.some((t) => !['workflow', 'approval', 'blueprint'].includes(t as string)))) {
    return zohoError(400, 'INVALID_DATA', 'invalid data', { api_name: 'trigger', json_path: '$.trigger' });
  }
  let checkOrder: string[] = [];
  if (req.op === 'upsert') {
    const order = duplicateCheckOrder(store, (body as { duplicate_check_fields?: unknown }).duplicate_check_fields);
    if (!Array.isArray(order)) return order;
    checkOrder = order;
  }

  const results: Result[] = [];
  const inserted: string[] = [];
  const updated: string[] = [];
  const affected = new Map<string, string[]>();
  let allInserts = true;
  for (let i = 0; i < data.length; i++) {
    const out = writeOne(org, store, req, data[i], i, checkOrder);
    results.push(out.result);
    if (out.action === 'insert') inserted.push(out.id);
    else if (out.action === 'update') {
      updated.push(out.id);
      affected.set(out.id, out.changed);
    }
    if (out.action !== 'insert') allInserts = false;
  }
  if (inserted.length) onChange(store.def.apiName, 'insert', inserted, new Map());
  if (updated.length) onChange(store.def.apiName, 'update', updated, affected);

  const ok = inserted.length + updated.length;
  const status = ok === 0 ? 400 : ok < data.length ? 207 : req.op === 'insert' && allInserts ? 201 : 200;
  if (ok === 0 && results.every((r) => r.code === 'ALREADY_MODIFIED')) return json(412, { data: results });
  return json(status, { data: results });
}

/**
 * The fields an upsert checks, in order (§2.3): with `duplicate_check_fields`, the listed fields
 * in the given order, then the remaining user unique fields; system fields only if listed.
 * Without it: the system field first, then the user unique fields.
 */
function duplicateCheckOrder(store: ModuleStore, given: unknown): string[] | Reply {
  const userUnique = store.def.fields.filter((f) => f.unique).map((f) => f.apiName);
  if (given === undefined || given === null) return [store.def.systemDuplicateField, ...userUnique];
  if (!Array.isArray(given)) {
    return zohoError(400, 'INVALID_DATA', 'invalid data', { api_name: 'duplicate_check_fields', json_path: '$.duplicate_check_fields', expected_data_type: 'jsonarray' });
  }
  for (let i = 0; i < given.length; i++) {
    const name = given[i];
    if (typeof name !== 'string' || !store.isIndexed(name)) {
      return zohoError(400, 'INVALID_DATA', 'invalid data', { api_name: 'duplicate_check_fields', json_path: `$.duplicate_check_fields[${i}]` });
    }
  }
  const listed = given as string[];
  return [...listed, ...userUnique.filter((f) => !listed.includes(f))];
}

interface OneOutcome {
  result: Result;
  action: 'insert' | 'update' | 'error';
  id: string;
  changed: string[];
}

const failed = (error: RecordError): OneOutcome => ({ result: { ...error }, action: 'error', id: '', changed: [] });

function writeOne(org: Org, store: ModuleStore, req: WriteRequest, input: unknown, index: number, checkOrder: string[]): OneOutcome {
  const clean = cleanRecord(org, store.def, input, index);
  if (isRecordError(clean)) return failed(clean);
  const raw = input as Record<string, unknown>;

  if (req.op === 'insert') return insertOne(org, store, clean, index);
  if (req.op === 'update') {
    const key = req.pathId ?? raw.id;
    if (key === undefined || key === null || key === '') return failed(mandatoryMissing('id', index));
    const target = findTarget(store, String(key), req.externalField);
    if (!target) return failed(recordError('INVALID_DATA', 'the id given seems to be invalid', { api_name: 'id', json_path: `$.data[${index}].id` }));
    return updateOne(org, store, target, clean, index, req.ifUnmodifiedSince, null);
  }
  for (const field of checkOrder) {
    const value = clean.changes[field];
    const ids = store.findBy(field, value);
    if (ids.length === 0) continue;
    const id = org.quirks.upsertMultipleMatches === 'newest' ? ids[ids.length - 1] : ids[0];
    const target = id === undefined ? undefined : store.get(id);
    if (target) return updateOne(org, store, target, clean, index, req.ifUnmodifiedSince, field);
  }
  return insertOne(org, store, clean, index, true);
}

function findTarget(store: ModuleStore, key: string, externalField?: string): StoredRecord | undefined {
  if (externalField) {
    const id = store.findBy(externalField, key)[0];
    return id === undefined ? undefined : store.get(id);
  }
  return store.get(key);
}

function mandatoryFields(def: ModuleDef): string[] {
  return def.fields.filter((f) => f.mandatory).map((f) => f.apiName);
}

/** A unique field already holding this value on another record gives DUPLICATE_DATA. */
function uniqueConflict(org: Org, store: ModuleStore, changes: Record<string, unknown>, selfId: string | undefined, index: number): RecordError | undefined {
  for (const f of store.def.fields) {
    if (!f.unique || changes[f.apiName] === undefined || changes[f.apiName] === null) continue;
    const other = store.findBy(f.apiName, changes[f.apiName]).find((id) => id !== selfId);
    if (other === undefined) continue;
    const rec = store.get(other);
    const owner = org.user(rec?.ownerId ?? '') ?? API_USER;
    return recordError('DUPLICATE_DATA', 'duplicate data', {
      api_name: f.apiName,
      json_path: `$.data[${index}].${f.apiName}`,
      more_records: false,
      duplicate_record: {
        id: other,
        Owner: { name: `${owner.firstName} ${owner.lastName}`, id: owner.id, zuid: owner.zuid },
        module: { api_name: store.def.apiName, id: store.def.id },
      },
    });
  }
  return undefined;
}

export function withDerived(store: ModuleStore, values: Record<string, unknown>): Record<string, unknown> {
  if (store.def.apiName === 'Contacts') {
    const full = [values.First_Name, values.Last_Name].filter((v) => typeof v === 'string' && v !== '').join(' ');
    values.Full_Name = full === '' ? null : full;
  }
  return values;
}

/** A record's values with `changes` applied (null clears a field), and the names of the fields that changed. */
export function mergeChanges(store: ModuleStore, target: StoredRecord, changes: Record<string, unknown>): { values: Record<string, unknown>; changed: string[] } {
  const values = { ...target.values };
  const changed: string[] = [];
  for (const [k, v] of Object.entries(changes)) {
    if ((values[k] ?? null) !== v) changed.push(k);
    if (v === null) delete values[k];
    else values[k] = v;
  }
  return { values: withDerived(store, values), changed };
}

function insertOne(org: Org, store: ModuleStore, clean: CleanRecord, index: number, upsert = false): OneOutcome {
  for (const field of mandatoryFields(store.def)) {
    const v = clean.changes[field];
    if (v === undefined || v === null) return failed(mandatoryMissing(field, index));
  }
  const conflict = uniqueConflict(org, store, clean.changes, undefined, index);
  if (conflict) return failed(conflict);
  const now = org.nowSeconds();
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(clean.changes)) if (v !== null) values[k] = v;
  const rec: StoredRecord = {
    id: org.ids.take(),
    values: withDerived(store, values),
    ownerId: clean.ownerId ?? API_USER.id,
    createdById: API_USER.id,
    modifiedById: API_USER.id,
    createdAt: now,
    modifiedAt: now,
  };
  store.put(rec);
  const result: Result = { code: 'SUCCESS', details: org.writeDetails(rec), message: 'record added', status: 'success' };
  if (upsert) Object.assign(result, { duplicate_field: null, action: 'insert' });
  return { result, action: 'insert', id: rec.id, changed: [] };
}

function updateOne(
  org: Org,
  store: ModuleStore,
  target: StoredRecord,
  clean: CleanRecord,
  index: number,
  ifUnmodifiedSince: number | undefined,
  duplicateField: string | null,
): OneOutcome {
  if (ifUnmodifiedSince !== undefined && target.modifiedAt > ifUnmodifiedSince) {
    return failed(recordError('ALREADY_MODIFIED', 'record modified after the given time', { id: target.id, json_path: `$.data[${index}]` }));
  }
  for (const field of mandatoryFields(store.def)) {
    if (field in clean.changes && clean.changes[field] === null) return failed(mandatoryMissing(field, index));
  }
  const conflict = uniqueConflict(org, store, clean.changes, target.id, index);
  if (conflict) return failed(conflict);
  const { values, changed } = mergeChanges(store, target, clean.changes);
  if (clean.ownerId !== undefined && clean.ownerId !== target.ownerId) changed.push('Owner');
  const rec: StoredRecord = {
    ...target,
    values,
    ownerId: clean.ownerId ?? target.ownerId,
    modifiedById: API_USER.id,
    modifiedAt: org.nowSeconds(),
  };
  store.put(rec);
  const result: Result = { code: 'SUCCESS', details: org.writeDetails(rec), message: 'record updated', status: 'success' };
  if (duplicateField !== null) Object.assign(result, { duplicate_field: duplicateField, action: 'update' });
  return { result, action: 'update', id: rec.id, changed };
}

/** `DELETE /{module}?ids=` or `/{module}/{id}`; ids may be external values with X-EXTERNAL. */
export function handleDelete(org: Org, store: ModuleStore, keys: string[], externalField: string | undefined, onChange: ChangeListener): Reply {
  if (keys.length === 0) return zohoError(400, 'REQUIRED_PARAM_MISSING', 'One of the expected parameter is missing', { param_name: 'ids' });
  if (keys.length > MAX_WRITE) return zohoError(400, 'LIMIT_EXCEEDED', 'limit exceeded', { param_name: 'ids', limit: MAX_WRITE });
  const results: Result[] = [];
  const deleted: string[] = [];
  for (const key of keys) {
    const target = findTarget(store, key, externalField);
    if (!target) {
      results.push({ ...recordError('INVALID_DATA', 'the id given seems to be invalid', { id: key }) });
      continue;
    }
    store.remove(target.id, { userId: API_USER.id, at: org.nowSeconds() });
    deleted.push(target.id);
    results.push({ code: 'SUCCESS', details: { id: target.id }, message: 'record deleted', status: 'success' });
  }
  if (deleted.length) onChange(store.def.apiName, 'delete', deleted, new Map());
  const status = deleted.length === 0 ? 400 : deleted.length < keys.length ? 207 : 200;
  return json(status, { data: results });
}

/** Parse If-Unmodified-Since / If-Modified-Since (ISO with offset, as Zoho documents; HTTP-date tolerated). */
export function parseSinceHeader(value: string | undefined): number | undefined | 'invalid' {
  if (value === undefined || value === '') return undefined;
  const iso = parseZohoTime(value);
  if (iso !== undefined) return iso;
  const http = Date.parse(value);
  return /GMT$/.test(value) && Number.isFinite(http) ? http : 'invalid';
}
