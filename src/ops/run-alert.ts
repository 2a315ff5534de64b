import type { Config, SecretSource } from '../config/index.js';
import type { RunOutcome } from '../engine/outcome.js';
import { describeError } from '../support/errors.js';
import type { Logger } from '../support/log.js';
import { scrub } from '../support/redact.js';
import { needsAttention, type FailedRecord, type RunReport } from './alerts.js';
import { notifyRun, type NotifyOutcome } from './notify.js';

/** The alert and metrics view of a run outcome: per mapping, records applied by action, failed keys and codes, tripped guards. Pure. */
export function toRunReport(o: RunOutcome, where?: string): RunReport {
  // Every mapping stopped by the same error (a revoked token, an unreachable system): that is the run's error.
  const codes = new Set(o.mappings.map((m) => m.error?.code));
  const shared = o.mappings.length > 0 && codes.size === 1 && !codes.has(undefined) ? o.mappings[0]!.error : undefined;
  const error = o.error && o.error.code !== 'APPLY_NOT_CONFIRMED' ? o.error : shared;
  return {
    runId: o.runId,
    trigger: o.trigger,
    status: o.status,
    startedAt: o.startedAt,
    finishedAt: o.finishedAt,
    ...(o.gitCommit ? { gitCommit: o.gitCommit } : {}),
    mappings: o.mappings.map((m) => {
      const failed: FailedRecord[] = o.failures
        .filter((f) => f.mapping === m.name && f.outcome === 'failed')
        .map((f) => ({ key: f.externalId, code: f.code ?? 'FAILED', ...(f.message ? { message: f.message } : {}) }));
      const counts: Record<string, number> = {};
      for (const [k, n] of Object.entries(m.applied)) if (n) counts[k] = n;
      return {
        mapping: m.name,
        counts,
        ...(failed.length > 0 ? { failed } : {}),
        ...(m.guard && o.status === 'blocked' ? { guard: m.guard } : {}),
        ...(m.error ? { error: m.error } : {}),
      };
    }),
    ...(error ? { error } : {}),
    ...(where ? { where } : {}),
    ...(o.usage.zoho.retries > 0 ? { retried: o.usage.zoho.retries } : {}),
  };
}

/** One alert e-mail for a run that needs a person (Project `alerts.email`); never throws. */
export async function alertRun(a: { config: Config; outcome: RunOutcome; secrets?: SecretSource; logger?: Logger; where?: string }): Promise<NotifyOutcome> {
  try {
    if (!needsAttention(a.outcome.status)) return { sent: false, reason: 'nothing-to-report' };
    return await notifyRun(a.config.project, toRunReport(a.outcome), { ...(a.secrets ? { secrets: a.secrets } : {}), ...(a.logger ? { logger: a.logger } : {}), ...(a.where ? { where: a.where } : {}) });
  } catch (err) {
    a.logger?.warn('alert not sent', { error: scrub(describeError(err)) });
    return { sent: false, reason: 'failed', error: scrub(describeError(err)) };
  }
}
