import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPeopleSoftSimulator, type PeopleSoftSimulator } from '../src/sim/peoplesoft/index.js';
import { startZohoSimulator, type ZohoSimulator } from '../src/sim/zoho/index.js';
import { openStateStore } from '../src/state/index.js';

/**
 * The built CLI (`node bin/ml-connector.js`, after `npx tsc -p tsconfig.build.json`) against both
 * simulators: `check` on the demo configuration, and `auth zoho` end to end through the
 * simulator's consent endpoint (auto-approve), then `check` with the stored refresh token.
 */

const BIN = join(process.cwd(), 'bin', 'ml-connector.js');
let zoho: ZohoSimulator;
let ps: PeopleSoftSimulator;
let dir: string;
let env: Record<string, string>;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], o: { env?: Record<string, string>; onStderr?: (text: string) => void } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env, ...o.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      o.onStderr?.(stderr);
    });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

beforeAll(async () => {
  zoho = await startZohoSimulator();
  ps = await startPeopleSoftSimulator();
  dir = mkdtempSync(join(tmpdir(), 'ml-zoho-cli-'));
  env = {
    ML_CONNECTOR_STATE: join(dir, 'state.db'),
    ML_CONNECTOR_MASTER_KEY: randomBytes(32).toString('base64'),
    PS_HCM_URL: ps.url,
    PS_HCM_PASSWORD: ps.credentials.password,
    PS_FSCM_URL: ps.url,
    PS_FSCM_PASSWORD: ps.credentials.password,
    ZOHO_ACCOUNTS_URL: zoho.accountsUrl,
    ZOHO_API_URL: zoho.apiDomain,
    ZOHO_CLIENT_ID: zoho.credentials.clientId,
    ZOHO_CLIENT_SECRET: zoho.credentials.clientSecret,
    ZOHO_REFRESH_TOKEN: zoho.credentials.refreshToken,
  };
});

