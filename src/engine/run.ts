/**
 * runReconcile: the one code path of `plan`, `apply` and serve's runs. Plan (or load a saved
 * plan), check it, let the caller review it, apply it, record the run, and return one outcome.
 * The CLI adds confirmation and progress through the hooks; serve adds triggers and metrics.
 */
import { applyPlan, type ApplyResult } from '../apply/index.js';
import { loadPlan, type MatchRule, type PlanView } from '../plan/index.js';
import type { Lock } from '../state/index.js';
import type { Mapping } from '../config/types.generated.js';
import { MlError } from '../support/errors.js';
import { errorInfo, mappingResults, runCounts, runStatus, type RunOutcome } from './outcome.js';
import { randomBytes } from 'node:crypto';
import { makePlan, MASK_SECRET_FACT, type MadePlan } from './plan.js';
import type { Session } from './session.js';

/** The lock every apply takes: one apply per state database at a time. */
export const APPLY_LOCK = 'apply';

export async function acquireApplyLock(session: Session, holder: string): Promise<Lock> {
  const waitMs = (session.config.project.state?.lockWaitSeconds ?? 60) * 1000;
  return session.store.acquireLock(APPLY_LOCK, { holder, waitMs });
}

export interface ReconcileRequest {
  /** false: plan only (no lock, nothing recorded or written); the plan reaches the caller through `onPlan`. */
  apply: boolean;
  /** `cli`, `schedule:daily`, `webhook:zoho`, `merge`, ... (recorded with the run). */
  trigger: string;
  /** Who holds the apply lock, for the one who waits: `ml-connector apply (pid 42)`. */
  holder: string;
  mappings?: readonly string[];
  full?: boolean;
  /** Plan as of this instant (default now). */
  now?: number;
  allowLargeChange?: boolean;
  gitCommit?: string;
  gitDirty?: boolean;
  /** Apply this saved plan (a file from `plan --out`) instead of planning now. */
  planFile?: string;
  matchRules?: (mapping: Mapping) => readonly MatchRule[];
  /**
   * The plan is ready and has changes: show it, and say whether to go on (false: nothing is
   * written and the run is recorded as interrupted, "not confirmed"). Not called for a plan a
   * guard blocks or one without changes.
   */
  review?: (view: PlanView) => Promise<boolean>;
  /** Called with the plan as soon as it is made (whatever happens next), e.g. to print it. */
  onPlan?: (view: PlanView) => Promise<void> | void;
  onProgress?: (p: { mapping: string; done: number; total: number }) => void;
  onMapping?: (e: { mapping: string; phase: 'start' | 'end' }) => void;
  /** Stop: start no new batch; the batches in flight finish and are committed. */
  signal?: AbortSignal;
  /** Stop now: cut the Zoho calls in flight too. */
  cutSignal?: AbortSignal;
  /** Held by the caller; otherwise taken (and released) here. */
  lock?: Lock;
}

const WRITE_KINDS = ['upsert', 'update', 'insert', 'delete'];

/**
 * Plan and apply. Only errors about the run itself throw before it is recorded (the lock cannot
 * be had); everything after that ends in the returned outcome, recorded in the runs table.
 */
