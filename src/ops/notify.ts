import type { Project } from '../config/types.generated.js';
import { resolveCredential, type Env, type SecretSource } from '../config/index.js';
import { describeError } from '../support/errors.js';
import { silentLogger, type Logger } from '../support/log.js';
import { scrub } from '../support/redact.js';
import { buildAlert, type RunReport } from './alerts.js';
import { sendAlert } from './mailer.js';

export interface NotifyOptions {
  env?: Env;
  secrets?: SecretSource;
  logger?: Logger;
  /** Where the run can be looked at (CI run URL, serve host), added to the message. */
  where?: string;
}

export type NotifyOutcome =
  | { sent: false; reason: 'not-configured' | 'nothing-to-report' }
  | { sent: true; messageId: string; events: string[] }
  | { sent: false; reason: 'failed'; error: string };

/**
 * Send the alert for a finished run when the Project configures `alerts.email` and the run
 * raised an event it listens to. Never throws: a broken SMTP setup is reported in the outcome
 * (and the log) and must not turn a good run into a failed one.
 */
export async function notifyRun(project: Project, report: RunReport, o: NotifyOptions = {}): Promise<NotifyOutcome> {
  const logger = o.logger ?? silentLogger;
  const email = project.alerts?.email;
  if (!email) return { sent: false, reason: 'not-configured' };
  const where = o.where ?? (o.env ?? process.env).ML_CONNECTOR_RUN_URL;
  const message = buildAlert(where ? { ...report, where } : report, { ...(email.on ? { on: email.on } : {}), project: project.name });
  if (!message) return { sent: false, reason: 'nothing-to-report' };
  try {
    const password = email.smtp.password
      ? await resolveCredential(email.smtp.password, { ...(o.env ? { env: o.env } : {}), ...(o.secrets ? { secrets: o.secrets } : {}), what: 'alerts.email.smtp.password' })
      : undefined;
    const { messageId } = await sendAlert(email, message, { password, logger });
    logger.info('alert sent', { to: email.to.length, events: message.events });
    return { sent: true, messageId, events: message.events };
  } catch (err) {
    const error = scrub(describeError(err));
    logger.error('alert not sent', { error });
    return { sent: false, reason: 'failed', error };
  }
}

/**
 * serve runs often (schedules, every Zoho notification): a lasting failure (a revoked token)
 * would send the same email on every run. The throttle lets one alert through per distinct
 * problem (events + error code) per window; a different problem, or the same one after the
 * window, goes through again.
 */
export function createAlertThrottle(windowMs: number, now: () => number = Date.now): (report: RunReport) => boolean {
  const last = new Map<string, number>();
  return (report) => {
    const key = `${report.status}|${report.error?.code ?? ''}|${report.mappings.map((m) => `${m.mapping}:${m.guard ? 'guard' : ''}:${m.failed?.length ? 'failed' : ''}`).join(',')}`;
    const at = last.get(key);
    if (at !== undefined && now() - at < windowMs) return false;
    last.set(key, now());
    return true;
  };
}
