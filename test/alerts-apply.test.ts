import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { spawn, execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(process.cwd(), 'bin', 'ml-connector.js');

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `ml-connector apply` (built CLI) on a committed copy of configs/, with a local SMTP server for alerts. */
describe('apply: dirty configuration and alert email', () => {
  let dir: string;
  let server: SMTPServer;
  const mails: { raw: string; user: unknown }[] = [];
  let smtpPort = 0;

  beforeAll(async () => {
    server = new SMTPServer({
      disabledCommands: ['STARTTLS'], allowInsecureAuth: true, logger: false,
      onAuth: (auth, _s, cb) => (auth.password === 'smtp-secret-7d1c' ? cb(null, { user: auth.username }) : cb(new Error('bad login'))),
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => { mails.push({ raw: Buffer.concat(chunks).toString('utf8'), user: session.user }); cb(); });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.server.address() as AddressInfo).port;
    dir = await mkdtemp(join(tmpdir(), 'ml-apply-alert-'));
    await cp('configs', join(dir, 'configs'), { recursive: true });
    smtpPort = port;
    const git = (...a: string[]): void => { execFileSync('git', a, { cwd: dir }); };
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'config');
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  const env = (): Record<string, string> => ({
    ML_CONNECTOR_STATE: join(dir, 'state.db'),
    // configs/ reads the SMTP port from the environment too (${env:SMTP_PORT:-587}).
    SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtpPort), SMTP_PASSWORD: 'smtp-secret-7d1c',
    PS_HCM_PASSWORD: 'ps-secret-1', PS_FSCM_PASSWORD: 'ps-secret-2',
    ZOHO_CLIENT_SECRET: 'zoho-client-secret-9a8b',
    // ZOHO_REFRESH_TOKEN deliberately unset: the token is gone and a person must run `auth zoho`.
  });

  it('refuses uncommitted configuration unless --allow-dirty', async () => {
    await writeFile(join(dir, 'configs', 'mappings', 'extra.yaml'), '# not committed\n');
    const r = await run(['apply', '--config', join(dir, 'configs'), '--auto-approve'], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[CONFIG_DIRTY]');
    expect(r.stderr).toContain('--allow-dirty');
    expect(mails).toHaveLength(0);
    // With --allow-dirty it goes on (and fails later for want of a Zoho token: see the next test's alert).
    const forced = await run(['apply', '--config', join(dir, 'configs'), '--auto-approve', '--allow-dirty'], env());
    expect(forced.stderr).not.toContain('CONFIG_DIRTY');
    expect(forced.stderr).toContain('ZOHO_REAUTH_REQUIRED');
    await rm(join(dir, 'configs', 'mappings', 'extra.yaml'));
    mails.length = 0;
  });

  it('a missing Zoho refresh token fails the run and sends one auth-failed alert with no secrets', async () => {
    const r = await run(['apply', '--config', join(dir, 'configs'), '--auto-approve'], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ZOHO_REAUTH_REQUIRED');
    expect(mails).toHaveLength(1);
    const raw = mails[0]!.raw.replace(/=\r?\n/g, '');
    expect(mails[0]!.user).toBe('ml-connector');
    expect(raw).toMatch(/Subject: \[ml-connector northwind-services\] authentication failed/);
    expect(raw).toMatch(/X-ML-Connector-Events: run-failed,auth-failed/i);
    expect(raw).toContain('ml-connector auth zoho');
    for (const secret of ['smtp-secret-7d1c', 'ps-secret-1', 'ps-secret-2', 'zoho-client-secret-9a8b']) expect(raw).not.toContain(secret);
  });
});
