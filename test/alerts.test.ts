import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { buildAlert, detectAlertEvents, sanitizeMessage, type RunReport } from '../src/ops/alerts.js';
import { sendAlert, type EmailAlerts } from '../src/ops/mailer.js';

interface Received {
  from: string;
  to: string[];
  raw: string;
  user: string | undefined;
}

const base: RunReport = {
  runId: '20261127-060000-abc123',
  trigger: 'schedule:daily',
  status: 'succeeded',
  startedAt: '2026-11-27T12:00:00.000Z',
  finishedAt: '2026-11-27T12:00:40.000Z',
  gitCommit: '0123456789abcdef0123456789abcdef01234567',
  mappings: [{ mapping: 'vendors-to-accounts', counts: { create: 3, update: 1 } }],
};

describe('buildAlert', () => {
  it('sends nothing for a clean run', () => {
    expect(buildAlert(base)).toBeUndefined();
  });

  it('a revoked Zoho refresh token: auth-failed + run-failed, and says how to renew it', () => {
    const msg = buildAlert({ ...base, status: 'failed', mappings: [], error: { code: 'ZOHO_REAUTH_REQUIRED', message: 'Zoho refused the refresh token (invalid_code)' } })!;
    expect(msg.events).toEqual(['run-failed', 'auth-failed']);
    expect(msg.subject).toContain('authentication failed');
    expect(msg.text).toContain('ml-connector auth zoho');
    expect(msg.text).toContain('ZOHO_REFRESH_TOKEN');
  });

  it('an expired PeopleSoft password points at the PeopleSoft security team', () => {
    const msg = buildAlert({ ...base, status: 'failed', error: { code: 'PS_AUTH_FAILED', message: 'PeopleSoft answered 401' } })!;
    expect(msg.events).toContain('auth-failed');
    expect(msg.text).toMatch(/reset the password of the integration OPRID/);
  });

  it('failed records: keys and codes, never the refused email or phone', () => {
    const msg = buildAlert({
      ...base,
      status: 'partial',
      mappings: [{
        mapping: 'employees-to-contacts',
        counts: { create: 148 },
        retried: 2,
        failed: [
          { key: 'KU0042', code: 'ZOHO_INVALID_DATA', field: 'Email', message: 'invalid email jane.doe@example.com', attempts: 1 },
          { key: 'KU0043', code: 'ZOHO_INVALID_DATA', field: 'Mobile', message: 'bad phone +1 (555) 123-4567', attempts: 3 },
          { key: 'KU0044', code: 'ZOHO_INVALID_DATA', field: 'Email', message: 'invalid data: j.rivera@meridianlowe' },
          { key: 'KU0045', code: 'ZOHO_INVALID_DATA', field: 'Last_Name', message: 'value "Rivera-Ortiz" too long' },
        ],
      }],
    })!;
    expect(msg.events).toEqual(['records-failed']);
    expect(msg.text).toContain('KU0042 (Email) ZOHO_INVALID_DATA: invalid email <email>');
    expect(msg.text).toContain('KU0043 (Mobile) ZOHO_INVALID_DATA: bad phone <phone>');
    expect(msg.text).not.toContain('jane.doe');
    expect(msg.text).toContain('KU0044 (Email) ZOHO_INVALID_DATA: invalid data: <email>');
    expect(msg.text).toContain('KU0045 (Last_Name) ZOHO_INVALID_DATA: value <value> too long');
    expect(msg.text).not.toMatch(/rivera/i);
    expect(sanitizeMessage('changed in Zoho since 2026-11-27T10:00:00Z')).toBe('changed in Zoho since 2026-11-27T10:00:00Z');
    // Technical facts a reader needs are not personal data: never masked.
    for (const text of [
      'connect ECONNREFUSED 127.0.0.1:587',
      'POST https://hcm.example.com:8443/PSIGW/RESTListeningConnector/PSFT_HR/ExecuteQuery.v1 failed',
      'record 5725767000000411001 changed at 2026-11-27T06:00:00-06:00 (10:15:30)',
      'PeopleTools 8.59.12 answered 503 after 2 attempts in 1500 ms',
      'connect ECONNREFUSED [::1]:8080',
    ]) expect(sanitizeMessage(text)).toBe(text);
    expect(sanitizeMessage('host 10.1.2.3 refused (555) 123-4567 and +44 20 7946 0958 for a.b@c.example')).toBe('host 10.1.2.3 refused <phone> and <phone> for <email>');
    expect(msg.text).toContain('employees-to-contacts: 148 created');
    expect(msg.text).not.toContain('555');
    expect(msg.text).toContain('2 calls retried');
    expect(msg.text).toContain('1 failed record was retried before giving up');
    expect(buildAlert({ ...base, status: 'failed', retried: 3, mappings: [] })!.text).toContain('3 calls were retried after a transient error');
  });

  it('a tripped guard explains --allow-large-change', () => {
    const msg = buildAlert({ ...base, status: 'failed', mappings: [{ mapping: 'employees-to-contacts', guard: { guard: 'maxDeactivations', limit: '10% (15)', actual: '120' } }] })!;
    expect(detectAlertEvents({ ...base, mappings: [{ mapping: 'm', guard: { guard: 'g', limit: '1', actual: '2' } }] })).toEqual(['guard-tripped']);
    expect(msg.text).toContain('guard maxDeactivations tripped (limit 10% (15), this run 120)');
    expect(msg.text).toContain('--allow-large-change');
  });

  it('respects alerts.email.on', () => {
    const report: RunReport = { ...base, status: 'partial', mappings: [{ mapping: 'm', failed: [{ key: 'K1', code: 'X' }] }] };
    expect(buildAlert(report, { on: ['run-failed'] })).toBeUndefined();
    expect(buildAlert(report, { on: ['records-failed'] })?.events).toEqual(['records-failed']);
  });
});

