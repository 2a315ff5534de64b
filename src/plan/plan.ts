import { lookupTargets, orderMappings, type LookupResolver, type LookupValue } from '../mapping/index.js';
import type { RecordProblem } from '../model/index.js';
import { emptyCounts, planMapping } from './plan-mapping.js';
import { PLAN_FORMAT_VERSION, type MappingInput, type MappingPlan, type Plan, type PlanInput } from './types.js';

/** External id → lookup value for the records a planned mapping has (or will have) in Zoho. */
function indexPlanned(input: MappingInput, plan: MappingPlan): Map<string, LookupValue> {
  const index = new Map<string, LookupValue>();
  const name = input.mapping.name;
  for (const [key, link] of input.links) index.set(key, { lookup: name, key, id: link.zohoId });
  for (const [key, obs] of input.observed) index.set(key, { lookup: name, key, id: obs.id });
  for (const a of plan.actions) {
    // Created in this plan: the id is known only after apply writes the other mapping first.
    if (a.action === 'create') index.set(a.externalId, { lookup: name, key: a.externalId });
    if (a.action === 'delete') index.delete(a.externalId);
  }
  return index;
}

/**
 * The planner: every mapping's actions, guards and cost, in lookup order (a mapping comes after
 * the mappings it looks records up in). Pure and deterministic: no clock, no I/O, sorted output.
 */
export function planChanges(input: PlanInput): Plan {
  const byName = new Map(input.mappings.map((m) => [m.mapping.name, m]));
  const ordered = orderMappings(input.mappings.map((m) => m.mapping));
  const indexes = new Map<string, Map<string, LookupValue>>();
  for (const [name, ids] of input.lookupIndex ?? []) {
    indexes.set(name, new Map([...ids].map(([key, id]) => [key, { lookup: name, key, id }])));
  }
  const resolveLookup: LookupResolver = (mapping, key) => indexes.get(mapping)?.get(key);

  // Only mappings someone looks up need an index of their records (contacts usually do not).
  const lookedUp = new Set(ordered.flatMap((m) => lookupTargets(m)));
  const mappings: MappingPlan[] = [];
  const problems: RecordProblem[] = [];
  for (const m of ordered) {
    const mi = byName.get(m.name);
    if (!mi) continue;
    const result = planMapping(mi, resolveLookup, input.estimateCredits);
    mappings.push(result.plan);
    problems.push(...result.problems);
    if (lookedUp.has(m.name)) indexes.set(m.name, indexPlanned(mi, result.plan));
  }

  const summary = { ...emptyCounts(), calls: 0, credits: 0, changes: 0 };
  for (const mp of mappings) {
    for (const k of Object.keys(mp.counts) as Array<keyof typeof mp.counts>) summary[k] += mp.counts[k];
    summary.calls += mp.cost.calls.upsert + mp.cost.calls.delete;
    summary.credits += mp.cost.credits;
    summary.changes += mp.actions.length;
  }
  const allowLargeChange = input.allowLargeChange ?? false;
  const tripped = mappings.some((mp) => mp.guards.some((g) => g.tripped));
  const plan: Plan = {
    formatVersion: PLAN_FORMAT_VERSION,
    createdAt: input.createdAt,
    configDigest: input.configDigest,
    mappings,
    problems: problems.sort(compareProblems),
    summary,
    blocked: tripped && !allowLargeChange,
    allowLargeChange,
  };
  if (input.gitCommit !== undefined) plan.gitCommit = input.gitCommit;
  if (input.gitDirty !== undefined) plan.gitDirty = input.gitDirty;
  if (input.asOf !== undefined) plan.asOf = input.asOf;
  return plan;
}

function compareProblems(a: RecordProblem, b: RecordProblem): number {
  const ka = `${a.mapping ?? ''}\u0000${a.key}\u0000${a.code}\u0000${a.field ?? ''}`;
  const kb = `${b.mapping ?? ''}\u0000${b.key}\u0000${b.code}\u0000${b.field ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** True when applying the plan would write something. */
export function hasChanges(plan: Plan): boolean {
  return plan.summary.changes > 0;
}
