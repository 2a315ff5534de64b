import type { Mapping } from '../config/types.generated.js';
import { suggest } from '../config/suggest.js';

/** Field metadata (`GET /settings/fields?module=`) and the check of a mapping against it. */

export interface ZohoField {
  apiName: string;
  label: string;
  /** `text`, `email`, `phone`, `picklist`, `lookup`, `date`, `datetime`, `integer`, `boolean`... */
  dataType: string;
  /** Maximum length in characters, when Zoho gives one. */
  length?: number;
  mandatory: boolean;
  readOnly: boolean;
  custom: boolean;
  /** "Do not allow duplicate values": usable in `duplicate_check_fields`. */
  unique: boolean;
  /** Marked external (unique automatically, addressable with X-EXTERNAL). */
  external: boolean;
  /** Picklist actual values, for picklists. */
  picklist?: string[];
  /** Target module of a lookup field. */
  lookupModule?: string;
}

const nonEmptyObject = (v: unknown): boolean => v !== null && typeof v === 'object' && Object.keys(v).length > 0;

/** One entry of Zoho's `fields[]`, normalised. `unique: {}` means not unique. */
export function readField(raw: Record<string, unknown>): ZohoField {
  const lookup = raw.lookup as { module?: { api_name?: string } } | undefined;
  const picks = Array.isArray(raw.pick_list_values) ? (raw.pick_list_values as Array<{ actual_value?: unknown; display_value?: unknown }>) : [];
  const dataType = String(raw.data_type ?? 'text');
  return {
    apiName: String(raw.api_name),
    label: String(raw.field_label ?? raw.display_label ?? raw.api_name),
    dataType,
    ...(typeof raw.length === 'number' ? { length: raw.length } : {}),
    mandatory: raw.system_mandatory === true,
    readOnly: raw.read_only === true || raw.field_read_only === true || dataType === 'formula' || dataType === 'autonumber',
    custom: raw.custom_field === true,
    unique: nonEmptyObject(raw.unique),
    external: nonEmptyObject(raw.external),
    ...(dataType === 'picklist' || dataType === 'multiselectpicklist' ? { picklist: picks.map((p) => String(p.actual_value ?? p.display_value)) } : {}),
    ...(lookup?.module?.api_name ? { lookupModule: lookup.module.api_name } : {}),
  };
}

export type SourcePosition = { file: string; line: number; column: number };
export type Locate = (path: (string | number)[]) => SourcePosition | undefined;

export interface MappingFieldIssue {
  severity: 'error' | 'warning';
  /** `ZOHO_FIELD_UNKNOWN`, `ZOHO_FIELD_READ_ONLY`, `ZOHO_TYPE_MISMATCH`, `ZOHO_VALUE_TOO_LONG`, `ZOHO_PICKLIST_VALUE`, `ZOHO_MANDATORY_NOT_MAPPED`, `ZOHO_EXTERNAL_ID_NOT_UNIQUE`. */
  code: string;
  mapping: string;
  /** The Zoho field concerned. */
  field?: string;
  /** Where in the mapping document, e.g. `['fields', 3, 'map', 'values', 'R']`. */
  path: (string | number)[];
  location?: SourcePosition;
  /** Starts with `file:line:column` when the position is known. */
  message: string;
}

type Constant = string | number | boolean | null | undefined;
const TEXTUAL = new Set(['text', 'textarea', 'email', 'phone', 'website', 'picklist', 'multiselectpicklist', 'autonumber']);
const NUMERIC = new Set(['integer', 'bigint', 'double', 'currency', 'decimal', 'percent', 'long']);

/**
 * Check a mapping against the target module's fields before anything is written: each field
 * exists (exact, case-sensitive API name), is writable, takes the kind of value given, constant
 * values fit its length and picklist, every mandatory field is mapped, and the external-id field
 * is unique or external. Every issue names the mapping line when `locate` can find it.
 */
