import type { Field, LifecyclePolicy, Mapping } from '../config/types.generated.js';
import { SOURCE_KEY } from '../config/source-fields.js';
import { sourceInclude, sourceKind } from '../config/source.js';
import type { LifecycleEvent, RecordProblem, SourceRecord, SourceValue } from '../model/index.js';
import { matchCondition, renderTemplate, templateFields } from './conditions.js';
import { applyTransforms } from './transforms.js';
import type { FieldValue, LookupValue, ScalarValue } from './values.js';

/** How lookups are answered: the other mapping's record by external id, or undefined when none. */
export type LookupResolver = (mapping: string, externalId: string) => LookupValue | undefined;

export interface MapOptions {
  resolveLookup: LookupResolver;
  /** Zoho field lengths from field metadata, for `options.truncate`. */
  fieldLengths?: Readonly<Record<string, number>>;
}

/** What the Zoho record of one source record should look like. */
export interface DesiredRecord {
  externalId: string;
  /** Managed field values to hold in Zoho (fields skipped by `when`, `skip` are absent). */
  values: Record<string, FieldValue>;
  /** `deactivated`: the record should carry the `deactivate.set` values. */
  state: 'active' | 'deactivated';
  event?: LifecycleEvent;
  /** The lifecycle policy action that applied, if the mapping has one for the event. */
  policy?: 'update' | 'deactivate' | 'reactivate';
}

export type MapOutcome =
  | { kind: 'desired'; record: DesiredRecord; problems: RecordProblem[] }
  /** The record is outside `source.include`: treated as removed. */
  | { kind: 'out-of-scope'; externalId: string; problems: RecordProblem[] }
  /** The lifecycle policy says `ignore`. */
  | { kind: 'ignored'; externalId: string; problems: RecordProblem[] }
  /** An error problem stops this record; the rest of the run goes on. */
  | { kind: 'rejected'; externalId: string; problems: RecordProblem[] };

/** The source field holding the external id. */
export function externalIdSource(mapping: Mapping): string {
  return mapping.externalId.from ?? SOURCE_KEY[sourceKind(mapping)];
}

/**
 * The source fields a mapping reads (key, `from`, templates, `map`, lookup keys, conditions): a
 * reader can drop the rest, which keeps 100,000 records small in memory.
 */
export function sourceFieldsUsed(mapping: Mapping): Set<string> {
  const used = new Set<string>([externalIdSource(mapping)]);
  const condition = (c: { field: string } | undefined): void => {
    if (c) used.add(c.field);
  };
  condition(sourceInclude(mapping));
  for (const f of mapping.fields) {
    if (f.from) used.add(f.from);
    if (f.map) used.add(f.map.from);
    for (const t of [f.template, f.lookup?.key]) if (t) for (const name of templateFields(t)) used.add(name);
    condition(f.when);
  }
  return used;
}

/** Every Zoho field this mapping may write: fields, `deactivate.set`, lifecycle `set`s. */
export function managedFields(mapping: Mapping): string[] {
  const names = new Set<string>(mapping.fields.map((f) => f.to));
  for (const k of Object.keys(mapping.deactivate?.set ?? {})) names.add(k);
  for (const policy of Object.values(mapping.lifecycle ?? {})) {
    for (const k of Object.keys(policy?.set ?? {})) names.add(k);
  }
  names.delete(mapping.externalId.field);
  return [...names].sort();
}

export function lifecyclePolicy(mapping: Mapping, event: LifecycleEvent | undefined): LifecyclePolicy | undefined {
  if (event === undefined || event === 'data-change') return undefined;
  return mapping.lifecycle?.[event];
}

/** Fixed values in a `set` table, as FieldValues. */
export function setValues(set: Readonly<Record<string, ScalarValue | undefined>> | undefined): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const [k, v] of Object.entries(set ?? {})) if (v !== undefined) out[k] = v;
  return out;
}

/** A value to write, a problem, both (a warning), or neither (the field is left unwritten). */
interface FieldOutcome {
  value?: FieldValue;
  problem?: Omit<RecordProblem, 'mapping' | 'key'>;
}

/** Shared outcomes: at 100,000 records × 12 fields, one object per field is measurable. */
const NOTHING: FieldOutcome = Object.freeze({});
const NULL_VALUE: FieldOutcome = Object.freeze({ value: null });

function sourceValue(fields: Record<string, SourceValue>, name: string): ScalarValue {
  const v = fields[name];
  return v === undefined ? null : v;
}