describe('sendAlert through a real SMTP server', () => {
  let server: SMTPServer;
  let port: number;
  const received: Received[] = [];

  beforeAll(async () => {
    server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authOptional: true,
      onAuth(auth, _session, cb) {
        if (auth.username === 'alerts' && auth.password === 'smtp-pass-9f8e7d') cb(null, { user: auth.username });
        else cb(new Error('Invalid username or password'));
      },
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
            user: session.user as string | undefined,
          });
          cb();
        });
      },
      logger: false,
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  const email = (): EmailAlerts => ({ smtp: { host: '127.0.0.1', port, secure: false, username: 'alerts' }, from: 'ml-connector@example.com', to: ['crm-admins@example.com', 'ops@example.com'] });

  it('delivers one message per run, authenticated, without the password', async () => {
    const msg = buildAlert({ ...base, status: 'failed', mappings: [], error: { code: 'ZOHO_REAUTH_REQUIRED', message: 'refresh token revoked' } })!;
    const result = await sendAlert(email(), msg, { password: 'smtp-pass-9f8e7d' });
    expect(result.attempts).toBe(1);
    expect(received).toHaveLength(1);
    const got = received[0]!;
    expect(got.user).toBe('alerts');
    expect(got.from).toBe('ml-connector@example.com');
    expect(got.to).toEqual(['crm-admins@example.com', 'ops@example.com']);
    expect(got.raw).toMatch(/Subject: \[ml-connector\] authentication failed/);
    expect(got.raw).toMatch(/X-ML-Connector-Events: run-failed,auth-failed/i);
    expect(got.raw.replace(/=\r?\n/g, '')).toContain('ml-connector auth zoho');
    expect(got.raw).not.toContain('smtp-pass-9f8e7d');
  });

  it('a wrong password fails at once with ALERT_SEND_FAILED and no secret in the error', async () => {
    const msg = buildAlert({ ...base, status: 'failed', mappings: [] })!;
    const err = (await sendAlert(email(), msg, { password: 'wrong-password-123' }).then(() => undefined, (e: unknown) => e)) as { code: string; message: string; meta: { attempts: number } };
    expect(err.code).toBe('ALERT_SEND_FAILED');
    expect(err.meta.attempts).toBe(1);
    expect(JSON.stringify(err)).not.toContain('wrong-password-123');
    expect(err.message).not.toContain('wrong-password-123');
  });

  it('retries a server that is not there, then gives up', async () => {
    const msg = buildAlert({ ...base, status: 'failed', mappings: [] })!;
    const dead = { ...email(), smtp: { host: '127.0.0.1', port: 1, secure: false } };
    const err = (await sendAlert(dead, msg, { retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 10 }, timeoutMs: 2000 }).then(() => undefined, (e: unknown) => e)) as { code: string; meta: { attempts: number } };
    expect(err.code).toBe('ALERT_SEND_FAILED');
    expect(err.meta.attempts).toBe(2);
  });
});

describe('createAlertThrottle', () => {
  it('lets one alert per distinct problem through per window', async () => {
    const { createAlertThrottle } = await import('../src/ops/notify.js');
    let now = 0;
    const allow = createAlertThrottle(3_600_000, () => now);
    const revoked: RunReport = { ...base, status: 'failed', mappings: [], error: { code: 'ZOHO_REAUTH_REQUIRED', message: 'x' } };
    expect(allow(revoked)).toBe(true);
    now += 60_000;
    expect(allow({ ...revoked, runId: 'another' })).toBe(false);
    expect(allow({ ...base, status: 'partial', mappings: [{ mapping: 'm', failed: [{ key: 'K', code: 'X' }] }] })).toBe(true);
    now += 3_600_000;
    expect(allow(revoked)).toBe(true);
  });
});
