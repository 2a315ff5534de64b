import { isZohoDate, parseZohoTime } from './ids.js';
import type { Org } from './org.js';
import type { FieldDef, ModuleDef } from './schema.js';

/**
 * Per-record validation of a write, answering with the per-record error shapes of the v8
 * reference (§2.2): INVALID_DATA with expected_data_type / maximum_length / supported_values,
 * MANDATORY_NOT_FOUND, and "the id given seems to be invalid" for lookups to nothing.
 */

export interface RecordError {
  code: string;
  details: Record<string, unknown>;
  message: string;
  status: 'error';
}

export interface CleanRecord {
  /** Field values to write; null clears a field. Lookups/owners reduced to the referenced id. */
  changes: Record<string, unknown>;
  ownerId?: string;
}

const EMAIL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$/;
const PHONE = /^[0-9+\-().\s/#*xXextEXT]*[0-9][0-9+\-().\s/#*xXextEXT]*$/;
const WEBSITE = /^(https?:\/\/)?[^\s/.]+(\.[^\s/.]+)+(\/\S*)?$/;
const DIGITS = /^\d{1,19}$/;

/** Keys a client may send that Zoho silently ignores (system, read-only, meta). */
const IGNORED = new Set(['id', 'Created_Time', 'Modified_Time', 'Created_By', 'Modified_By', 'Full_Name', 'Layout', 'Tag']);

export const recordError = (code: string, message: string, details: Record<string, unknown>): RecordError => ({
  code,
  details,
  message,
  status: 'error',
});

const invalid = (f: string, path: string, extra: Record<string, unknown>, message = 'invalid data'): RecordError =>
  recordError('INVALID_DATA', message, { ...extra, api_name: f, json_path: path });

export const mandatoryMissing = (field: string, index: number): RecordError =>
  recordError('MANDATORY_NOT_FOUND', 'required field not found', { api_name: field, json_path: `$.data[${index}].${field}` });

/**
 * Check every key of one input record; returns the cleaned changes, or the first error
 * (or all of them as MULTIPLE_OR_MULTI_ERRORS, with quirk multipleErrors: 'combined').
 */
export function cleanRecord(org: Org, def: ModuleDef, input: unknown, index: number): CleanRecord | RecordError {
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    return recordError('INVALID_DATA', 'invalid data', { expected_data_type: 'jsonobject', json_path: `$.data[${index}]` });
  }
  const changes: Record<string, unknown> = {};
  const errors: RecordError[] = [];
  const combine = org.quirks.multipleErrors === 'combined';
  let ownerId: string | undefined;
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    if (key.startsWith('$') || IGNORED.has(key)) continue;
    const path = `$.data[${index}].${key}`;
    const f = def.byName.get(key);
    let error: RecordError | undefined;
    if (!f) {
      if (org.quirks.unknownFields === 'ignore') continue;
      error = invalid(key, path, {}, 'the field api name given seems to be invalid');
    } else if (f.readOnly) {
      continue;
    } else if (f.type === 'ownerlookup') {
      const id = refId(value);
      if (id === undefined || !org.user(id)) error = invalid(key, path, { expected_data_type: 'ownerlookup' }, 'the id given seems to be invalid');
      else ownerId = id;
    } else {
      const checked = checkValue(org, f, value, path);
      if (isRecordError(checked)) error = checked;
      else changes[key] = checked;
    }
    if (!error) continue;
    if (!combine) return error;
    errors.push(error);
  }
  if (errors.length === 1) return errors[0]!;
  if (errors.length > 1) {
    return recordError('MULTIPLE_OR_MULTI_ERRORS', 'multiple errors occurred', {
      errors: errors.map(({ code, details, message }) => ({ code, details, message })),
    });
  }
  return ownerId === undefined ? { changes } : { changes, ownerId };
}

export function isRecordError(x: unknown): x is RecordError {
  return typeof x === 'object' && x !== null && (x as { status?: unknown }).status === 'error';
}

function refId(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'string' && DIGITS.test(id) ? id : undefined;
}

const codePoints = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** One value against its field: returns the value to store (null clears) or an error. */
function checkValue(org: Org, f: FieldDef, value: unknown, path: string): unknown {
  if (value === null || value === '') return null;
  const name = f.apiName;
  if (f.type === 'lookup') {
    const id = refId(value);
    if (id === undefined) return invalid(name, path, { expected_data_type: 'jsonobject' });
    if (f.lookupModule && !org.store(f.lookupModule)?.get(id)) {
      return invalid(name, path, { expected_data_type: 'lookup', id }, 'the id given seems to be invalid');
    }
    return id;
  }
  if (f.type === 'boolean') return typeof value === 'boolean' ? value : invalid(name, path, { expected_data_type: 'boolean' });
  if (f.type === 'integer' || f.type === 'double') {
    const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
    if (!Number.isFinite(n) || (f.type === 'integer' && !Number.isInteger(n))) return invalid(name, path, { expected_data_type: f.type });
    return n;
  }
  if (typeof value !== 'string') return invalid(name, path, { expected_data_type: f.type === 'textarea' ? 'textarea' : f.type });
  if (f.length !== undefined && codePoints(value) > f.length) return invalid(name, path, { maximum_length: f.length });
  switch (f.type) {
    case 'email':
      return EMAIL.test(value) ? value : invalid(name, path, { expected_data_type: 'email' });
    case 'phone':
      return PHONE.test(value) ? value : invalid(name, path, { expected_data_type: 'phone' });
    case 'website':
      return WEBSITE.test(value) ? value : invalid(name, path, { expected_data_type: 'website' });
    case 'date':
      return isZohoDate(value) ? value : invalid(name, path, { expected_data_type: 'date' });
    case 'datetime':
      return parseZohoTime(value) !== undefined ? value : invalid(name, path, { expected_data_type: 'datetime' });
    case 'picklist': {
      if (value === '-None-') return null;
      const values = f.picklist ?? [];
      if (values.includes(value) || org.quirks.picklistValues === 'accept') return value;
      return invalid(name, path, { supported_values: values.filter((v) => v !== '-None-') });
    }
    default:
      return value;
  }
}
