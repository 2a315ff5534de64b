/**
 * One run's outcome, derived once: the runs table, the CLI's last line, alert e-mails and serve's
 * metrics all read this, so a run cannot be "partial" in one place and "failed" in another.
 */
import type { MappingOutcome as AppliedMapping, RecordOutcome } from '../apply/index.js';
import type { MappingSummary, PlanHeader } from '../plan/index.js';
import type { FinalRunStatus } from '../state/index.js';
import { describeError, isMlError } from '../support/errors.js';
import { scrub } from '../support/redact.js';

export type RunStatus = FinalRunStatus;

export interface MappingResult {
  name: string;
  /** ok: planned and every action applied, nothing held; partial: something did not sync; failed: nothing could be. */
  status: 'ok' | 'partial' | 'failed' | 'blocked' | 'not-run';
  /** Records applied, by action. */
  applied: Partial<Record<string, number>>;
  failed: number;
  skipped: number;
  /** Records the plan left out (an error problem, an ambiguous match). */
  held: number;
  relinked: number;
  watermarkAdvanced: boolean;
  error?: { code: string; message: string; hint?: string };
  guard?: { guard: string; limit: string; actual: string };
}

export interface RunUsage {
  zoho: { calls: number; writes: number; reads: number; credits: number; retries: number };
  peoplesoft: number;
}

export interface RunOutcome {
  /** The run's id in the state's runs table. */
  runId: string;
  trigger: string;
  status: RunStatus;
  startedAt: string;
  finishedAt: string;
  gitCommit?: string;
  mappings: MappingResult[];
  /** Failed and skipped records, the first of them (keys and codes: nothing personal). */
  failures: RecordOutcome[];
  failureCount: number;
  /** What stopped the whole run, if something did. */
  error?: { code: string; message: string; hint?: string };
  usage: RunUsage;
  /** Nothing was asked for: the plan had no changes. */
  noChanges: boolean;
  /** The plan came from a file (its records were re-read before writing). */
  saved: boolean;
}

export function errorInfo(err: unknown): { code: string; message: string; hint?: string } {
  if (isMlError(err)) return { code: err.code, message: scrub(err.message), ...(err.hint ? { hint: scrub(err.hint) } : {}) };
  return { code: 'INTERNAL', message: scrub(describeError(err)) };
}

function guardOf(mp: MappingSummary): MappingResult['guard'] {
  const g = mp.guards.find((x) => x.tripped);
  return g ? { guard: g.guard, limit: `${g.limit} (${g.allowed})`, actual: String(g.actual) } : undefined;
}

/** Per mapping, from what was planned and (when it ran) what was applied. */
export function mappingResults(header: PlanHeader | undefined, applied: readonly AppliedMapping[] | undefined, blocked: boolean, planOnly = false): MappingResult[] {
  if (!header) return [];
  return header.mappings.map((mp): MappingResult => {
    const a = applied?.find((x) => x.name === mp.name);
    const guard = guardOf(mp);
    const base: MappingResult = {
      name: mp.name, status: 'ok', applied: a ? { ...a.byAction } : {}, failed: a?.failed ?? 0, skipped: a?.skipped ?? 0,
      held: mp.held, relinked: a?.relinked ?? 0, watermarkAdvanced: a?.watermarkAdvanced ?? false,
      ...(mp.error ? { error: mp.error } : {}), ...(guard ? { guard } : {}),
    };
    if (mp.status === 'failed') return { ...base, status: 'failed' };
    if (planOnly) return { ...base, status: base.held > 0 ? 'partial' : 'ok' };
    if (blocked) return { ...base, status: guard ? 'blocked' : 'not-run' };
    if (!a || a.notApplied === 'interrupted') return { ...base, status: 'not-run' };
    const actions = mp.counts.create + mp.counts.adopt + mp.counts.update + mp.counts.deactivate + mp.counts.reactivate + mp.counts.delete;
    const bad = base.failed + base.skipped + base.held;
    if (bad === 0) return base;
    return { ...base, status: actions > 0 && a.applied === 0 && base.held === 0 ? 'failed' : 'partial' };
  });
}

/**
 * The run's status from its parts: an error that stopped the whole run is `failed` (or
 * `interrupted` when it was a stop); a guard that stopped it is `blocked`; otherwise `succeeded`
 * when every mapping is ok, `failed` when none got anywhere, `partial` in between. Interrupted is
 * never a failure: the next run resumes.
 */
export function runStatus(o: { error?: unknown; interrupted: boolean; blocked: boolean; mappings: readonly MappingResult[] }): RunStatus {
  if (o.interrupted) return 'interrupted';
  if (o.error !== undefined) return 'failed';
  if (o.blocked) return 'blocked';
  if (o.mappings.every((m) => m.status === 'ok')) return 'succeeded';
  if (o.mappings.every((m) => m.status === 'failed')) return 'failed';
  return 'partial';
}

/** Counts for the runs table: applied by action, failed, skipped, held. */
export function runCounts(mappings: readonly MappingResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of mappings) {
    for (const [k, n] of Object.entries(m.applied)) counts[k] = (counts[k] ?? 0) + (n ?? 0);
    for (const k of ['failed', 'skipped', 'held'] as const) if (m[k] > 0) counts[k] = (counts[k] ?? 0) + m[k];
  }
  return counts;
}
