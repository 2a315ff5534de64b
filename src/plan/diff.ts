import type { Mapping } from '../config/types.generated.js';
import { sameValue, setValues, type FieldValue } from '../mapping/index.js';
import type { DriftNote, DriftPolicy, FieldChange } from './types.js';

export function driftPolicy(mapping: Mapping, field: string): DriftPolicy {
  return mapping.fields.find((f) => f.to === field)?.drift ?? mapping.drift ?? 'overwrite';
}

/**
 * True when the Zoho values already carry a deactivated state: every `deactivate.set` value, or
 * those overlaid by a deactivating lifecycle policy's `set` (a retiree holds `Retired`, not
 * `Terminated`, and is as deactivated: a later edit of another field is an update, not another
 * deactivation counted by the maxDeactivations guard).
 */
export function isDeactivated(mapping: Mapping, values: Readonly<Record<string, FieldValue>>): boolean {
  const base = setValues(mapping.deactivate?.set);
  const states = [base];
  for (const policy of Object.values(mapping.lifecycle ?? {})) {
    if (policy?.action === 'deactivate' && policy.set) states.push({ ...base, ...setValues(policy.set) });
  }
  return states.some((state) => {
    const set = Object.entries(state);
    return set.length > 0 && set.every(([field, v]) => sameValue(values[field], v));
  });
}

/**
 * Field-level difference between what a record should hold and what Zoho holds, labelled with
 * drift: a field whose Zoho value differs from what the last apply wrote was changed by someone
 * else. Drift on an `overwrite` field is a labelled change; on `keep-zoho`/`report` a note only.
 */
export function diffValues(
  mapping: Mapping,
  desired: Readonly<Record<string, FieldValue>>,
  observed: Readonly<Record<string, FieldValue>>,
  applied: Readonly<Record<string, unknown>> | undefined,
): { changes: FieldChange[]; drift: DriftNote[] } {
  const changes: FieldChange[] = [];
  const drift: DriftNote[] = [];
  for (const field of Object.keys(desired).sort()) {
    const after = desired[field] ?? null;
    const before = observed[field] ?? null;
    if (sameValue(after, before)) continue;
    const last = applied && Object.prototype.hasOwnProperty.call(applied, field) ? (applied[field] as FieldValue) : undefined;
    const drifted = last !== undefined && !sameValue(last, before);
    if (!drifted) {
      changes.push({ field, before, after });
      continue;
    }
    const policy = driftPolicy(mapping, field);
    if (policy === 'overwrite') changes.push({ field, before, after, drift: true });
    else drift.push({ field, zoho: before, applied: last ?? null, policy });
  }
  return { changes, drift };
}
