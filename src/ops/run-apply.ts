import { hostname } from 'node:os';
import type { Config } from '../config/index.js';
import { acquireApplyLock, applyPlan, type ApplyReport } from '../apply/apply-plan.js';
import { makePlan } from '../apply/make-plan.js';
import { openSession } from '../apply/session.js';
import type { Plan } from '../plan/types.js';
import type { StateStore } from '../state/index.js';
import type { Clock } from '../support/clock.js';
import type { Env } from '../config/index.js';
import type { FailedRecord, MappingOutcome, RunReport } from './alerts.js';
import type { RunMappings, RunResult } from './runner.js';

/**
 * The alert/metrics view of an apply: per mapping, records applied by action, failed records by
 * key and code (nothing personal), tripped guards. Pure.
 */
export function toRunReport(plan: Plan, report: ApplyReport | undefined, base: { runId: string; trigger: string; startedAt: string; finishedAt: string; error?: RunReport['error'] }): RunReport {
  const problems = report?.problems ?? [];
  const mappings: MappingOutcome[] = plan.mappings.map((mp) => {
    const notApplied = new Set(problems.filter((p) => p.mapping === mp.name).map((p) => p.externalId));
    const counts: Record<string, number> = {};
    if (report) {
      for (const a of mp.actions) if (!notApplied.has(a.externalId)) counts[a.action] = (counts[a.action] ?? 0) + 1;
    }
    const failed: FailedRecord[] = problems
      .filter((p) => p.mapping === mp.name && p.outcome === 'failed')
      .map((p) => ({ key: p.externalId, code: p.code ?? 'FAILED', ...(p.message ? { message: p.message } : {}) }));
    const tripped = mp.guards.find((g) => g.tripped);
    return {
      mapping: mp.name,
      counts,
      ...(failed.length ? { failed } : {}),
      ...(tripped && plan.blocked ? { guard: { guard: tripped.guard, limit: `${tripped.limit} (${tripped.allowed})`, actual: String(tripped.actual) } } : {}),
    };
  });
  const status: RunReport['status'] = base.error
    ? 'failed'
    : !report
      ? 'failed'
      : report.interrupted
        ? 'interrupted'
        : report.ok
          ? 'succeeded'
          : report.mappings.some((m) => m.applied > 0)
            ? 'partial'
            : 'failed';
  return { runId: base.runId, trigger: base.trigger, status, startedAt: base.startedAt, finishedAt: base.finishedAt, mappings, ...(plan.gitCommit ? { gitCommit: plan.gitCommit } : {}), ...(base.error ? { error: base.error } : {}) };
}

export interface ApplyRunnerOptions {
  /** The configuration in use now (serve swaps it after a git pull). */
  config: () => Config;
  store: StateStore;
  clock?: Clock;
  env?: Env;
  /** Commit of the configuration, when known (git sync or a stamp), and whether it had uncommitted changes. */
  gitCommit?: () => string | undefined;
  gitDirty?: () => boolean | undefined;
}

/**
 * serve's RunMappings: plan and apply the requested mappings under the apply lock (so a CI apply
 * on the same state database waits), the way `ml-connector apply --auto-approve` does. A tripped
 * guard stops the run before anything is written and is reported, not overridden.
 */
export function createApplyRunner(o: ApplyRunnerOptions): RunMappings {
  return async (req, ctx): Promise<RunResult> => {
    const config = o.config();
    const session = openSession({ config, store: o.store, logger: ctx.logger, ...(o.clock ? { clock: o.clock } : {}), ...(o.env ? { env: o.env } : {}) });
    const startedAt = new Date(session.clock.now()).toISOString();
    const lock = await acquireApplyLock(session, `serve ${req.trigger} on ${hostname()} pid ${process.pid}`);
    // Zoho usage of the whole run (reads while planning, writes while applying), from the clients.
    const zohoUsage = async (): Promise<{ calls: number; credits: number; retries: number }> => {
      const total = { calls: 0, credits: 0, retries: 0 };
      const names = new Set(req.mappings.map((m) => config.mappings.get(m)?.target.connection).filter((n): n is string => n !== undefined));
      for (const name of names) {
        const s = (await session.zoho(name)).stats();
        total.calls += s.calls;
        total.credits += s.credits;
        total.retries += s.retries;
      }
      return total;
    };
    try {
      const commit = o.gitCommit?.();
      const plan = await makePlan(session, { mappings: req.mappings, full: req.full, signal: ctx.signal, ...(commit ? { gitCommit: commit } : {}) });
      const finished = (): string => new Date(session.clock.now()).toISOString();
      if (plan.blocked) {
        const report = toRunReport(plan, undefined, { runId: 'not-started', trigger: req.trigger, startedAt, finishedAt: finished(), error: { code: 'PLAN_GUARD_TRIPPED', message: 'A guard tripped; nothing was written.', hint: 'Review the plan; apply it once with --allow-large-change if the change is expected.' } });
        const usage = await zohoUsage();
        return { ...report, apiCalls: { zoho: usage.calls, peoplesoft: session.peoplesoftCalls() }, credits: usage.credits, ...(usage.retries ? { retried: usage.retries } : {}) };
      }
      const dirty = o.gitDirty?.();
      const applied = await applyPlan(session, plan, { trigger: req.trigger, lock, signal: ctx.signal, cutSignal: ctx.cut, ...(dirty !== undefined ? { gitDirty: dirty } : {}) });
      const report = toRunReport(plan, applied, { runId: applied.runId, trigger: req.trigger, startedAt, finishedAt: finished() });
      const usage = await zohoUsage();
      return { ...report, apiCalls: { zoho: usage.calls, peoplesoft: session.peoplesoftCalls() }, credits: usage.credits, ...(usage.retries ? { retried: usage.retries } : {}) };
    } finally {
      await lock.release().catch(() => undefined);
      await session.close();
    }
  };
}
