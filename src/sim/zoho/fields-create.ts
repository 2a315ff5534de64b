import { json, zohoError, type Reply } from './http-io.js';
import type { Org } from './org.js';
import type { FieldDef, ZohoDataType } from './schema.js';
import { missingModule } from './settings-api.js';

/**
 * `POST /crm/v8/settings/fields?module=X` (zoho/crm-oas v8.0 fields.json, createFields): custom
 * fields from `{"fields":[{field_label, data_type, length, unique, pick_list_values, lookup}]}`,
 * 1 to 25 per call. The API name is not sent: Zoho derives it from the label (letters, digits,
 * underscores; spaces and other characters become `_`), so "PeopleSoft Employee ID" becomes
 * `PeopleSoft_Employee_ID`. Answers 201 when every field was created, 207 when some were, 400
 * `{"fields":[errors]}` when none was; each entry `{code, details, message, status}` in input
 * order, `details.json_path` naming the offending key.
 */

const CREATABLE: Record<string, { type: ZohoDataType; maxLength?: number; defaultLength?: number }> = {
  text: { type: 'text', maxLength: 255, defaultLength: 255 },
  textarea: { type: 'textarea', maxLength: 32000, defaultLength: 32000 },
  email: { type: 'email', defaultLength: 100 },
  phone: { type: 'phone', maxLength: 50, defaultLength: 30 },
  website: { type: 'website', maxLength: 255, defaultLength: 255 },
  picklist: { type: 'picklist' },
  date: { type: 'date' },
  datetime: { type: 'datetime' },
  lookup: { type: 'lookup' },
  boolean: { type: 'boolean' },
  integer: { type: 'integer', maxLength: 9, defaultLength: 9 },
  double: { type: 'double', maxLength: 16, defaultLength: 16 },
};

const MAX_PER_CALL = 25;

/** Zoho's rule for generated API names (Setup > Developer Space > APIs > API names). */
export function apiNameFromLabel(label: string): string {
  return label.trim().replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '').replace(/^(\d)/, 'Field_$1');
}

type Entry = Record<string, unknown>;
const fail = (code: string, message: string, details: Record<string, unknown>): Entry => ({ code, details, message, status: 'error' });