export function checkMappingAgainstFields(mapping: Mapping, fields: ZohoField[], locate?: Locate): MappingFieldIssue[] {
  const issues: MappingFieldIssue[] = [];
  const byName = new Map(fields.map((f) => [f.apiName, f]));
  const tooLong: 'error' | 'warning' = mapping.options?.truncate === 'error' ? 'error' : 'warning';
  const add = (severity: 'error' | 'warning', code: string, path: (string | number)[], text: string, field?: string): void => {
    const location = locate?.(path);
    issues.push({
      severity,
      code,
      mapping: mapping.name,
      ...(field ? { field } : {}),
      path,
      ...(location ? { location } : {}),
      message: `${location ? `${location.file}:${location.line}:${location.column}: ` : ''}mapping ${mapping.name}: ${text}`,
    });
  };
  const module = mapping.target.module;

  /** The field named at `path`, or undefined after reporting why it cannot be written. */
  const writable = (name: string, path: (string | number)[]): ZohoField | undefined => {
    const f = byName.get(name);
    if (!f) {
      const near = suggestField(name, fields);
      const why = near === undefined ? ': create it in Zoho (`ml-connector check --create-fields`, or the checklist below)' : near.toLowerCase() === name.toLowerCase() ? ` (API names are case-sensitive: did you mean "${near}"?)` : ` (did you mean "${near}"?)`;
      add('error', 'ZOHO_FIELD_UNKNOWN', path, `${module} has no field "${name}"${why}`, name);
      return undefined;
    }
    if (f.readOnly) {
      add('error', 'ZOHO_FIELD_READ_ONLY', path, `${module}.${name} is read-only (${f.dataType})`, name);
      return undefined;
    }
    return f;
  };

  const checkConstant = (f: ZohoField, value: Constant, path: (string | number)[]): void => {
    if (value === null || value === undefined) return;
    const t = f.dataType;
    if (t === 'lookup' || t === 'ownerlookup') {
      add('error', 'ZOHO_TYPE_MISMATCH', path, `${module}.${f.apiName} is a ${t}: give it a \`lookup:\` source, not a constant`, f.apiName);
      return;
    }
    if (t === 'boolean' && typeof value !== 'boolean') add('error', 'ZOHO_TYPE_MISMATCH', path, `${module}.${f.apiName} is a boolean; ${JSON.stringify(value)} is not`, f.apiName);
    if (NUMERIC.has(t) && (typeof value === 'boolean' || !Number.isFinite(Number(value)))) add('error', 'ZOHO_TYPE_MISMATCH', path, `${module}.${f.apiName} is a number (${t}); ${JSON.stringify(value)} is not`, f.apiName);
    if (t === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(String(value))) add('error', 'ZOHO_TYPE_MISMATCH', path, `${module}.${f.apiName} is a date (YYYY-MM-DD); ${JSON.stringify(value)} is not`, f.apiName);
    if (f.picklist && f.picklist.length > 0 && !f.picklist.includes(String(value))) {
      add('error', 'ZOHO_PICKLIST_VALUE', path, `"${String(value)}" is not a value of the picklist ${module}.${f.apiName} (values: ${f.picklist.filter((v) => v !== '-None-').join(', ')})`, f.apiName);
    }
    if (TEXTUAL.has(t) && f.length !== undefined && String(value).length > f.length) {
      add(tooLong, 'ZOHO_VALUE_TOO_LONG', path, `"${String(value)}" is ${String(value).length} characters; ${module}.${f.apiName} holds ${f.length}${tooLong === 'warning' ? ' (it will be truncated)' : ''}`, f.apiName);
    }
  };

  mapping.fields.forEach((m, i) => {
    const f = writable(m.to, ['fields', i, 'to']);
    if (!f) return;
    const isLookup = f.dataType === 'lookup';
    if (m.lookup && !isLookup) add('error', 'ZOHO_TYPE_MISMATCH', ['fields', i, 'lookup'], `${module}.${f.apiName} is a ${f.dataType}, not a lookup`, f.apiName);
    if (!m.lookup && isLookup && m.value !== null && m.value !== undefined) checkConstant(f, m.value, ['fields', i, 'value']);
    if (f.dataType === 'ownerlookup') add('error', 'ZOHO_TYPE_MISMATCH', ['fields', i, 'to'], `${module}.${f.apiName} is a user lookup; ml-connector does not write owners`, f.apiName);
    if ('value' in m && !isLookup) checkConstant(f, m.value, ['fields', i, 'value']);
    if (m.map) {
      for (const [code, v] of Object.entries(m.map.values)) checkConstant(f, v, ['fields', i, 'map', 'values', code]);
      if (m.map.default !== undefined) checkConstant(f, m.map.default, ['fields', i, 'map', 'default']);
    }
    m.transforms?.forEach((t, j) => {
      if (typeof t === 'object' && 'truncate' in t && f.length !== undefined && t.truncate > f.length) {
        add('warning', 'ZOHO_VALUE_TOO_LONG', ['fields', i, 'transforms', j, 'truncate'], `truncate: ${t.truncate} exceeds the length of ${module}.${f.apiName} (${f.length})`, f.apiName);
      }
    });
  });

  const checkSet = (set: Record<string, Constant> | undefined, base: (string | number)[]): void => {
    for (const [name, value] of Object.entries(set ?? {})) {
      const f = writable(name, [...base, name]);
      if (f) checkConstant(f, value, [...base, name]);
    }
  };
  for (const [event, policy] of Object.entries(mapping.lifecycle ?? {})) checkSet(policy?.set, ['lifecycle', event, 'set']);
  checkSet(mapping.deactivate?.set, ['deactivate', 'set']);

  const mapped = new Set([...mapping.fields.map((m) => m.to), mapping.externalId.field]);
  for (const f of fields) {
    if (f.mandatory && !f.readOnly && !mapped.has(f.apiName)) {
      add('error', 'ZOHO_MANDATORY_NOT_MAPPED', ['fields'], `${module}.${f.apiName} is mandatory in Zoho but the mapping does not write it`, f.apiName);
    }
  }

  const ext = byName.get(mapping.externalId.field);
  const extPath = ['externalId', 'field'];
  if (!ext) {
    const near = suggestField(mapping.externalId.field, fields);
    add('error', 'ZOHO_FIELD_UNKNOWN', extPath, `the external-id field ${module}.${mapping.externalId.field} does not exist${near ? ` (did you mean "${near}"?)` : ''}; create it in Zoho Setup as a single-line field with "Do not allow duplicate values"`, mapping.externalId.field);
  } else if (!ext.unique && !ext.external) {
    add('error', 'ZOHO_EXTERNAL_ID_NOT_UNIQUE', extPath, `the external-id field ${module}.${ext.apiName} is neither unique nor external in Zoho, so reruns could duplicate records; tick "Do not allow duplicate values" on it`, ext.apiName);
  } else if (ext.readOnly) {
    add('error', 'ZOHO_FIELD_READ_ONLY', extPath, `the external-id field ${module}.${ext.apiName} is read-only`, ext.apiName);
  }
  return issues;
}

/** The field name `name` was probably meant to be ("did you mean"), among the module's fields. */
export function suggestField(name: string, fields: readonly ZohoField[]): string | undefined {
  return suggest(name, fields.map((f) => f.apiName));
}
