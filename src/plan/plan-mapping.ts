import type { Mapping } from '../config/types.generated.js';
import { isLookupValue, mapRecord, setValues, type DesiredRecord, type FieldValue, type LookupResolver } from '../mapping/index.js';
import type { RecordProblem } from '../model/index.js';
import { shortHash } from './canonical.js';
import { estimateCost } from './cost.js';
import { diffValues, isDeactivated } from './diff.js';
import { checkGuards } from './guards.js';
import type { ActionCounts, BaselineRecord, CreditEstimator, MappingInput, MappingPlan, ObservedRecord, PlanAction } from './types.js';

type Draft = Omit<PlanAction, 'fingerprint'>;

export function emptyCounts(): ActionCounts {
  return { create: 0, update: 0, deactivate: 0, reactivate: 0, delete: 0, same: 0 };
}

/**
 * The fingerprint covers what apply writes and checks (not `before` values, which plan files mask),
 * so a hand-edited plan file is caught and an audit row names the exact action.
 */
export function fingerprintAction(mapping: string, a: Omit<PlanAction, 'fingerprint'>): string {
  // Plain concatenation with control-character separators: unambiguous, and several times cheaper
  // than JSON at 100,000 actions. Lookups are written field by field, whatever their key order.
  let text = `${mapping}\u0001${a.externalId}\u0001${a.action}\u0001${a.zohoId ?? ''}\u0001${a.event ?? ''}\u0001${a.cause}\u0001${a.plannedAgainst ?? ''}`;
  for (const c of a.changes) text += `\u0001${c.field}\u0002${valueText(c.after)}`;
  return shortHash(text);
}

/** A value as unambiguous text, for fingerprints and hashes. */
export function valueText(v: FieldValue): string {
  if (v === null) return '\u0000';
  if (isLookupValue(v)) return `l${v.lookup}\u0003${v.key}\u0003${v.id ?? ''}`;
  return `${typeof v === 'string' ? 's' : typeof v === 'number' ? 'n' : 'b'}${String(v)}`;
}

/** Adds the fingerprint in place: at 100,000 actions a copy of each is measurable. */
function finish(mapping: string, draft: Draft): PlanAction {
  const action = draft as PlanAction;
  action.fingerprint = fingerprintAction(mapping, draft);
  return action;
}

/** The action for a record that should exist in Zoho (as `desired`), given what Zoho holds. */
function planDesired(mapping: Mapping, desired: DesiredRecord, observed: ObservedRecord | undefined, applied: Record<string, unknown> | undefined, cause: PlanAction['cause']): Draft | 'same' | 'skip' {
  const base: Pick<Draft, 'externalId' | 'cause' | 'event'> = { externalId: desired.externalId, cause };
  if (desired.event !== undefined) base.event = desired.event;
  if (!observed) {
    // Inactive records are created too (with the deactivate values): the desired state says the
    // record exists, and a later rehire then reactivates that same Zoho record.
    const changes: Draft['changes'] = [];
    for (const field of Object.keys(desired.values).sort()) {
      const after = desired.values[field] ?? null;
      if (after !== null) changes.push({ field, before: null, after });
    }
    return { ...base, action: 'create', changes };
  }
  const { changes, drift } = diffValues(mapping, desired.values, observed.values, applied);
  const wasDeactivated = isDeactivated(mapping, observed.values);
  const draft: Draft = { ...base, action: 'update', zohoId: observed.id, changes };
  if (observed.modifiedTime !== undefined) draft.plannedAgainst = observed.modifiedTime;
  if (drift.length > 0) draft.drift = drift;
  // No changes: `take` counts it as same (drift notes, if any, are still reported).
  if (changes.length === 0) return draft;
  if (desired.state === 'deactivated' && !wasDeactivated) draft.action = 'deactivate';
  else if (desired.state === 'active' && wasDeactivated) draft.action = 'reactivate';
  return draft;
}

/** The action for a Zoho record whose source record is gone (full read) or left `source.include`. */
function planRemoved(mapping: Mapping, externalId: string, observed: ObservedRecord, applied: Record<string, unknown> | undefined, cause: 'removed' | 'out-of-scope'): Draft | 'same' | 'skip' {
  const onRemove = mapping.onRemove ?? 'deactivate';
  if (onRemove === 'ignore') return 'skip';
  const draft: Draft = { externalId, action: 'delete', zohoId: observed.id, cause, changes: [] };
  if (observed.modifiedTime !== undefined) draft.plannedAgainst = observed.modifiedTime;
  if (onRemove === 'delete') return draft;
  if (isDeactivated(mapping, observed.values)) return 'same';
  const { changes, drift } = diffValues(mapping, setValues(mapping.deactivate?.set), observed.values, applied);
  return { ...draft, action: 'deactivate', changes, ...(drift.length > 0 ? { drift } : {}) };
}

/** Desired values of a record changed only in Zoho: what the last apply wrote (the mapping is unchanged). */
function desiredFromLink(mapping: Mapping, externalId: string, applied: Record<string, unknown>): DesiredRecord {
  const values = applied as Record<string, FieldValue>;
  return { externalId, values, state: isDeactivated(mapping, values) ? 'deactivated' : 'active' };
}

