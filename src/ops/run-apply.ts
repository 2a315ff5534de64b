import { hostname } from 'node:os';
import type { Config, Env } from '../config/index.js';
import { runReconcile } from '../engine/run.js';
import { openSession } from '../engine/session.js';
import type { StateStore } from '../state/index.js';
import type { Clock } from '../support/clock.js';
import { toRunReport } from './run-alert.js';
import type { RunMappings, RunResult } from './runner.js';

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
 * serve's RunMappings: the engine's runReconcile, as `ml-connector apply --auto-approve` runs
 * it, under the same apply lock (a CI apply on the same state waits). A tripped guard stops the
 * run before anything is written (recorded as blocked), never overridden.
 */
export function createApplyRunner(o: ApplyRunnerOptions): RunMappings {
  return async (req, ctx): Promise<RunResult> => {
    const config = o.config();
    const session = openSession({ config, store: o.store, logger: ctx.logger, ...(o.clock ? { clock: o.clock } : {}), ...(o.env ? { env: o.env } : {}) });
    try {
      const commit = o.gitCommit?.();
      const dirty = o.gitDirty?.();
      const outcome = await runReconcile(session, {
        apply: true, trigger: req.trigger, holder: `serve ${req.trigger} on ${hostname()} pid ${process.pid}`,
        mappings: req.mappings, full: req.full, signal: ctx.signal, cutSignal: ctx.cut,
        ...(commit ? { gitCommit: commit } : {}), ...(dirty !== undefined ? { gitDirty: dirty } : {}),
      });
      return {
        ...toRunReport(outcome),
        apiCalls: { zoho: outcome.usage.zoho.calls, peoplesoft: outcome.usage.peoplesoft },
        credits: outcome.usage.zoho.credits,
        ...(outcome.usage.zoho.retries ? { retried: outcome.usage.zoho.retries } : {}),
      };
    } finally {
      await session.close();
    }
  };
}
