import { maskPersonalText } from '../support/personal-text.js';
import { scrub } from '../support/redact.js';

/** The events an alert can be sent for (Project `alerts.email.on`). */
export type AlertEvent = 'run-failed' | 'records-failed' | 'guard-tripped' | 'auth-failed';
export const ALL_ALERT_EVENTS: readonly AlertEvent[] = ['run-failed', 'records-failed', 'guard-tripped', 'auth-failed'];

/** One record that could not be written. Keys only: names and emails stay out of alerts. */
export interface FailedRecord {
  /** External id (EMPLID, SETID-VENDOR_ID): enough to find the record, nothing personal. */
  key: string;
  code: string;
  message?: string;
  field?: string;
  /** Attempts made before giving up (for "what was retried"). */
  attempts?: number;
}

export interface TrippedGuard {
  /** Guard name, e.g. `maxDeactivations`. */
  guard: string;
  limit: string;
  actual: string;
}

export interface MappingOutcome {
  mapping: string;
  /** Records by action as applied: `create`, `update`, `deactivate`, ... */
  counts?: Record<string, number>;
  failed?: FailedRecord[];
  guard?: TrippedGuard;
  /** The mapping could not be planned or applied at all (its read failed, its credentials were refused). */
  error?: { code: string; message: string; hint?: string };
  /** Calls or batches retried after a transient error and then succeeded. */
  retried?: number;
}

/** What an alert is built from: one run, as the applier or `serve` reports it. */
export interface RunReport {
  runId: string;
  /** `schedule:daily`, `cli`, `github-actions`, ... */
  trigger: string;
  /** The run's outcome (src/engine/outcome.ts derives it once). Interrupted runs are not failures. */
  status: 'succeeded' | 'failed' | 'partial' | 'interrupted' | 'blocked';
  startedAt: string;
  finishedAt?: string;
  gitCommit?: string;
  mappings: MappingOutcome[];
  /** The error that stopped the run, if one did. */
  error?: { code: string; message: string; hint?: string };
  /** Where the run happened (`serve on host x`, a CI run URL), for the reader to find the logs. */
  where?: string;
  /** Calls to Zoho retried after a transient error (429, 5xx, network), whole run. */
  retried?: number;
}

export interface AlertMessage {
  subject: string;
  text: string;
  events: AlertEvent[];
}

/** Error codes meaning a credential must be renewed by a person: retrying cannot help. */
const AUTH_CODES = /^(ZOHO_REAUTH_REQUIRED|ZOHO_AUTH_FAILED|ZOHO_WRONG_DATA_CENTER|ZOHO_INVALID_CLIENT|ZOHO_OAUTH_SCOPE_MISMATCH|PS_AUTH.*|PS_PASSWORD.*|PS_UNAUTHORIZED|PS_FORBIDDEN|.*_UNAUTHORI[SZ]ED)$/;

export function isAuthFailure(code: string | undefined): boolean {
  return code !== undefined && AUTH_CODES.test(code);
}

/** What a person should do about an authentication failure, by system. */
function authAdvice(code: string): string {
  if (code === 'ZOHO_WRONG_DATA_CENTER') {
    return 'The Zoho client is unknown at the configured data center: check `region` in the Zoho connection.';
  }
  if (code.startsWith('ZOHO_')) {
    return 'The Zoho refresh token was revoked or no longer works. Run `ml-connector auth zoho` as a Zoho admin and store the new refresh token where the connection reads it (e.g. the ZOHO_REFRESH_TOKEN repository secret). Nothing is written to Zoho until then.';
  }
  return "PeopleSoft refused the integration user's credentials (password expired or changed, or the account is locked). Ask the PeopleSoft security team to reset the password of the integration OPRID, then update the PS_*_PASSWORD secret. Nothing is read from PeopleSoft until then.";
}

/**
 * A record error message may quote the value Zoho refused (an email address, a phone number, a
 * name). The recipient needs the key and the reason, not the value: mask them (support/
 * personal-text keeps addresses, ports, times and ids intact) and cut it short.
 */
export function sanitizeMessage(message: string): string {
  const masked = maskPersonalText(scrub(message));
  return masked.length > 200 ? `${masked.slice(0, 197)}...` : masked;
}

/** Runs that may need a person: an interrupted run (a stop, a deploy) resumes by itself and alerts nobody. */
export function needsAttention(status: RunReport['status']): boolean {
  return status === 'failed' || status === 'partial' || status === 'blocked';
}

/** Which alert events a run report raises, in a fixed order. */
export function detectAlertEvents(report: RunReport): AlertEvent[] {
  const events = new Set<AlertEvent>();
  if (report.error && isAuthFailure(report.error.code)) events.add('auth-failed');
  if (report.status === 'failed') events.add('run-failed');
  for (const m of report.mappings) {
    if (m.error) events.add(isAuthFailure(m.error.code) ? 'auth-failed' : 'run-failed');
    if (m.guard) events.add('guard-tripped');
    if ((m.failed?.length ?? 0) > 0) events.add('records-failed');
    if (m.failed?.some((f) => isAuthFailure(f.code))) events.add('auth-failed');
  }
  return ALL_ALERT_EVENTS.filter((e) => events.has(e));
}

const MAX_RECORDS_LISTED = 20;
const PAST: Record<string, string> = { create: 'created', update: 'updated', deactivate: 'deactivated', reactivate: 'reactivated', delete: 'deleted' };