/**
 * Plan one mapping: map every source record read, compare with Zoho by external id, and list the
 * actions. Incremental runs plan only records read (or changed in Zoho); absence means removal
 * only after a complete read. Pure: the same input gives the same plan.
 */
export function planMapping(input: MappingInput, resolveLookup: LookupResolver, estimate?: CreditEstimator): { plan: MappingPlan; problems: RecordProblem[] } {
  const { mapping, observed, links } = input;
  const problems: RecordProblem[] = [...input.source.problems];
  const counts = emptyCounts();
  const drafts: Draft[] = [];
  const seen = new Set<string>();
  const relink: BaselineRecord[] = [];
  const refresh: BaselineRecord[] = [];
  const options = input.fieldLengths ? { resolveLookup, fieldLengths: input.fieldLengths } : { resolveLookup };
  // Keys with a read problem are never treated as absent: a record we failed to read still exists.
  for (const p of input.source.problems) seen.add(p.key);

  const reportDrift = (draft: Draft): void => {
    for (const d of draft.drift ?? []) {
      if (d.policy === 'report') problems.push({ mapping: mapping.name, key: draft.externalId, code: 'DRIFT_REPORTED', message: `${d.field} was changed in Zoho since the last apply; left as is`, field: d.field, severity: 'warning' });
    }
  };
  const take = (externalId: string, result: Draft | 'same' | 'skip'): void => {
    if (result === 'skip') return;
    if (result !== 'same') reportDrift(result);
    if (result === 'same' || (result.changes.length === 0 && result.action !== 'delete')) {
      counts.same += 1;
      const obs = observed.get(externalId);
      if (obs && !links.has(externalId)) relink.push(baseline(externalId, obs));
      else if (obs && input.changedInZoho?.has(externalId)) refresh.push(baseline(externalId, obs));
      return;
    }
    counts[result.action] += 1;
    drafts.push(result);
  };

  for (const record of input.source.records) {
    const outcome = mapRecord(mapping, record, options);
    problems.push(...outcome.problems);
    const id = outcome.kind === 'desired' ? outcome.record.externalId : outcome.externalId;
    if (seen.has(id) && outcome.kind !== 'rejected') {
      problems.push({ mapping: mapping.name, key: id, code: 'MAP_DUPLICATE_KEY', message: `two source records map to external id ${id}; the first is used`, severity: 'warning' });
      continue;
    }
    seen.add(id);
    const obs = observed.get(id);
    const applied = links.get(id)?.appliedValues;
    if (outcome.kind === 'desired') {
      // The label only: the event still shaped the values (lifecycle sets) in mapRecord.
      let desired = outcome.record;
      if (desired.event !== undefined && input.changedSinceLastApply && !input.changedSinceLastApply.has(record.key)) {
        desired = { ...desired };
        delete desired.event;
      }
      take(id, planDesired(mapping, desired, obs, applied, 'source'));
    }
    else if (outcome.kind === 'out-of-scope' && obs) take(id, planRemoved(mapping, id, obs, applied, 'out-of-scope'));
  }

  for (const id of [...(input.changedInZoho ?? [])].sort()) {
    const link = links.get(id);
    const obs = observed.get(id);
    if (seen.has(id) || !link || !obs) continue;
    seen.add(id);
    take(id, planDesired(mapping, desiredFromLink(mapping, id, link.appliedValues), obs, link.appliedValues, 'drift'));
  }

  if (input.mode === 'full') {
    for (const [id, obs] of [...observed].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (seen.has(id)) continue;
      take(id, planRemoved(mapping, id, obs, links.get(id)?.appliedValues, 'removed'));
    }
  }

  drafts.sort((a, b) => (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0));
  const actions = drafts.map((d) => finish(mapping.name, d));
  const baselineMap = new Map<string, BaselineRecord>();
  for (const a of actions) {
    const obs = observed.get(a.externalId);
    if (obs) baselineMap.set(a.externalId, baseline(a.externalId, obs));
  }
  const known = new Set([...links.keys(), ...observed.keys()]).size;
  const facts = {
    counts, known, desired: seen.size, sourceComplete: input.source.complete, sourceRows: input.source.rowCount,
    ...(input.lastFullRowCount !== undefined ? { lastFullRowCount: input.lastFullRowCount } : {}),
  };
  const plan: MappingPlan = {
    name: mapping.name,
    module: mapping.target.module,
    externalIdField: mapping.externalId.field,
    mappingDigest: input.mappingDigest,
    mode: input.mode,
    reason: input.reason,
    source: { read: input.source.records.length, planned: actions.length + counts.same, complete: input.source.complete },
    counts,
    actions,
    guards: checkGuards(mapping, facts),
    cost: estimateCost(actions, estimate),
    baseline: baselineMap,
    relink: relink.sort((a, b) => (a.externalId < b.externalId ? -1 : 1)),
    refresh,
  };
  if (input.watermark) plan.watermark = input.watermark;
  if (input.sourceHashes) plan.sourceHashes = input.sourceHashes;
  return { plan, problems };
}

function baseline(externalId: string, obs: ObservedRecord): BaselineRecord {
  const b: BaselineRecord = { externalId, zohoId: obs.id, values: obs.values };
  if (obs.modifiedTime !== undefined) b.modifiedTime = obs.modifiedTime;
  return b;
}
