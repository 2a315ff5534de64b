import { randomBytes } from 'node:crypto';
import type { LifecycleEvent } from '../model/index.js';
import { emptyCounts } from './mapping-planner.js';
import { PLAN_FORMAT_VERSION, type ActionCounts, type MappingSummary, type PlanHeader, type PlanSummary } from './types.js';

export interface HeaderInput {
  mappings: readonly MappingSummary[];
  createdAt: string;
  asOf: string;
  configDigest: string;
  gitCommit?: string;
  gitDirty?: boolean;
  allowLargeChange?: boolean;
  reads?: PlanSummary['reads'];
  /** The key of masked-value digests; a random one by default (a test may fix it). */
  maskKey?: string;
}

/** The plan's header from its mappings' summaries: totals, and whether a guard blocks it. Pure. */
export function assembleHeader(input: HeaderInput): PlanHeader {
  const counts = emptyCounts();
  const events: Partial<Record<LifecycleEvent, number>> = {};
  const summary: PlanSummary = {
    ...counts, changes: 0, calls: 0, credits: 0, reads: input.reads ?? { zoho: 0, peoplesoft: 0, credits: 0 },
    events, held: 0, scheduled: 0, problems: { errors: 0, warnings: 0 },
  };
  for (const mp of input.mappings) {
    for (const k of Object.keys(counts) as Array<keyof ActionCounts>) summary[k] += mp.counts[k];
    for (const [e, n] of Object.entries(mp.events) as Array<[LifecycleEvent, number]>) events[e] = (events[e] ?? 0) + n;
    summary.calls += mp.cost.calls.upsert + mp.cost.calls.update + mp.cost.calls.delete;
    summary.credits += mp.cost.credits;
    summary.changes += mp.counts.create + mp.counts.adopt + mp.counts.update + mp.counts.deactivate + mp.counts.reactivate + mp.counts.delete;
    summary.held += mp.held;
    summary.scheduled += mp.scheduled;
    summary.problems.errors += mp.problems.errors;
    summary.problems.warnings += mp.problems.warnings;
  }
  const allowLargeChange = input.allowLargeChange ?? false;
  const tripped = input.mappings.some((mp) => mp.guards.some((g) => g.tripped));
  const header: PlanHeader = {
    formatVersion: PLAN_FORMAT_VERSION,
    createdAt: input.createdAt,
    asOf: input.asOf,
    configDigest: input.configDigest,
    mappings: [...input.mappings],
    summary,
    blocked: tripped && !allowLargeChange,
    allowLargeChange,
    maskKey: input.maskKey ?? randomBytes(16).toString('hex'),
  };
  if (input.gitCommit !== undefined) header.gitCommit = input.gitCommit;
  if (input.gitDirty !== undefined) header.gitDirty = input.gitDirty;
  return header;
}

/** True when applying the plan would write something. */
export function hasChanges(header: PlanHeader): boolean {
  return header.summary.changes > 0;
}
