/**
 * The action for one record, given what it should hold and what Zoho holds: pure functions the
 * mapping planner calls per record. Values decide the action, not events: `reactivate` when Zoho
 * holds the deactivate values and the record should be active, `deactivate` the other way round,
 * otherwise `update` or nothing.
 */
import type { Mapping } from '../config/types.generated.js';
import { sameValue, setValues, type DesiredRecord, type FieldValue } from '../mapping/index.js';
import type { DriftNote, DriftPolicy, FieldChange, ObservedRecord, PlanAction } from './types.js';

export type Draft = Omit<PlanAction, 'fingerprint'>;

/** Per-mapping tables computed once (not per record): drift policies and the deactivated states. */
export interface MappingTables {
  mapping: Mapping;
  driftPolicy: ReadonlyMap<string, DriftPolicy>;
  defaultDrift: DriftPolicy;
  /** The value sets that mean "deactivated": `deactivate.set`, and each deactivating lifecycle `set` on top of it. */
  deactivatedStates: ReadonlyArray<ReadonlyArray<readonly [string, FieldValue]>>;
  deactivateValues: Readonly<Record<string, FieldValue>>;
}

export function mappingTables(mapping: Mapping): MappingTables {
  const base = setValues(mapping.deactivate?.set);
  const states = [base];
  for (const policy of Object.values(mapping.lifecycle ?? {})) {
    if (policy?.action === 'deactivate' && policy.set) states.push({ ...base, ...setValues(policy.set) });
  }
  const driftPolicy = new Map<string, DriftPolicy>();
  for (const f of mapping.fields) if (f.drift) driftPolicy.set(f.to, f.drift);
  return {
    mapping,
    driftPolicy,
    defaultDrift: mapping.drift ?? 'overwrite',
    deactivatedStates: states.map((s) => Object.entries(s)).filter((entries) => entries.length > 0),
    deactivateValues: base,
  };
}

/**
 * True when the Zoho values already carry a deactivated state: every `deactivate.set` value, or
 * those overlaid by a deactivating lifecycle policy's `set` (a retiree holds `Retired`, not
 * `Terminated`, and is as deactivated: a later edit of another field is an update, not another
 * deactivation counted by the maxDeactivations guard).
 */
export function isDeactivated(t: MappingTables, values: Readonly<Record<string, FieldValue>>): boolean {
  return t.deactivatedStates.some((state) => state.every(([field, v]) => sameValue(values[field], v)));
}

/**
 * Field-level difference between what a record should hold and what Zoho holds, labelled with
 * drift: a field whose Zoho value differs from what the last apply wrote was changed by someone
 * else. Drift on an `overwrite` field is a labelled change; on `keep-zoho`/`report` a note only.
 */
export function diffValues(
  t: MappingTables,
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
    const policy = t.driftPolicy.get(field) ?? t.defaultDrift;
    if (policy === 'overwrite') changes.push({ field, before, after, drift: true });
    else drift.push({ field, zoho: before, applied: last ?? null, policy });
  }
  return { changes, drift };
}

/** A create: every value the record should hold that is not empty. */
export function planCreate(mapping: string, desired: DesiredRecord): Draft {
  const changes: FieldChange[] = [];
  for (const field of Object.keys(desired.values).sort()) {
    const after = desired.values[field] ?? null;
    if (after !== null) changes.push({ field, before: null, after });
  }
  return { mapping, externalId: desired.externalId, action: 'create', cause: 'source', changes, ...(desired.event !== undefined ? { event: desired.event } : {}) };
}

/**
 * The action for a record that should exist in Zoho (as `desired`) and does (as `observed`).
 * No changes: the draft's `changes` is empty (drift notes may still be reported).
 */
export function planExisting(t: MappingTables, desired: DesiredRecord, observed: ObservedRecord, applied: Record<string, unknown> | undefined, cause: PlanAction['cause']): Draft {
  const { changes, drift } = diffValues(t, desired.values, observed.values, applied);
  const draft: Draft = { mapping: t.mapping.name, externalId: desired.externalId, action: 'update', zohoId: observed.id, cause, changes };
  if (desired.event !== undefined) draft.event = desired.event;
  if (observed.modifiedTime !== undefined) draft.plannedAgainst = observed.modifiedTime;
  if (drift.length > 0) draft.drift = drift;
  if (changes.length === 0) return draft;
  const wasDeactivated = isDeactivated(t, observed.values);
  if (desired.state === 'deactivated' && !wasDeactivated) draft.action = 'deactivate';
  else if (desired.state === 'active' && wasDeactivated) draft.action = 'reactivate';
  return draft;
}

/**
 * An existing Zoho record found by a match rule (or paired by hand): write the external id and
 * the fields that differ. The link made after apply holds `baseline` (the managed values that
 * already agree) plus what was written.
 */
export function planAdopt(t: MappingTables, desired: DesiredRecord, candidate: ObservedRecord, rule: string): Draft {
  const { changes } = diffValues(t, desired.values, candidate.values, undefined);
  const changed = new Set(changes.map((c) => c.field));
  const baseline: Record<string, FieldValue> = {};
  for (const [field, v] of Object.entries(desired.values)) if (!changed.has(field)) baseline[field] = v;
  const draft: Draft = { mapping: t.mapping.name, externalId: desired.externalId, action: 'adopt', zohoId: candidate.id, cause: 'source', changes, match: { rule }, baseline };
  if (desired.event !== undefined) draft.event = desired.event;
  if (candidate.modifiedTime !== undefined) draft.plannedAgainst = candidate.modifiedTime;
  return draft;
}

/** A Zoho record whose source record is gone (complete read) or left `source.include`. */
export function planRemoved(t: MappingTables, externalId: string, observed: ObservedRecord, applied: Record<string, unknown> | undefined, cause: 'removed' | 'out-of-scope'): Draft | undefined {
  const onRemove = t.mapping.onRemove ?? 'deactivate';
  if (onRemove === 'ignore') return undefined;
  const draft: Draft = { mapping: t.mapping.name, externalId, action: 'delete', zohoId: observed.id, cause, changes: [] };
  if (observed.modifiedTime !== undefined) draft.plannedAgainst = observed.modifiedTime;
  if (onRemove === 'delete') return draft;
  if (isDeactivated(t, observed.values)) return undefined;
  const { changes, drift } = diffValues(t, t.deactivateValues, observed.values, applied);
  if (changes.length === 0) return undefined;
  return { ...draft, action: 'deactivate', changes, ...(drift.length > 0 ? { drift } : {}) };
}

/** Desired values of a record changed only in Zoho: what the last apply wrote (the mapping is unchanged). */
export function desiredFromLink(t: MappingTables, externalId: string, applied: Record<string, unknown>): DesiredRecord {
  const values = applied as Record<string, FieldValue>;
  return { externalId, values, state: isDeactivated(t, values) ? 'deactivated' : 'active' };
}
