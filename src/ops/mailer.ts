import nodemailer from 'nodemailer';
import type { Project } from '../config/types.generated.js';
import { MlError, describeError } from '../support/errors.js';
import { backoffDelay, type RetryPolicy } from '../support/http.js';
import { sleep } from '../support/clock.js';
import { registerSecret, scrub } from '../support/redact.js';
import type { Logger } from '../support/log.js';
import { silentLogger } from '../support/log.js';
import type { AlertMessage } from './alerts.js';

export type EmailAlerts = NonNullable<NonNullable<Project['alerts']>['email']>;

export interface SendAlertOptions {
  /** The SMTP password, already resolved from its `${env:}`/`${secret:}` reference. */
  password?: string | undefined;
  retry?: RetryPolicy;
  /** Connection, greeting and socket timeout. */
  timeoutMs?: number;
  logger?: Logger;
}

const ALERT_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 10_000 };

/**
 * Send one alert message over SMTP. Transient failures (connection refused, timeouts, 4xx
 * answers) are retried with backoff; a 5xx answer (bad recipient, authentication) is not.
 * Throws ALERT_SEND_FAILED, never with the password in it.
 */
export async function sendAlert(email: EmailAlerts, message: AlertMessage, options: SendAlertOptions = {}): Promise<{ messageId: string; attempts: number }> {
  const logger = options.logger ?? silentLogger;
  const retry = options.retry ?? ALERT_RETRY;
  const timeout = options.timeoutMs ?? 15_000;
  registerSecret(options.password);
  const transport = nodemailer.createTransport({
    host: email.smtp.host,
    port: email.smtp.port ?? 587,
    secure: email.smtp.secure ?? false,
    ...(email.smtp.username && options.password ? { auth: { user: email.smtp.username, pass: options.password } } : {}),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const info = (await transport.sendMail({
          from: email.from,
          to: email.to.join(', '),
          subject: message.subject,
          text: message.text,
          headers: { 'X-ML-Connector-Events': message.events.join(',') },
        })) as { messageId: string };
        return { messageId: info.messageId, attempts: attempt };
      } catch (err) {
        const responseCode = (err as { responseCode?: number }).responseCode;
        const code = (err as { code?: string }).code;
        // A name that does not resolve or refused credentials will not fix themselves in seconds.
        const permanent = (responseCode !== undefined && responseCode >= 500) || code === 'EDNS' || code === 'ENOTFOUND' || code === 'EAUTH';
        if (permanent || attempt >= retry.maxAttempts) {
          throw new MlError('ALERT_SEND_FAILED', scrub(`Could not send the alert email through ${email.smtp.host}:${email.smtp.port ?? 587}: ${describeError(err)}`), {
            meta: { host: email.smtp.host, port: email.smtp.port ?? 587, attempts: attempt, ...(responseCode ? { responseCode } : {}), ...(code ? { errorCode: code } : {}) },
            hint: 'Check alerts.email.smtp in the Project configuration (host, port, secure, username) and the SMTP password; the run itself is recorded either way.',
            cause: err,
          });
        }
        const delay = backoffDelay(attempt, retry);
        logger.warn('alert email retry', { attempt, delayMs: delay, error: scrub(describeError(err)) });
        await sleep(delay);
      }
    }
  } finally {
    transport.close();
  }
}
