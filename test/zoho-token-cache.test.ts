import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startZohoSimulator, type ZohoSimulator } from '../src/sim/zoho/index.js';
import { openStateStore, type StateStore } from '../src/state/index.js';
import { OffsetClock } from '../src/support/clock.js';
import { createZohoClient, tokenCacheSecretName } from '../src/zoho/index.js';
import { connectionFor } from './zoho-harness.js';

/**
 * Zoho allows 10 access tokens per refresh token per 10 minutes, then blocks refreshes for
 * 15-30 minutes. Each CLI run is a new process, so the token is kept (encrypted) in the state
 * database and reused by the next run while it is valid. Real SQLite file, simulator over HTTP.
 */

let sim: ZohoSimulator;
let dir: string;
let store: StateStore;
const clock = new OffsetClock();
const masterKey = randomBytes(32).toString('base64');

beforeAll(async () => {
  sim = await startZohoSimulator({ clock });
  dir = mkdtempSync(join(tmpdir(), 'ml-zoho-token-cache-'));
  store = await openStateStore(join(dir, 'state.db'), { masterKey });
});
afterAll(async () => {
  await store?.close();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await store.secrets.remove(tokenCacheSecretName('zoho'));
  sim.requests.clear();
});

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

/** One "process": a new client on the same state database, making one API call. */
async function run(refreshToken = sim.credentials.refreshToken): Promise<void> {
  const client = createZohoClient(connectionFor(sim), {
    credentials: { clientId: sim.credentials.clientId, clientSecret: sim.credentials.clientSecret, refreshToken },
    clock,
    tokenSecrets: store.secrets,
  });
  try {
    await client.getCurrentUser();
  } finally {
    await client.close();
  }
}

describe('Zoho access tokens kept between runs', () => {
  it('twelve runs in a row ask Zoho for one token, not twelve (the 11th would be "Access Denied")', async () => {
    for (let i = 0; i < 12; i++) await run();
    expect(sim.requests.count({ kind: 'token' })).toBe(1);
    const stored = await store.secrets.get(tokenCacheSecretName('zoho'));
    expect(stored).not.toContain(sim.credentials.refreshToken);
  });

  it('asks again once the kept token is due for refresh', async () => {
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
    sim.inject({ at: 'next', status: 401 });
    await run();
    expect(sim.requests.count({ kind: 'token' })).toBe(2);
  });
});
