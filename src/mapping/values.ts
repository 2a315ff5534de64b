/**
 * Values the mapping engine produces and the planner compares. Zoho reads lookups back as
 * `{ name, id }` and writes them as `{ id }`; empty strings and null are the same "unset" to Zoho,
 * and datetimes come back in the organisation's offset, so equality is defined here once.
 */
export type ScalarValue = string | number | boolean | null;

/**
 * A lookup to a record another mapping syncs. `id` is absent while that record is still to be
 * created in the same plan: the applier fills it in once the other mapping's batch is written.
 */
export interface LookupValue {
  lookup: string;
  key: string;
  id?: string;
  /** Display name as Zoho reports it (observed values only). */
  name?: string;
}

export type FieldValue = ScalarValue | LookupValue;

export function isLookupValue(value: unknown): value is LookupValue {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'lookup' in value;
}

/** Turn a value read from Zoho into a FieldValue: lookups keep their id and name. */
export function fromZohoValue(value: unknown): FieldValue {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    if (isLookupValue(v)) return v;
    if (typeof v.id === 'string') {
      const out: LookupValue = { lookup: '', key: '', id: v.id };
      if (typeof v.name === 'string') out.name = v.name;
      return out;
    }
  }
  return JSON.stringify(value);
}

/** The value as Zoho's write API takes it. */
export function toZohoValue(value: FieldValue): unknown {
  if (isLookupValue(value)) return value.id === undefined ? null : { id: value.id };
  return value === '' ? null : value;
}

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** A key that is equal for two values exactly when Zoho would consider them the same. */
export function valueKey(value: FieldValue | undefined): string {
  if (value === undefined || value === null || value === '') return '∅';
  if (isLookupValue(value)) return value.id === undefined ? `pending:${value.lookup}:${value.key}` : `id:${value.id}`;
  if (typeof value === 'string' && DATETIME.test(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return `t:${ms}`;
  }
  return `v:${String(value)}`;
}

export function sameValue(a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  return valueKey(a) === valueKey(b);
}

export function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}
