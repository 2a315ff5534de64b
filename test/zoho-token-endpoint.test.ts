/**
 * Zoho's token endpoint failing the ordinary ways (429, 5xx, unreachable), the credentials of a
 * `${secret:}` value behind a missing or wrong master key, and the default scopes against the
 * simulator's strict scope checks. What a user notices: the run carries on when the failure
 * passes, a coded error that says when to retry when it does not, and "re-run auth zoho" only
 * when Zoho says the grant is gone. Simulator over real HTTP, real SQLite state.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import type { Mapping, ZohoConnection } from '../src/config/types.generated.js';
import { startZohoSimulator, type ZohoSimulator } from '../src/sim/zoho/index.js';
import { openStateStore } from '../src/state/index.js';
import { OffsetClock } from '../src/support/clock.js';
import { isMlError, type MlError } from '../src/support/errors.js';
import { checkZohoConnection, createZohoClient, DEFAULT_SCOPES, resolveZohoCredentials } from '../src/zoho/index.js';
import { SCOPE_OF_CALL } from '../src/zoho/scopes.js';
import { collect, connectionFor } from './zoho-harness.js';

const sims: ZohoSimulator[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of sims.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(o: Parameters<typeof startZohoSimulator>[0] = {}): Promise<{ sim: ZohoSimulator; clock: OffsetClock }> {
  const clock = new OffsetClock();
  const sim = await startZohoSimulator({ clock, ...o });
  sims.push(sim);
  return { sim, clock };
}

const clientFor = (sim: ZohoSimulator, clock: OffsetClock, conn: ZohoConnection = connectionFor(sim)) =>
  createZohoClient(conn, { credentials: { ...sim.credentials }, clock, tokenCache: false });

const caught = async (p: Promise<unknown>): Promise<MlError> => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!isMlError(err)) throw new Error(`expected an MlError, got ${String(err)}`);
  return err;
};

describe('the token endpoint failing', () => {
  it('a 429 with Retry-After is waited out and retried: the call succeeds', async () => {
    const { sim, clock } = await start({ tokenEndpointFailure: { status: 429, times: 1, retryAfterSec: 1 } });
    const started = Date.now();
    expect(await collect(clientFor(sim, clock).listRecords('Contacts', ['Last_Name']))).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(sim.requests.entries.filter((e) => e.kind === 'token').map((e) => e.status)).toEqual([429, 200]);
  });

  it('a 429 that persists is ZOHO_TOKEN_THROTTLED with when to retry, never "re-run auth zoho", and is not asked again before then', async () => {
    const { sim, clock } = await start({ tokenEndpointFailure: { status: 429 } });
    const client = clientFor(sim, clock);
    const err = await caught(client.connect());
    expect(err.code).toBe('ZOHO_TOKEN_THROTTLED');
    expect(err.hint).toMatch(/^retry after \S+Z \(in 60 seconds\)/);
    expect(err.message + err.hint).not.toMatch(/auth zoho/);
    expect(sim.requests.count({ kind: 'token' })).toBe(4); // the bounded attempts, with backoff
    expect((await caught(client.getRecord('Contacts', '1'))).code).toBe('ZOHO_TOKEN_THROTTLED');
    expect(sim.requests.count({ kind: 'token' })).toBe(4);
    sim.failTokenEndpoint(undefined);
    clock.advance(61_000);
    await client.connect();
    expect(sim.requests.count({ kind: 'token' })).toBe(5);
  });

  it('a 500 is retried with backoff: the call succeeds', async () => {
    const { sim, clock } = await start({ tokenEndpointFailure: { status: 500, times: 2 } });
    await clientFor(sim, clock).getCurrentUser();
    expect(sim.requests.entries.filter((e) => e.kind === 'token').map((e) => e.status)).toEqual([500, 500, 200]);
  });

  it('5xx that persist are ZOHO_TOKEN_UNAVAILABLE (retry later), not REAUTH; the grant still works afterwards', async () => {
    const { sim, clock } = await start({ tokenEndpointFailure: { status: 503 } });
    const client = clientFor(sim, clock);
    const err = await caught(client.getCurrentUser());
    expect(err.code).toBe('ZOHO_TOKEN_UNAVAILABLE');
    expect(err.message).toMatch(/answered HTTP 503 to every attempt/);
    expect(err.hint).toMatch(/^retry after .*nothing is wrong with the credentials/);
    sim.failTokenEndpoint(undefined);
    clock.advance(31_000);
    expect((await client.getCurrentUser()).id).toBeTruthy();
  });

  it('a revoked refresh token is still REAUTH (Zoho says invalid_code)', async () => {
    const { sim, clock } = await start();
    sim.revokeRefreshToken();
    expect((await caught(clientFor(sim, clock).connect())).code).toBe('ZOHO_REAUTH_REQUIRED');
  });
});

describe('credentials from the secret store', () => {
  it('a missing or wrong master key keeps its own code; only a refresh token never stored asks for auth zoho', async () => {
    const { sim } = await start();
    const dir = mkdtempSync(join(tmpdir(), 'ml-zoho-secret-'));
    dirs.push(dir);
    const key = randomBytes(32).toString('base64');
    const path = join(dir, 'state.db');
    let store = await openStateStore(path, { masterKey: key });
    await store.secrets.set('zoho-refresh-token', sim.credentials.refreshToken);
    await store.secrets.set('zoho-client-secret', sim.credentials.clientSecret);
    await store.close();
    const conn = connectionFor(sim, { auth: { type: 'refresh_token', clientId: sim.credentials.clientId, clientSecret: '${secret:zoho-client-secret}', refreshToken: '${secret:zoho-refresh-token}' } });
    const resolve = async (o: { masterKey?: string; env?: NodeJS.ProcessEnv }, c = conn): Promise<MlError | undefined> => {
      store = await openStateStore(path, { ...o, env: o.env ?? {} });
      try {
        return await resolveZohoCredentials(c, { secrets: store.secrets }).then(() => undefined, (e: MlError) => e);
      } finally {
        await store.close();
      }
    };
    expect(await resolve({ masterKey: key })).toBeUndefined();
    const missing = await resolve({});
    expect(missing).toMatchObject({ code: 'MASTER_KEY_MISSING' });
    expect(missing!.message).toMatch(/^zoho auth.clientSecret needs the stored secret zoho-client-secret/);
    const wrong = await resolve({ masterKey: randomBytes(32).toString('base64') });
    expect(wrong).toMatchObject({ code: 'MASTER_KEY_WRONG' });
    const badFile = await resolve({ env: { ML_CONNECTOR_MASTER_KEY_FILE: join(dir, 'no-such.key') } });
    expect(badFile).toMatchObject({ code: 'MASTER_KEY_MISSING' });
    for (const err of [missing, wrong, badFile]) expect(`${err!.message} ${err!.hint}`).not.toMatch(/auth zoho/);
    const neverStored = await resolve({ masterKey: key }, { ...conn, auth: { ...conn.auth, refreshToken: '${secret:zoho-other-token}' } as ZohoConnection['auth'] });
    expect(neverStored).toMatchObject({ code: 'ZOHO_REAUTH_REQUIRED' });
    expect(neverStored!.hint).toMatch(/auth zoho/);
  });
});

describe('default scopes', () => {
  /** The example configuration's mappings (Contacts and Vendors, with their custom fields). */
  const mappings = async (): Promise<Mapping[]> => [...(await loadConfig('configs', { env: {} })).config!.mappings.values()];

  it('cover every kind of call the client makes', () => {
    for (const scope of Object.values(SCOPE_OF_CALL)) expect(DEFAULT_SCOPES).toContain(scope);
  });

  it('the schema defaults of both grants are DEFAULT_SCOPES', async () => {
    const schema = JSON.parse((await import('node:fs')).readFileSync('schema/zoho-connection.schema.json', 'utf8')) as { properties: { auth: { oneOf: Array<{ properties: { scopes: { default: string[] } } }> } } };
    for (const grant of schema.properties.auth.oneOf) expect(grant.properties.scopes.default).toEqual(DEFAULT_SCOPES);
  });

  it('check passes with the client-credentials defaults, and every check runs (the simulator enforces scopes)', async () => {
    const { sim, clock } = await start();
    const conn = connectionFor(sim, { auth: { type: 'client_credentials', clientId: sim.credentials.clientId, clientSecret: '${env:S}', soid: `ZohoCRM.${sim.credentials.orgId}` } });
    const results = await checkZohoConnection(conn, await mappings(), { credentials: { clientId: sim.credentials.clientId, clientSecret: sim.credentials.clientSecret }, clock, tokenCache: false });
    expect(results.filter((r) => r.status === "error"), JSON.stringify(results, null, 1)).toEqual([]);
    expect(results.map((r) => r.target).sort()).toEqual(['zoho/auth', 'zoho/user', 'zoho/org', 'zoho/modules', 'zoho/Contacts (employees-to-contacts)', 'zoho/Contacts (contractors-to-contacts)', 'zoho/Accounts (vendors-to-accounts)', 'zoho/Accounts (departments-to-accounts)', 'zoho/credits'].sort());
    const token = sim.requests.entries.find((e) => e.kind === 'token')!;
    expect(token.status).toBe(200);
    // Channels and COQL are granted too (webhooks, serve).
    const client = createZohoClient(conn, { credentials: { clientId: sim.credentials.clientId, clientSecret: sim.credentials.clientSecret }, clock, tokenCache: false });
    expect(await client.channels.list()).toEqual([]);
  });

  it('the old client-credentials default (no ZohoCRM.users.READ) fails check, and the hint names the scope', async () => {
    const { sim, clock } = await start();
    const conn = connectionFor(sim, {
      auth: { type: 'client_credentials', clientId: sim.credentials.clientId, clientSecret: '${env:S}', soid: `ZohoCRM.${sim.credentials.orgId}`, scopes: ['ZohoCRM.modules.ALL', 'ZohoCRM.settings.fields.READ', 'ZohoCRM.settings.modules.READ', 'ZohoCRM.org.READ'] },
    });
    const results = await checkZohoConnection(conn, [], { credentials: { clientId: sim.credentials.clientId, clientSecret: sim.credentials.clientSecret }, clock, tokenCache: false });
    const user = results.find((r) => r.target === 'zoho/user')!;
    expect(user).toMatchObject({ status: 'error', details: { code: 'ZOHO_OAUTH_SCOPE_MISMATCH' } });
    expect(user.diagnosis).toMatch(/lacks ZohoCRM\.users\.READ/);
  });

  it('a refresh token authorized with the defaults (what auth zoho asks for) passes check too', async () => {
    const { sim, clock } = await start();
    const c = sim.credentials;
    const redirectUri = 'http://127.0.0.1:9/callback';
    const auth = new URL(`${sim.accountsUrl}/oauth/v2/auth`);
    auth.search = new URLSearchParams({ client_id: c.clientId, response_type: 'code', redirect_uri: redirectUri, scope: DEFAULT_SCOPES.join(','), access_type: 'offline', prompt: 'consent' }).toString();
    const code = new URL((await fetch(auth, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!;
    const answer = (await (await fetch(`${sim.accountsUrl}/oauth/v2/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', client_id: c.clientId, client_secret: c.clientSecret, redirect_uri: redirectUri, code }) })).json()) as { refresh_token: string; scope: string };
    expect(answer.scope.split(' ').sort()).toEqual([...DEFAULT_SCOPES].sort());
    const results = await checkZohoConnection(connectionFor(sim), await mappings(), { credentials: { ...c, refreshToken: answer.refresh_token }, clock, tokenCache: false });
    expect(results.filter((r) => r.status === "error"), JSON.stringify(results, null, 1)).toEqual([]);
  });
});