afterAll(async () => {
  await zoho?.close();
  await ps?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('ml-connector check and auth zoho (built CLI)', () => {
  it('check passes on the demo configuration against both simulators, PeopleSoft and Zoho', async () => {
    const run = await runCli(['check', '--config', 'configs', '--json']);
    const out = JSON.parse(run.stdout) as { ok: boolean; results: Array<{ target: string; status: string; summary: string }> };
    const failed = out.results.filter((r) => r.status === 'error');
    expect(failed, JSON.stringify(failed)).toEqual([]);
    expect(run.code).toBe(0);
    const targets = out.results.map((r) => r.target);
    expect(targets).toEqual(expect.arrayContaining(['zoho/auth', 'zoho/user', 'zoho/org', 'zoho/modules', 'zoho/credits']));
    expect(targets.some((t) => t.startsWith('zoho/Contacts'))).toBe(true);
    expect(targets.some((t) => t.includes('peoplesoft-hcm'))).toBe(true);
    expect(out.results.find((r) => r.target === 'zoho/modules')!.summary).toMatch(/Vendors available/);
    expect(run.stdout).not.toContain(zoho.credentials.refreshToken);
  });

  it('check exits 1 and says what to do when the refresh token was revoked', async () => {
    const other = await startZohoSimulator();
    try {
      other.revokeRefreshToken();
      const run = await runCli(['check', '--config', 'configs', '--connection', 'zoho'], { env: { ZOHO_ACCOUNTS_URL: other.accountsUrl, ZOHO_API_URL: other.apiDomain } });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/error\s+zoho\/auth/);
      expect(run.stdout).toMatch(/re-run ml-connector auth zoho/);
    } finally {
      await other.close();
    }
  });

  it('auth zoho: consent, state, exchange at the accounts server of the redirect, refresh token stored as a secret', async () => {
    const configs = join(dir, 'configs');
    cpSync('configs', configs, { recursive: true });
    const port = await freePort();
    const file = join(configs, 'connections', 'zoho.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(
        '  refreshToken: ${env:ZOHO_REFRESH_TOKEN}',
        `  refreshToken: \${secret:zoho-refresh-token}\n  redirectUri: http://127.0.0.1:${port}/callback`,
      ),
    );
    let consentUrl: string | undefined;
    let browsed: Promise<void> | undefined;
    const run = await runCli(['auth', 'zoho', '--config', configs, '--no-browser', '--timeout', '20'], {
      onStderr: (text) => {
        const m = /(http:\/\/127\.0\.0\.1:\d+\/oauth\/v2\/auth\?\S+)/.exec(text);
        if (m && !consentUrl && /Waiting for Zoho/.test(text)) {
          consentUrl = m[1]!;
          // Play the browser: the consent page auto-approves and redirects to our loopback listener.
          browsed = (async () => {
            const consent = await request(consentUrl!, { method: 'GET' });
            await consent.body.text();
            expect(consent.statusCode).toBe(302);
            const back = String(consent.headers.location);
            expect(back).toContain(`127.0.0.1:${port}/callback`);
            expect(back).toContain('accounts-server=');
            const done = await request(back);
            await done.body.text();
          })();
        }
      },
    });
    await browsed;
    expect(run.stderr).toMatch(/Stored the refresh token as the secret "zoho-refresh-token"/);
    expect(run.code).toBe(0);
    const q = new URL(consentUrl!).searchParams;
    expect(q.get('access_type')).toBe('offline');
    expect(q.get('prompt')).toBe('consent');
    expect(q.get('state')?.length).toBeGreaterThan(20);
    expect(run.stdout).toContain('refreshToken: ${secret:zoho-refresh-token}');
    expect(zoho.requests.entries.filter((e) => e.kind === 'token').some((e) => e.status === 200)).toBe(true);

    const store = await openStateStore(env.ML_CONNECTOR_STATE!, { masterKey: env.ML_CONNECTOR_MASTER_KEY! });
    const stored = await store.secrets.get('zoho-refresh-token');
    await store.close();
    expect(stored).toMatch(/^1000\./);
    expect(run.stdout + run.stderr).not.toContain(stored);

    // The stored secret works: check the Zoho connection of the edited config.
    const check = await runCli(['check', '--config', configs, '--connection', 'zoho'], { env: { ZOHO_REFRESH_TOKEN: '' } });
    expect(check.stdout).toMatch(/ok\s+zoho\/auth/);
    expect(check.code).toBe(0);
  });

  it("auth zoho --code: a Self Client's grant code is exchanged once and the refresh token stored; a used code is refused", async () => {
    const code = zoho.issueSelfClientCode();
    const run = await runCli(['auth', 'zoho', '--config', 'configs', '--code', code, '--secret', 'zoho-self-client']);
    expect(run.stderr).toMatch(/Stored the refresh token as the secret "zoho-self-client"/);
    expect(run.code).toBe(0);
    const store = await openStateStore(env.ML_CONNECTOR_STATE!, { masterKey: env.ML_CONNECTOR_MASTER_KEY! });
    const stored = await store.secrets.get('zoho-self-client');
    await store.close();
    expect(stored).toMatch(/^1000\./);
    expect(run.stdout + run.stderr).not.toContain(stored);
    expect(run.stdout + run.stderr).not.toContain(code);

    const again = await runCli(['auth', 'zoho', '--config', 'configs', '--code', code, '--secret', 'zoho-self-client']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('ZOHO_GRANT_CODE_INVALID');
    expect(again.stderr).not.toContain(code);
  });

  it('auth zoho without a master key stops before the consent URL, so no grant code is spent', async () => {
    const tokenCalls = zoho.requests.entries.filter((e) => e.kind === 'token').length;
    const run = await runCli(['auth', 'zoho', '--config', 'configs', '--no-browser', '--timeout', '5'], {
      env: { ML_CONNECTOR_MASTER_KEY: '', ML_CONNECTOR_STATE: join(dir, 'no-key.db') },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('MASTER_KEY_MISSING');
    expect(run.stderr).not.toContain('/oauth/v2/auth');
    expect(zoho.requests.entries.filter((e) => e.kind === 'token').length).toBe(tokenCalls);
  });

  it('webhooks enable and list: a channel per mapped module, tokens stored as secrets', async () => {
    const configs = join(dir, 'configs-webhooks');
    cpSync('configs', configs, { recursive: true });
    const file = join(configs, 'connections', 'zoho.yaml');
    writeFileSync(file, readFileSync(file, 'utf8') + 'webhooks:\n  notifyUrl: http://127.0.0.1:1/webhooks/zoho\n  channelExpiryHours: 48\n');
    const enable = await runCli(['webhooks', 'enable', '--config', configs]);
    expect(enable.stderr).toBe('');
    expect(enable.code).toBe(0);
    expect(enable.stdout).toMatch(/enabled\s+Contacts/);
    expect(enable.stdout).toMatch(/enabled\s+Accounts/);
    const list = await runCli(['webhooks', 'list', '--config', configs, '--json']);
    const rows = (JSON.parse(list.stdout) as { channels: Array<{ module: string; action: string; expiresAt: string }> }).channels;
    expect(rows.map((r) => r.module).sort()).toEqual(['Accounts', 'Contacts']);
    expect(rows.every((r) => Date.parse(r.expiresAt) - Date.now() > 47 * 3_600_000)).toBe(true);
    const store = await openStateStore(env.ML_CONNECTOR_STATE!, { masterKey: env.ML_CONNECTOR_MASTER_KEY! });
    const names = (await store.secrets.list()).map((s) => s.name);
    await store.close();
    expect(names).toEqual(expect.arrayContaining(['zoho-webhook-zoho-contacts', 'zoho-webhook-zoho-accounts']));
  });
});
