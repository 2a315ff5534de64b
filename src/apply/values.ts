import { isLookupValue, toZohoValue, type FieldValue, type LookupValue } from '../mapping/index.js';
import { isMaskedValue, shortHash, valueText, type PlanAction } from '../plan/index.js';
import type { Link, Snapshot } from '../state/index.js';

/** Lookups still waiting for the other mapping's record get its id from that mapping's links. */
export type IdLookup = (mapping: string, externalId: string) => string | undefined;

export type Resolved = { ok: true; values: Record<string, FieldValue> } | { ok: false; field: string; message: string };

/** The values an action writes, with pending lookups resolved (a lookup still unknown fails the record). */
export function resolveAfterValues(a: PlanAction, lookupId: IdLookup): Resolved {
  const values: Record<string, FieldValue> = {};
  for (const c of a.changes) {
    let v = c.after;
    if (isLookupValue(v) && v.id === undefined) {
      const id = lookupId(v.lookup, v.key);
      if (id === undefined) return { ok: false, field: c.field, message: `the ${v.lookup} record ${v.key} it points to was not created` };
      v = { ...v, id } satisfies LookupValue;
    }
    values[c.field] = v;
  }
  return { ok: true, values };
}

/** The upsert body of one record: the external id (the duplicate check) and the changed fields only. */
export function toUpsertRecord(extField: string, externalId: string, values: Record<string, FieldValue>): Record<string, unknown> {
  const out: Record<string, unknown> = { [extField]: externalId };
  for (const [k, v] of Object.entries(values)) out[k] = toZohoValue(v);
  return out;
}

/**
 * What Zoho holds after the write (snapshot) and what ml-connector manages (link): the record as
 * it was plus the written values; a drifted field kept in Zoho keeps its last applied value in
 * the link, so the drift stays visible and is not overwritten later.
 */
export function stateAfterWrite(a: PlanAction, written: Record<string, FieldValue>, before: { baseline?: { values: Record<string, FieldValue> }; link?: Link; snapshot?: Snapshot }): { snapshot: Record<string, FieldValue>; applied: Record<string, FieldValue> } {
  const prior = (before.baseline?.values ?? before.snapshot?.values ?? before.link?.appliedValues ?? {}) as Record<string, FieldValue>;
  // A new record (nothing before): the written values are the whole state, no copy needed.
  const snapshot = Object.keys(prior).length === 0 ? written : { ...prior, ...written };
  if (!a.drift?.length) return { snapshot, applied: snapshot };
  const applied = { ...snapshot };
  // A plan file keeps a personal field's last applied value only as its digest: the link has the value.
  for (const d of a.drift) applied[d.field] = isMaskedValue(d.applied) ? ((before.link?.appliedValues[d.field] as FieldValue | undefined) ?? null) : d.applied;
  return { snapshot, applied };
}

/** A short hash of managed values (the link's field hash), independent of key order. */
export function hashValues(values: Record<string, FieldValue>): string {
  let text = '';
  for (const k of Object.keys(values).sort()) text += `\u0001${k}\u0002${valueText(values[k] ?? null)}`;
  return shortHash(text);
}