function mapField(field: Field, record: SourceRecord, options: MapOptions): FieldOutcome {
  const fields = record.fields;
  let raw: ScalarValue;
  if (field.lookup !== undefined) {
    const key = renderTemplate(field.lookup.key, fields).trim();
    const found = key === '' ? undefined : options.resolveLookup(field.lookup.mapping, key);
    if (found) return { value: found };
    const onMissing = field.lookup.onMissing ?? 'skip';
    if (onMissing === 'null') return NULL_VALUE;
    if (onMissing === 'skip') return NOTHING;
    return { problem: { code: 'MAP_LOOKUP_MISSING', message: `no ${field.lookup.mapping} record with external id "${key}"`, field: field.to, severity: 'error' } };
  } else if (field.map !== undefined) {
    const code = sourceValue(fields, field.map.from);
    const table = field.map.values;
    const hit = code !== null && Object.prototype.hasOwnProperty.call(table, String(code)) ? table[String(code)] : undefined;
    if (hit !== undefined) raw = hit;
    else if (code === null && field.map.default === undefined) raw = null;
    else {
      const onUnknown = field.map.onUnknown ?? 'error';
      if (onUnknown === 'default') raw = field.map.default ?? null;
      else if (onUnknown === 'skip') return NOTHING;
      else return { problem: { code: 'MAP_UNKNOWN_CODE', message: `${field.map.from} "${String(code)}" is not in the value table of ${field.to}`, field: field.to, severity: 'error' } };
    }
  } else if (field.template !== undefined) {
    raw = renderTemplate(field.template, fields);
  } else if (field.from !== undefined) {
    raw = sourceValue(fields, field.from);
  } else {
    raw = field.value ?? null;
  }
  if (!field.transforms?.length) return raw === null || raw === '' ? NULL_VALUE : { value: raw };
  const result = applyTransforms(raw, field.transforms);
  if (!result.ok) return { problem: { code: result.code, message: result.message, field: field.to, severity: 'error' } };
  const value = result.value === '' ? null : result.value;
  if (result.warning) return { value, problem: { ...result.warning, field: field.to, severity: 'warning' } };
  return value === null ? NULL_VALUE : { value };
}

/** Cut values longer than the Zoho field, or reject the record, per `options.truncate`. */
function checkLength(mapping: Mapping, field: string, outcome: FieldOutcome, options: MapOptions): FieldOutcome {
  const value = outcome.value;
  const max = options.fieldLengths?.[field];
  // UTF-16 length is never below the character count: only long strings need counting.
  if (max === undefined || typeof value !== 'string' || value.length <= max || [...value].length <= max) return outcome;
  if ((mapping.options?.truncate ?? 'warn') === 'error') {
    return { problem: { code: 'MAP_TOO_LONG', message: `value longer than ${max} characters`, field, severity: 'error' } };
  }
  return { value: [...value].slice(0, max).join(''), problem: { code: 'MAP_TRUNCATED', message: `value cut to ${max} characters`, field, severity: 'warning' } };
}

/**
 * Map one source record to the Zoho record it should become. Pure; never throws for bad data:
 * problems come back with the outcome, and an error problem rejects only this record.
 */
export function mapRecord(mapping: Mapping, record: SourceRecord, options: MapOptions): MapOutcome {
  const externalId = String(record.fields[externalIdSource(mapping)] ?? record.key);
  const problems: RecordProblem[] = [];
  const report = (p: Omit<RecordProblem, 'mapping' | 'key'>): void => {
    problems.push({ mapping: mapping.name, key: externalId, ...p });
  };
  const include = sourceInclude(mapping);
  if (include && !matchCondition(include, record.fields)) {
    return { kind: 'out-of-scope', externalId, problems };
  }
  const policy = lifecyclePolicy(mapping, record.event);
  if (policy?.action === 'ignore') return { kind: 'ignored', externalId, problems };

  const values: Record<string, FieldValue> = {};
  for (const field of mapping.fields) {
    if (field.when && !matchCondition(field.when, record.fields)) continue;
    const outcome = mapField(field, record, options);
    if (outcome.problem) report(outcome.problem);
    if (outcome.value !== undefined) {
      const checked = checkLength(mapping, field.to, outcome, options);
      if (checked !== outcome && checked.problem) report(checked.problem);
      if (checked.value !== undefined) values[field.to] = checked.value;
    }
  }
  if (problems.some((p) => p.severity === 'error')) return { kind: 'rejected', externalId, problems };

  // A record is deactivated when its event says so, or when it is inactive and no event brings it back.
  const action = policy?.action ?? 'update';
  const state = action === 'deactivate' || (action === 'update' && record.status === 'inactive') ? 'deactivated' : 'active';
  if (state === 'deactivated') Object.assign(values, setValues(mapping.deactivate?.set));
  if (policy?.set) Object.assign(values, setValues(policy.set));

  const desired: DesiredRecord = { externalId, values, state };
  if (record.event !== undefined) desired.event = record.event;
  if (policy !== undefined) desired.policy = action as 'update' | 'deactivate' | 'reactivate';
  return { kind: 'desired', record: desired, problems };
}
