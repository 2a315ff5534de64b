import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startZohoSimulator, type ZohoSimulator } from '../src/sim/zoho/index.js';
import { OffsetClock } from '../src/support/clock.js';
import { isMlError, type MlError } from '../src/support/errors.js';
import { createZohoClient } from '../src/zoho/index.js';
import { collect, connectionFor, contacts, startRig, type ZohoRig } from './zoho-harness.js';

let rig: ZohoRig | undefined;
const extra: ZohoSimulator[] = [];
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  for (const s of extra.splice(0)) await s.close();
});

const caught = async (p: Promise<unknown>): Promise<MlError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMlError(err)) throw new Error(`expected an MlError, got ${String(err)}`);
  return err;
};

describe('Zoho token manager over HTTP', () => {
  it('refreshes exactly once when the token expires in the middle of 10 concurrent calls, and no call fails', async () => {
    rig = await startRig();
    const [w] = await rig.client.upsert('Contacts', contacts(1), { duplicateCheckFields: ['PeopleSoft_Employee_ID'] });
    expect(rig.sim.requests.count({ kind: 'token' })).toBe(1);
    rig.clock.advance(3_600_000); // the access token is now expired for both sides
    const got = await Promise.all(Array.from({ length: 10 }, () => rig!.client.getRecord('Contacts', w!.id!)));
    expect(got.every((r) => r?.id === w!.id)).toBe(true);
    expect(rig.sim.requests.count({ kind: 'token' })).toBe(2);
    expect(rig.sim.requests.entries.filter((e) => e.kind === 'get').every((e) => e.status === 200)).toBe(true);
    expect(rig.client.stats().tokenRefreshes).toBe(2);
  });

  it('retries each call once after 401 INVALID_TOKEN, with a single new token between them', async () => {
    rig = await startRig();
    const [w] = await rig.client.upsert('Contacts', contacts(1), { duplicateCheckFields: ['PeopleSoft_Employee_ID'] });
    // Another process mints 15 more tokens from the same refresh token: Zoho keeps 15 live
    // tokens, so the 16th invalidates ours although it has not expired.
    for (let i = 0; i < 15; i++) {
      if (i === 9) rig.clock.advance(11 * 60_000); // stay under 10 tokens per 10 minutes
      const res = await request(`${rig.sim.accountsUrl}/oauth/v2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', client_id: rig.sim.credentials.clientId, client_secret: rig.sim.credentials.clientSecret, refresh_token: rig.sim.credentials.refreshToken }).toString(),
      });
      expect(((await res.body.json()) as { access_token?: string }).access_token).toBeTruthy();
    }
    rig.sim.requests.clear();
    const got = await Promise.all(Array.from({ length: 10 }, () => rig!.client.getRecord('Contacts', w!.id!)));
    expect(got.every((r) => r?.id === w!.id)).toBe(true);
    expect(rig.sim.requests.count({ kind: 'token' })).toBe(1);
    expect(rig.sim.requests.count({ kind: 'get', status: 401 })).toBe(10);
    expect(rig.sim.requests.count({ kind: 'get', status: 200 })).toBe(10);
  });

  it('says "re-run ml-connector auth zoho" when the refresh token was revoked', async () => {
    rig = await startRig();
    await collect(rig.client.listRecords('Contacts', ['Last_Name']));
    rig.sim.revokeRefreshToken(); // also kills the access tokens minted from it
    const err = await caught(collect(rig.client.listRecords('Contacts', ['Last_Name'])));
    expect(err.code).toBe('ZOHO_REAUTH_REQUIRED');
    expect(err.hint).toMatch(/re-run ml-connector auth zoho/);
    expect(JSON.stringify(err.toJSON()) + err.message).not.toContain(rig.sim.credentials.refreshToken);
    // And it does not keep asking: the next call fails at once without a token request.
    const tokenCalls = rig.sim.requests.count({ kind: 'token' });
    await caught(rig.client.getRecord('Contacts', '1'));
    expect(rig.sim.requests.count({ kind: 'token' })).toBe(tokenCalls);
  });

  it('recognises a token error inside an HTTP 200 body', async () => {
    const clock = new OffsetClock();
    const sim = await startZohoSimulator({ clock });
    extra.push(sim);
    const client = createZohoClient(connectionFor(sim), {
      credentials: { clientId: sim.credentials.clientId, clientSecret: 'wrong-secret-value', refreshToken: sim.credentials.refreshToken },
      clock,
    });
    const err = await caught(client.connect());
    expect(sim.requests.entries.find((e) => e.kind === 'token')?.status).toBe(200);
    expect(err.code).toBe('ZOHO_AUTH_FAILED');
    expect(err.message).toMatch(/invalid_client_secret/);
    expect(err.message + JSON.stringify(err.meta)).not.toContain('wrong-secret-value');
  });

  it('diagnoses the wrong data center: the accounts server there does not know the client', async () => {
    const clock = new OffsetClock();
    const home = await startZohoSimulator({ clock });
    const elsewhere = await startZohoSimulator({ clock, client: { clientId: '1000.OTHERDCCLIENT', clientSecret: 'x-secret-x', refreshToken: '1000.other.refresh', orgId: '1' } });
    extra.push(home, elsewhere);
    const conn = connectionFor(home, { region: 'eu', accountsUrl: elsewhere.accountsUrl, apiUrl: elsewhere.apiDomain });
    const client = createZohoClient(conn, { credentials: { ...home.credentials }, clock });
    const err = await caught(client.getRecord('Contacts', '1'));
    expect(err.code).toBe('ZOHO_WRONG_DATA_CENTER');
    expect(err.message).toMatch(/another data center: check `region`/);
    expect(err.hint).toMatch(/region/);
    expect(elsewhere.requests.count({ kind: 'token' })).toBe(1);
  });

  it('sends API calls to the api_domain of the token answer, not the configured guess', async () => {
    rig = await startRig({ conn: { apiUrl: 'http://127.0.0.1:9' } }); // nothing listens there
    expect(await rig.client.connect()).toMatchObject({ apiDomain: rig.sim.apiDomain, reused: false });
    expect(await collect(rig.client.listRecords('Contacts', ['Last_Name']))).toEqual([]);
  });

  it('gets tokens with the client-credentials grant (self client with soid), no refresh token involved', async () => {
    const clock = new OffsetClock();
    const sim = await startZohoSimulator({ clock });
    extra.push(sim);
    const conn = connectionFor(sim, { auth: { type: 'client_credentials', clientId: sim.credentials.clientId, clientSecret: '${env:S}', soid: `ZohoCRM.${sim.credentials.orgId}` } });
    const client = createZohoClient(conn, { credentials: { clientId: sim.credentials.clientId, clientSecret: sim.credentials.clientSecret }, clock });
    expect((await client.getOrg()).id).toBe(sim.credentials.orgId);
    const token = sim.requests.entries.find((e) => e.kind === 'token');
    expect(token?.status).toBe(200);
  });

  it('a token refused right after a refresh is sent again after a backoff, and the call succeeds', async () => {
    rig = await startRig();
    await rig.client.connect();
    rig.sim.inject({ at: { kind: 'list' }, status: 401, times: 2 }); // the old token, then the fresh one
    expect(await collect(rig.client.listRecords('Contacts', ['Last_Name']))).toEqual([]);
    expect(rig.sim.requests.entries.filter((e) => e.kind === 'list').map((e) => e.status)).toEqual([401, 401, 204]);
    expect(rig.sim.requests.count({ kind: 'token' })).toBe(2); // one refresh, not one per refusal
  });

  it('a fresh token refused every time is ZOHO_INVALID_TOKEN, and the region is not blamed while accounts server and API domain agree', async () => {
    rig = await startRig();
    await rig.client.connect();
    rig.sim.inject({ at: { kind: 'list' }, status: 401, times: 10 });
    const err = await caught(collect(rig.client.listRecords('Contacts', ['Last_Name'])));
    expect(err.code).toBe('ZOHO_INVALID_TOKEN');
    expect(err.message).toMatch(/refused a freshly issued access token 3 times/);
    expect(err.message + (err.hint ?? '')).not.toMatch(/region|data center/);
    expect(err.hint).toMatch(/15 newer tokens/);
    expect(rig.sim.requests.count({ kind: 'list' })).toBe(4); // the first try, the fresh token, two retries after a backoff
    expect(rig.sim.requests.count({ kind: 'token' })).toBe(2);
  });

  it('stops asking after "Access Denied" from the token endpoint and says why', async () => {
    rig = await startRig();
    await rig.client.connect();
    // Each injected 401 forces a refresh; Zoho allows 10 tokens per refresh token per 10 minutes.
    let err: MlError | undefined;
    for (let i = 0; i < 12 && !err; i++) {
      rig.sim.inject({ at: { kind: 'list' }, status: 401 });
      err = await collect(rig.client.listRecords('Contacts', ['Last_Name'])).then(() => undefined, (e: MlError) => e);
    }
    expect(err?.code).toBe('ZOHO_TOKEN_THROTTLED');
    expect(err?.hint).toMatch(/15-30 minutes/);
    expect(rig.sim.requests.count({ kind: 'token' })).toBe(11);
    // No hammering: further calls fail at once, without asking the token endpoint again.
    for (let i = 0; i < 3; i++) expect((await caught(rig.client.getRecord('Contacts', '1'))).code).toBe('ZOHO_TOKEN_THROTTLED');
    expect(rig.sim.requests.count({ kind: 'token' })).toBe(11);
  });
});

describe('Zoho limits over HTTP', () => {
  it('retries a 429 after the Retry-After it carries', async () => {
    rig = await startRig();
    await rig.client.connect();
    rig.sim.inject({ at: { kind: 'list' }, status: 429, retryAfterSec: 1 });
    const started = Date.now();
    await collect(rig.client.listRecords('Contacts', ['Last_Name']));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(rig.sim.requests.entries.filter((e) => e.kind === 'list').map((e) => e.status)).toEqual([429, 204]);
    expect(rig.client.stats().retries).toBe(1);
  });

  it('retries 5xx and dropped connections with backoff, and gives up after the bounded attempts', async () => {
    rig = await startRig();
    await rig.client.connect();
    rig.sim.inject({ at: { kind: 'list' }, status: 500 });
    rig.sim.inject({ at: { kind: 'list' }, reset: true });
    await collect(rig.client.listRecords('Contacts', ['Last_Name']));
    expect(rig.sim.requests.count({ kind: 'list' })).toBeGreaterThanOrEqual(2);
    rig.sim.inject({ at: { kind: 'list' }, status: 429, times: 4 });
    const err = await caught(collect(rig.client.listRecords('Contacts', ['Last_Name'])));
    expect(err.code).toBe('ZOHO_TOO_MANY_REQUESTS');
    expect(err.hint).toMatch(/credits/);
  });

  it('never has more calls in flight than the concurrency limit (from the simulator log)', async () => {
    rig = await startRig({ sim: { concurrencyLimit: 5, latencyMs: 15 }, conn: { edition: 'free' } });
    const w = await rig.client.upsert('Contacts', contacts(350), { duplicateCheckFields: ['PeopleSoft_Employee_ID'] });
    expect(w.every((r) => r.ok)).toBe(true);
    await Promise.all(w.slice(0, 40).map((r) => rig!.client.getRecord('Contacts', r.id!)));
    expect(rig.sim.requests.maxConcurrent()).toBeLessThanOrEqual(5);
    expect(rig.sim.requests.maxConcurrent()).toBeGreaterThanOrEqual(2);
    expect(rig.sim.requests.count({ status: 429 })).toBe(0);
  });
});

describe('Zoho answers cut short', () => {
  it('sends a read again when the JSON body was truncated', async () => {
    rig = await startRig();
    await rig.client.upsert('Contacts', contacts(2), { duplicateCheckFields: ['PeopleSoft_Employee_ID'] });
    rig.sim.inject({ at: { kind: 'list' }, truncatedJson: true });
    expect(await collect(rig.client.listRecords('Contacts', ['Last_Name']))).toHaveLength(2);
    expect(rig.sim.requests.count({ kind: 'list' })).toBe(2);
  });
});