export async function runReconcile(session: Session, req: ReconcileRequest): Promise<RunOutcome> {
  const { store, clock } = session;
  const startedAt = new Date(clock.now()).toISOString();
  const before = session.zohoUsage();
  const psBefore = session.peoplesoftCalls();
  const lock = req.apply ? req.lock ?? (await acquireApplyLock(session, req.holder)) : undefined;
  let runId: string | undefined;
  let made: MadePlan | undefined;
  let view: PlanView | undefined;
  let applied: ApplyResult | undefined;
  let error: unknown;
  let blocked = false;
  let cancelled = false;
  try {
    if (req.apply) runId = await store.startRun({
      kind: 'apply', trigger: req.trigger, configDigest: session.config.digest(),
      mappings: req.mappings?.length ? [...req.mappings] : [...session.config.mappings.keys()],
      ...(req.gitCommit ? { gitCommit: req.gitCommit } : {}), ...(req.gitDirty !== undefined ? { gitDirty: req.gitDirty } : {}),
    });
    // The state's own secret for plan mask keys (src/engine/plan.ts), made once, by an apply.
    if (req.apply && (await store.getFact(MASK_SECRET_FACT)) === undefined) await store.setFact(MASK_SECRET_FACT, randomBytes(32).toString('hex'));
    if (req.planFile) {
      view = await loadPlan(req.planFile);
      if (view.header.configDigest !== session.config.digest()) {
        throw new MlError('PLAN_CONFIG_CHANGED', 'The configuration changed since this plan was made; it cannot be applied.', {
          meta: { planDigest: view.header.configDigest, configDigest: session.config.digest() },
          hint: 'Make a new plan with `ml-connector plan --out plan.json` and review it.',
        });
      }
    } else {
      made = await makePlan(session, {
        ...(req.mappings ? { mappings: req.mappings } : {}), ...(req.full ? { full: true } : {}),
        ...(req.allowLargeChange ? { allowLargeChange: true } : {}), ...(req.now !== undefined ? { now: req.now } : {}),
        ...(req.gitCommit !== undefined ? { gitCommit: req.gitCommit } : {}), ...(req.gitDirty !== undefined ? { gitDirty: req.gitDirty } : {}),
        ...(req.signal ? { signal: req.signal } : {}), ...(req.matchRules ? { matchRules: req.matchRules } : {}),
        ...(req.onMapping ? { onMapping: req.onMapping } : {}),
      });
      view = made.view;
    }
    await req.onPlan?.(view);
    const allowLargeChange = req.allowLargeChange === true || view.header.allowLargeChange;
    blocked = view.header.mappings.some((m) => m.guards.some((g) => g.tripped)) && !allowLargeChange;
    const changes = view.header.summary.changes;
    if (req.apply && !blocked && changes > 0 && req.review && !(await req.review(view))) cancelled = true;
    if (req.apply && lock && runId !== undefined && !blocked && !cancelled && !req.signal?.aborted) {
      applied = await applyPlan(view, {
        config: session.config, store, clock, zoho: (name) => session.zoho(name),
        runId, lock, saved: req.planFile !== undefined, allowLargeChange,
        ...(req.signal ? { signal: req.signal } : {}), ...(req.cutSignal ? { cutSignal: req.cutSignal } : {}),
        ...(req.onProgress ? { onProgress: req.onProgress } : {}),
      });
    }
  } catch (err) {
    error = err;
  }
  try {
    const header = view?.header;
    const mappings = mappingResults(header, req.apply ? applied?.mappings : undefined, blocked, !req.apply);
    const interrupted = cancelled || applied?.interrupted === true || (req.signal?.aborted === true && applied === undefined);
    const status = runStatus({ error, interrupted, blocked, mappings });
    const usage = session.zohoUsage();
    const writes = WRITE_KINDS.reduce((n, k) => n + (usage.byKind[k] ?? 0) - (before.byKind[k] ?? 0), 0);
    const outcome: RunOutcome = {
      runId: runId ?? 'unrecorded',
      trigger: req.trigger,
      status,
      startedAt,
      finishedAt: new Date(clock.now()).toISOString(),
      ...(header?.gitCommit ?? req.gitCommit ? { gitCommit: (header?.gitCommit ?? req.gitCommit)! } : {}),
      mappings,
      failures: applied?.problems ?? [],
      failureCount: applied?.problemCount ?? 0,
      ...(error !== undefined ? { error: errorInfo(error) } : cancelled ? { error: { code: 'APPLY_NOT_CONFIRMED', message: 'The plan was not confirmed; nothing was written.' } } : {}),
      usage: {
        zoho: { calls: usage.calls - before.calls, writes, reads: usage.calls - before.calls - writes, credits: usage.credits - before.credits, retries: usage.retries - before.retries },
        peoplesoft: session.peoplesoftCalls() - psBefore,
      },
      noChanges: header !== undefined && header.summary.changes === 0,
      saved: req.planFile !== undefined,
    };
    if (runId !== undefined) {
      await store.finishRun(runId, {
        status, counts: runCounts(mappings), apiCalls: outcome.usage.zoho.calls, credits: outcome.usage.zoho.credits,
        ...(outcome.error ? { error: `${outcome.error.code}: ${outcome.error.message}` } : blocked ? { error: 'a guard tripped; nothing was written' } : {}),
      }).catch((err: unknown) => session.logger.warn('run not recorded', { runId, error: errorInfo(err).message }));
    }
    return outcome;
  } finally {
    made?.dispose();
    if (lock && !req.lock) await lock.release().catch(() => undefined);
  }
}

export { makePlan };