/**
 * Build the one message a run sends, or undefined when nothing in it needs a person (or the
 * events it raises are all switched off with `on`). Pure; the text never holds a secret, a name
 * or an email address: record keys, codes and counts only.
 */
export function buildAlert(report: RunReport, options: { on?: readonly AlertEvent[]; project?: string } = {}): AlertMessage | undefined {
  const wanted = new Set(options.on ?? ALL_ALERT_EVENTS);
  const events = detectAlertEvents(report).filter((e) => wanted.has(e));
  if (events.length === 0) return undefined;

  const failedCount = report.mappings.reduce((n, m) => n + (m.failed?.length ?? 0), 0);
  const headline = events.includes('auth-failed')
    ? 'authentication failed, a person must renew a credential'
    : report.status === 'failed'
      ? 'run failed'
      : events.includes('guard-tripped')
        ? 'a safety guard stopped a mapping'
        : `${failedCount} record${failedCount === 1 ? '' : 's'} failed`;
  const subject = `[ml-connector${options.project ? ` ${options.project}` : ''}] ${headline} (run ${report.runId})`;

  const lines: string[] = [];
  lines.push(`Run ${report.runId} (${report.trigger}) ended ${report.status}.`);
  lines.push(`Started ${report.startedAt}${report.finishedAt ? `, finished ${report.finishedAt}` : ''}${report.gitCommit ? `, configuration at commit ${report.gitCommit.slice(0, 12)}` : ''}.`);
  if (report.where) lines.push(`Logs: ${report.where}`);
  lines.push('');

  lines.push('What failed');
  if (report.error) {
    lines.push(`- The run stopped: ${sanitizeMessage(report.error.message)} [${report.error.code}]`);
  }
  for (const m of report.mappings) {
    if (m.error && m.error.code !== report.error?.code) lines.push(`- ${m.mapping}: not run: ${sanitizeMessage(m.error.message)} [${m.error.code}]`);
    if (m.guard) {
      lines.push(`- ${m.mapping}: guard ${m.guard.guard} tripped (limit ${m.guard.limit}, this run ${m.guard.actual}); nothing was written for this mapping.`);
    }
    const failed = m.failed ?? [];
    if (failed.length > 0) {
      lines.push(`- ${m.mapping}: ${failed.length} record${failed.length === 1 ? '' : 's'} failed:`);
      for (const f of failed.slice(0, MAX_RECORDS_LISTED)) {
        const detail = f.message ? `: ${sanitizeMessage(f.message)}` : '';
        lines.push(`    ${f.key}${f.field ? ` (${f.field})` : ''} ${f.code}${detail}`);
      }
      if (failed.length > MAX_RECORDS_LISTED) lines.push(`    ... and ${failed.length - MAX_RECORDS_LISTED} more (ml-connector audit --run ${report.runId} --outcome failed)`);
    }
  }
  lines.push('');

  lines.push('What was done');
  for (const m of report.mappings) {
    const counts = Object.entries(m.counts ?? {}).filter(([, n]) => n > 0).map(([a, n]) => `${n} ${PAST[a] ?? a}`).join(', ');
    const retried = m.retried ? `; ${m.retried} call${m.retried === 1 ? '' : 's'} retried after a transient error and then succeeded` : '';
    lines.push(`- ${m.mapping}: ${counts || 'nothing written'}${retried}`);
  }
  if (report.retried) lines.push(`- ${report.retried} call${report.retried === 1 ? ' was' : 's were'} retried after a transient error (rate limit, server error, network).`);
  const retriedRecords = report.mappings.flatMap((m) => m.failed ?? []).filter((f) => (f.attempts ?? 1) > 1).length;
  if (retriedRecords > 0) lines.push(`- ${retriedRecords} failed record${retriedRecords === 1 ? ' was' : 's were'} retried before giving up.`);
  lines.push('');

  lines.push('What to do');
  const authCode = report.error && isAuthFailure(report.error.code)
    ? report.error.code
    : report.mappings.map((m) => m.error?.code).find((c) => isAuthFailure(c)) ?? report.mappings.flatMap((m) => m.failed ?? []).find((f) => isAuthFailure(f.code))?.code;
  if (authCode) lines.push(`- ${authAdvice(authCode)}`);
  if (report.error?.hint && !authCode) lines.push(`- ${sanitizeMessage(report.error.hint)}`);
  if (events.includes('guard-tripped')) {
    lines.push('- Look at the plan (`ml-connector plan`). If the large change is expected (a reorganisation, a cleanup), apply it once with `ml-connector apply --allow-large-change`; if not, check the PeopleSoft extract before anything else runs.');
  }
  if (events.includes('records-failed')) {
    lines.push(`- Failed records are retried on the next run. Details per record: \`ml-connector audit --run ${report.runId} --outcome failed\`. Fix the data in PeopleSoft, or the Zoho field settings, if the same records keep failing.`);
  }
  if (events.includes('run-failed') && !authCode) {
    lines.push('- The next scheduled run starts from where this one stopped (applied batches are kept). Re-run now with `ml-connector apply` once the cause is fixed.');
  }
  lines.push('');
  lines.push('This message holds record keys and error codes only; names, emails and credentials are never sent.');
  return { subject: scrub(subject), text: scrub(lines.join('\n')), events };
}
