import type { Config, SecretSource } from '../config/index.js';
import type { ApplyReport } from '../apply/apply-plan.js';
import type { Plan } from '../plan/types.js';
import { isMlError, describeError } from '../support/errors.js';
import { scrub } from '../support/redact.js';
import type { Logger } from '../support/log.js';
import type { RunReport } from './alerts.js';
import { notifyRun, type NotifyOutcome } from './notify.js';
import { toRunReport } from './run-apply.js';

export interface ApplyAlertInput {
  config: Config;
  /** Undefined when the run failed before a plan existed (e.g. a revoked Zoho token). */
  plan?: Plan | undefined;
  report?: ApplyReport | undefined;
  error?: unknown;
  startedAt: number;
  trigger?: string;
  secrets?: SecretSource;
  logger?: Logger;
}

/**
 * The alert for one `ml-connector apply`: built from the plan and the apply report (or the error
 * that stopped it) and sent when the Project configures `alerts.email`. Never throws.
 */
export async function alertApply(a: ApplyAlertInput): Promise<NotifyOutcome> {
  try {
    const error: RunReport['error'] | undefined = a.error === undefined
      ? undefined
      : isMlError(a.error)
        ? { code: a.error.code, message: scrub(a.error.message), ...(a.error.hint ? { hint: a.error.hint } : {}) }
        : { code: 'INTERNAL', message: scrub(describeError(a.error)) };
    const base = {
      runId: a.report?.runId ?? 'not-started',
      trigger: a.trigger ?? (process.env.GITHUB_ACTIONS ? 'github-actions' : 'cli'),
      startedAt: new Date(a.startedAt).toISOString(),
      finishedAt: new Date().toISOString(),
      ...(error ? { error } : {}),
    };
    const report: RunReport = a.plan
      ? toRunReport(a.plan, a.report, base)
      : { ...base, status: 'failed', mappings: [] };
    return await notifyRun(a.config.project, report, { ...(a.secrets ? { secrets: a.secrets } : {}), ...(a.logger ? { logger: a.logger } : {}) });
  } catch (err) {
    a.logger?.warn('alert not sent', { error: scrub(describeError(err)) });
    return { sent: false, reason: 'failed', error: scrub(describeError(err)) };
  }
}
