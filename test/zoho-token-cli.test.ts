/**
 * The first hour, as a user lives it: many CLI commands in a row, each a new process, against
 * the simulators. Zoho issues 10 access tokens per refresh token per 10 minutes and then blocks
 * refreshes for 15-30 minutes; the token is kept between processes (encrypted, in the user's
 * cache directory), with or without a master key, so the commands share one token. Token
 * requests are counted at the Zoho simulator. Built CLI in subprocesses, real HTTP.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStateStore } from '../src/state/index.js';
import { startSimulatedSystems, type SimulatedSystems } from './simulated-systems.js';

const BIN = join(process.cwd(), 'bin', 'ml-connector.js');
let systems: SimulatedSystems;
let dir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', HOME: dir, NO_COLOR: '1', CI: '', ...systems.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const tokenRequests = (): number => systems.zoho.requests.count({ kind: 'token' });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ml-token-cli-'));
  systems = await startSimulatedSystems(dir);
});
afterAll(async () => {
  await systems?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a ${secret:} value and the master key (built CLI)', () => {
  it('a missing or wrong master key says so, with its own code, never "re-run auth zoho"', async () => {
    const state = join(dir, 'secrets.db');
    const key = randomBytes(32).toString('base64');
    const store = await openStateStore(state, { masterKey: key });
    await store.secrets.set('zoho-refresh-token', systems.zoho.credentials.refreshToken);
    await store.close();
    const file = join(systems.configDir, 'connections', 'zoho.yaml');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('refreshToken: ${env:ZOHO_REFRESH_TOKEN}', 'refreshToken: ${secret:zoho-refresh-token}'));
    try {
      const base = { ML_CONNECTOR_STATE: state, ML_CONNECTOR_CACHE_DIR: join(dir, 'cache-secrets') };
      const missing = await cli(['check', '--connection', 'zoho', '--config', systems.configDir, '--json'], { ...base, ML_CONNECTOR_MASTER_KEY: '' });
      expect(missing.code).toBe(1);
      expect(missing.stdout).toContain('"code": "MASTER_KEY_MISSING"');
      expect(missing.stdout).toMatch(/Set ML_CONNECTOR_MASTER_KEY .* to the key this state database was set up with \(key id [0-9a-f]{16}\)/);
      expect(missing.stdout).not.toMatch(/REAUTH|auth zoho/);

      const wrong = await cli(['check', '--connection', 'zoho', '--config', systems.configDir, '--json'], { ...base, ML_CONNECTOR_MASTER_KEY: randomBytes(32).toString('base64') });
      expect(wrong.code).toBe(1);
      expect(wrong.stdout).toContain('"code": "MASTER_KEY_WRONG"');
      expect(wrong.stdout).not.toMatch(/REAUTH|auth zoho/);

      const right = await cli(['check', '--connection', 'zoho', '--config', systems.configDir], { ...base, ML_CONNECTOR_MASTER_KEY: key });
      expect(right.stdout).toMatch(/ok\s+zoho\/auth/);
    } finally {
      writeFileSync(file, original);
    }
  });
});

describe('tokens that never lock a user out (built CLI)', () => {
  it('20 commands in a row, half without a master key, make one token request', async () => {
    const cache = join(dir, 'cache-20');
    const key = randomBytes(32).toString('base64');
    const before = tokenRequests();
    // Mostly the cheap `check`, with a `plan` of each kind in between: the token is the same.
    const commands: string[][] = [
      ['check', '--connection', 'zoho'],
      ['check', '--connection', 'zoho', '--json'],
      ['plan', '--mapping', 'employees-to-contacts'],
      ['check', '--connection', 'zoho'],
      ['plan', '--json'],
    ];
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      const args = commands[i % commands.length]!;
      const withKey = i >= 10;
      const run = await cli([...args, '--config', systems.configDir], { ML_CONNECTOR_CACHE_DIR: cache, ML_CONNECTOR_MASTER_KEY: withKey ? key : '' });
      expect(run.code, `${args.join(' ')} (${withKey ? 'with' : 'without'} a master key): ${run.stderr}`).toBe(0);
    }
    expect(tokenRequests() - before).toBe(1);
    expect(Date.now() - started).toBeLessThan(10 * 60_000);
    // And the cache holds no token in plain text (the simulator's tokens start with 1000.).
    const files = (await import('node:fs')).readdirSync(join(cache, 'zoho-tokens'));
    expect(files).toHaveLength(1);
    expect(readFileSync(join(cache, 'zoho-tokens', files[0]!), 'utf8')).not.toMatch(/1000\.|simrefresh/);
  }, 180_000); // twenty processes: about 15 s alone, several times that while other suites load the two cores

  it('when Zoho throttles, the message says when to retry and why, and the next command does not ask again', async () => {
    // Another place spends the 10 tokens of this refresh token's 10-minute window.
    const { zoho } = systems;
    for (let i = 0; i < 10; i++) {
      await request(`${zoho.accountsUrl}/oauth/v2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', client_id: zoho.credentials.clientId, client_secret: zoho.credentials.clientSecret, refresh_token: zoho.credentials.refreshToken }).toString(),
      }).then((r) => r.body.text());
    }
    const env = { ML_CONNECTOR_CACHE_DIR: join(dir, 'cache-throttled'), ML_CONNECTOR_MASTER_KEY: '' };
    const before = tokenRequests();
    const first = await cli(['check', '--connection', 'zoho', '--config', systems.configDir, '--json'], env);
    expect(first.code).toBe(1);
    const [auth] = (JSON.parse(first.stdout) as { results: Array<{ target: string; diagnosis?: string; details: { code?: string } }> }).results;
    expect(auth).toMatchObject({ target: 'zoho/auth', details: { code: 'ZOHO_TOKEN_THROTTLED' } });
    expect(auth!.diagnosis).toMatch(/^retry after \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in 15 minutes\): Zoho issues at most 10 access tokens per refresh token per 10 minutes/);
    const second = await cli(['plan', '--config', systems.configDir], env);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/ZOHO_TOKEN_THROTTLED/);
    expect(second.stderr).toMatch(/retry after/);
    expect(tokenRequests() - before).toBe(1); // the second command did not extend Zoho's block
  });
});