function createOne(org: Org, module: string, raw: unknown, i: number, labels: Set<string>): { entry: Entry; field?: FieldDef } {
  const at = (key: string): string => `$.fields[${i}].${key}`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { entry: fail('INVALID_DATA', 'invalid data', { api_name: 'fields', json_path: `$.fields[${i}]` }) };
  const f = raw as Record<string, unknown>;
  if (typeof f.field_label !== 'string' || f.field_label.trim() === '') {
    return { entry: fail('MANDATORY_NOT_FOUND', 'required field not found', { api_name: 'field_label', json_path: at('field_label') }) };
  }
  const label = f.field_label.trim();
  if (label.length > 50) return { entry: fail('INVALID_DATA', 'invalid data', { api_name: 'field_label', json_path: at('field_label'), maximum_length: 50 }) };
  if (typeof f.data_type !== 'string') return { entry: fail('MANDATORY_NOT_FOUND', 'required field not found', { api_name: 'data_type', json_path: at('data_type') }) };
  const kind = CREATABLE[f.data_type];
  if (!kind) return { entry: fail('INVALID_DATA', 'invalid data', { api_name: 'data_type', json_path: at('data_type'), supported_values: Object.keys(CREATABLE) }) };
  const apiName = apiNameFromLabel(label);
  const def = org.modules.get(module)!;
  if (labels.has(label.toLowerCase()) || def.fields.some((x) => x.label.toLowerCase() === label.toLowerCase() || x.apiName.toLowerCase() === apiName.toLowerCase())) {
    return { entry: fail('DUPLICATE_DATA', 'duplicate data', { api_name: 'field_label', json_path: at('field_label') }) };
  }
  let length: number | undefined = kind.defaultLength;
  if (f.length !== undefined) {
    if (typeof f.length !== 'number' || !Number.isInteger(f.length)) return { entry: fail('INVALID_DATA', 'invalid data', { api_name: 'length', json_path: at('length'), expected_data_type: 'integer' }) };
    if (kind.maxLength === undefined) return { entry: fail('NOT_ALLOWED', 'length is not allowed for this data type', { api_name: 'length', json_path: at('length') }) };
    if (f.length < 1 || f.length > kind.maxLength) return { entry: fail('INVALID_DATA', 'invalid data', { api_name: 'length', json_path: at('length'), range: { from: 1, to: kind.maxLength } }) };
    length = f.length;
  }
  const field: FieldDef = { apiName, label, type: kind.type, custom: true, id: org.ids.take(), ...(length !== undefined ? { length } : {}) };
  if (kind.type === 'picklist') {
    const values = Array.isArray(f.pick_list_values) ? f.pick_list_values : [];
    const actual = values.map((v) => (v !== null && typeof v === 'object' ? (v as { actual_value?: unknown; display_value?: unknown }).actual_value ?? (v as { display_value?: unknown }).display_value : undefined));
    if (actual.length === 0) return { entry: fail('MANDATORY_NOT_FOUND', 'required field not found', { api_name: 'pick_list_values', json_path: at('pick_list_values') }) };
    const bad = actual.findIndex((v) => typeof v !== 'string' || v.trim() === '' || v.length > 120);
    if (bad >= 0) return { entry: fail('INVALID_DATA', 'invalid data', { api_name: 'actual_value', json_path: `${at('pick_list_values')}[${bad}].actual_value` }) };
    if (new Set(actual).size !== actual.length) return { entry: fail('DUPLICATE_DATA', 'duplicate data', { api_name: 'pick_list_values', json_path: at('pick_list_values') }) };
    field.picklist = ['-None-', ...(actual as string[])];
  }
  if (kind.type === 'lookup') {
    const target = (f.lookup as { module?: { api_name?: unknown } } | undefined)?.module?.api_name;
    if (typeof target !== 'string') return { entry: fail('MANDATORY_NOT_FOUND', 'required field not found', { api_name: 'lookup', json_path: at('lookup') }) };
    if (!org.modules.has(target)) return { entry: fail('INVALID_DATA', 'invalid data', { api_name: 'api_name', json_path: at('lookup.module.api_name') }) };
    field.lookupModule = target;
  }
  if (f.unique !== undefined && f.unique !== null) {
    if (typeof f.unique !== 'object') return { entry: fail('INVALID_DATA', 'invalid data', { api_name: 'unique', json_path: at('unique'), expected_data_type: 'jsonobject' }) };
    if (!['text', 'email', 'phone', 'website', 'integer'].includes(kind.type)) return { entry: fail('NOT_ALLOWED', 'unique is not allowed for this data type', { api_name: 'unique', json_path: at('unique') }) };
    field.unique = true;
  }
  if (f.external !== undefined && f.external !== null) {
    const ext = f.external as { type?: unknown; show?: unknown };
    if (typeof ext !== 'object' || (ext.type !== 'org' && ext.type !== 'user') || typeof ext.show !== 'boolean') {
      return { entry: fail('INVALID_DATA', 'invalid data', { api_name: 'external', json_path: at('external') }) };
    }
    field.external = true;
    field.unique = true;
  }
  labels.add(label.toLowerCase());
  return { entry: { code: 'SUCCESS', details: { id: field.id }, message: 'field created', status: 'success' }, field };
}

export function createFields(org: Org, query: URLSearchParams, body: unknown): Reply {
  const module = query.get('module');
  if (module === null || !org.modules.has(module)) return missingModule(org, module);
  const list = (body as { fields?: unknown } | null)?.fields;
  if (!Array.isArray(list)) return zohoError(400, 'MANDATORY_NOT_FOUND', 'required field not found', { api_name: 'fields', json_path: '$.fields' });
  if (list.length === 0 || list.length > MAX_PER_CALL) return zohoError(400, 'LIMIT_EXCEEDED', `between 1 and ${MAX_PER_CALL} fields can be created in one call`, { api_name: 'fields', json_path: '$.fields', limit: MAX_PER_CALL });
  const def = org.modules.get(module)!;
  const labels = new Set<string>();
  const results = list.map((raw, i) => createOne(org, module, raw, i, labels));
  for (const r of results) {
    if (!r.field) continue;
    def.fields.push(r.field);
    def.byName.set(r.field.apiName, r.field);
    org.store(module)?.addField(r.field);
  }
  const created = results.filter((r) => r.field).length;
  const status = created === results.length ? 201 : created === 0 ? 400 : 207;
  return json(status, { fields: results.map((r) => r.entry) });
}
