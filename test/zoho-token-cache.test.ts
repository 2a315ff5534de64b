import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startZohoSimulator, type ZohoSimulator } from '../src/sim/zoho/index.js';
import { OffsetClock } from '../src/support/clock.js';
import { isMlError, type MlError } from '../src/support/errors.js';
import { createFileTokenCache, createZohoClient, defaultTokenCacheDir } from '../src/zoho/index.js';
import { connectionFor } from './zoho-harness.js';

/**
 * Zoho allows 10 access tokens per refresh token per 10 minutes, then blocks refreshes for
 * 15-30 minutes. Each CLI run is a new process, so the token is kept in an encrypted file in the
 * user's cache directory (no state database or master key needed) and reused by the next run
 * while it is valid; a throttle Zoho imposed is remembered there too. Simulator over HTTP.
 */

let sim: ZohoSimulator;
let dir: string;
const clock = new OffsetClock();

beforeAll(async () => {
  sim = await startZohoSimulator({ clock });
});
afterAll(async () => {
  await sim?.close();
});
beforeEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = mkdtempSync(join(tmpdir(), 'ml-zoho-token-cache-'));
  sim.requests.clear();
});

const identity = (refreshToken = sim.credentials.refreshToken) => ({
  accountsUrl: sim.accountsUrl,
  clientId: sim.credentials.clientId,
  clientSecret: sim.credentials.clientSecret,
  grant: { type: 'refresh_token' as const, refreshToken },
});

/** One "process": a new client on the same cache directory, making one API call. */
async function run(refreshToken = sim.credentials.refreshToken): Promise<void> {
  const client = createZohoClient(connectionFor(sim), {
    credentials: { clientId: sim.credentials.clientId, clientSecret: sim.credentials.clientSecret, refreshToken },
    clock,
    tokenCache: createFileTokenCache(identity(refreshToken), { dir }),
  });
  try {
    await client.getCurrentUser();
  } finally {
    await client.close();
  }
}

const failure = async (p: Promise<unknown>): Promise<MlError> => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!isMlError(err)) throw new Error(`expected an MlError, got ${String(err)}`);
  return err;
};

/** A second refresh token, through the consent page (auto-approved) and the code exchange. */
async function authorizeAgain(): Promise<string> {
  const c = sim.credentials;
  const redirectUri = 'http://127.0.0.1:9/callback';
  const auth = new URL(`${sim.accountsUrl}/oauth/v2/auth`);
  auth.search = new URLSearchParams({ client_id: c.clientId, response_type: 'code', redirect_uri: redirectUri, scope: 'ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.users.READ', access_type: 'offline', prompt: 'consent' }).toString();
  const code = new URL((await fetch(auth, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!;
  const body = new URLSearchParams({ grant_type: 'authorization_code', client_id: c.clientId, client_secret: c.clientSecret, redirect_uri: redirectUri, code });
  const answer = (await (await fetch(`${sim.accountsUrl}/oauth/v2/token`, { method: 'POST', body })).json()) as { refresh_token: string };
  return answer.refresh_token;
}

/** Spend Zoho's 10 tokens per 10 minutes for the demo refresh token from "elsewhere" (another host). */
async function exhaustTokenQuota(): Promise<void> {
  for (let i = 0; i < 11; i++) {
    await request(`${sim.accountsUrl}/oauth/v2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: sim.credentials.clientId, client_secret: sim.credentials.clientSecret, refresh_token: sim.credentials.refreshToken }).toString(),
    }).then((r) => r.body.text());
  }
}

describe('Zoho access tokens kept between runs, in the user cache directory', () => {
  it('twelve runs in a row ask Zoho for one token, not twelve (the 11th would be "Access Denied")', async () => {
    for (let i = 0; i < 12; i++) await run();
    expect(sim.requests.count({ kind: 'token' })).toBe(1);
    expect(sim.requests.count({ kind: 'users', status: 200 })).toBe(12);
  });

  it('keeps it encrypted, owner-only, under a name that says nothing', async () => {
    await run();
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9a-f]{32}\.json$/);
    if (process.platform !== 'win32') {
      expect(statSync(join(dir, files[0]!)).mode & 0o777).toBe(0o600);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
    }
    const token = (await createFileTokenCache(identity(), { dir }).load()).token!;
    expect(token.value).toMatch(/^1000\./);
    const bytes = readFileSync(join(dir, files[0]!), 'utf8');
    for (const secret of [token.value, sim.credentials.refreshToken, sim.credentials.clientSecret, sim.apiDomain]) expect(bytes).not.toContain(secret);
    // Other credentials find nothing there: the key and the file name come from the credentials.
    expect(await createFileTokenCache({ ...identity(), clientSecret: 'another-secret' }, { dir }).load()).toEqual({});
  });

  it('asks again once the kept token is due for refresh: one token per 55 minutes', async () => {
    await run();
    clock.advance(56 * 60_000); // within the 5-minute refresh margin of the 60-minute token
    await run();
    await run();
    expect(sim.requests.count({ kind: 'token' })).toBe(2);
  });

  it('ignores a token kept for another refresh token (after a new authorization)', async () => {
    await run();
    await run(await authorizeAgain());
    expect(sim.requests.count({ kind: 'token' })).toBe(3); // first run, code exchange, second run
  });

  it('a kept token Zoho no longer accepts costs one refresh, and the call succeeds', async () => {
    await run();
    sim.inject({ at: { kind: 'users' }, status: 401 });
    await run();
    expect(sim.requests.count({ kind: 'token' })).toBe(2);
    await run();
    expect(sim.requests.count({ kind: 'token' })).toBe(2); // the new one is kept
  });

  it('a damaged cache file is ignored (one refresh), never an error', async () => {
    await run();
    const file = join(dir, readdirSync(dir)[0]!);
    const sealed = JSON.parse(readFileSync(file, 'utf8')) as { data: string };
    writeFileSync(file, JSON.stringify({ ...sealed, data: Buffer.from('tampered').toString('base64') }));
    await run();
    expect(sim.requests.count({ kind: 'token' })).toBe(2);
  });

  it('remembers a throttle: the next run does not ask (which would extend the block) and says when to retry', async () => {
    clock.advance(60 * 60_000); // a fresh 10-minute window for the simulator's token counter
    await exhaustTokenQuota();
    sim.requests.clear();
    const first = await failure(run());
    expect(first.code).toBe('ZOHO_TOKEN_THROTTLED');
    expect(first.hint).toMatch(/^retry after \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in 15 minutes\): Zoho issues at most 10 access tokens per refresh token per 10 minutes/);
    expect(sim.requests.count({ kind: 'token' })).toBe(1);
    for (let i = 0; i < 3; i++) {
      const again = await failure(run());
      expect(again.code).toBe('ZOHO_TOKEN_THROTTLED');
      expect(again.hint).toBe(first.hint);
    }
    expect(sim.requests.count({ kind: 'token' })).toBe(1);
    clock.advance(16 * 60_000); // past our cool-down and the simulator's (15 minutes after the last attempt)
    await run();
    expect(sim.requests.count({ kind: 'token' })).toBe(2); // the refused one ("Access Denied" comes as HTTP 200), then one that worked
  });

  it('lives in $ML_CONNECTOR_CACHE_DIR, else the platform cache directory', () => {
    expect(defaultTokenCacheDir({ ML_CONNECTOR_CACHE_DIR: '/srv/ml-state/cache' })).toBe(join('/srv/ml-state/cache', 'zoho-tokens'));
    expect(defaultTokenCacheDir({})).toMatch(/ml-connector([/\\]Cache)?[/\\]zoho-tokens$/);
  });
});
