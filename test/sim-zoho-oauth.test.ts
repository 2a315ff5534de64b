import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/support/clock.js';
import { startZohoSimulator, type ZohoSimulator, type ZohoSimulatorOptions } from '../src/sim/zoho/index.js';

/** The accounts server over real HTTP: grant flow, refresh, client credentials, throttles, revoke. */

let sim: ZohoSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(opts: ZohoSimulatorOptions = {}): Promise<ZohoSimulator> {
  sim = await startZohoSimulator(opts);
  return sim;
}

async function token(s: ZohoSimulator, params: Record<string, string>, as: 'query' | 'urlencoded' | 'multipart' = 'urlencoded'): Promise<{ status: number; body: any; type: string | null }> {
  let res: Response;
  if (as === 'query') {
    res = await fetch(`${s.accountsUrl}/oauth/v2/token?${new URLSearchParams(params)}`, { method: 'POST' });
  } else if (as === 'multipart') {
    const form = new FormData();
    for (const [k, v] of Object.entries(params)) form.append(k, v);
    res = await fetch(`${s.accountsUrl}/oauth/v2/token`, { method: 'POST', body: form });
  } else {
    res = await fetch(`${s.accountsUrl}/oauth/v2/token`, { method: 'POST', body: new URLSearchParams(params) });
  }
  return { status: res.status, body: await res.json(), type: res.headers.get('content-type') };
}

const refresh = (s: ZohoSimulator, as?: 'query' | 'urlencoded' | 'multipart') =>
  token(s, { grant_type: 'refresh_token', client_id: s.credentials.clientId, client_secret: s.credentials.clientSecret, refresh_token: s.credentials.refreshToken }, as);

const apiGet = async (s: ZohoSimulator, path: string, accessToken: string) => {
  const res = await fetch(`${s.apiDomain}${path}`, { headers: { Authorization: `Zoho-oauthtoken ${accessToken}` } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};

describe('Zoho accounts server', () => {
  it('refreshes an access token from query, urlencoded and multipart bodies; no refresh_token in the answer', async () => {
    const s = await start();
    for (const as of ['query', 'urlencoded', 'multipart'] as const) {
      const r = await refresh(s, as);
      expect(r.status).toBe(200);
      expect(r.type).toBe('application/json;charset=UTF-8');
      expect(r.body).toMatchObject({ api_domain: s.url, token_type: 'Bearer', expires_in: 3600 });
      expect(r.body.access_token).toMatch(/^1000\./);
      expect(r.body).not.toHaveProperty('refresh_token');
      expect(r.body).not.toHaveProperty('expires_in_sec');
    }
  });

  it('answers token errors with HTTP 200 and an error body', async () => {
    const s = await start();
    const c = s.credentials;
    const cases: Array<[Record<string, string>, string]> = [
      [{ grant_type: 'refresh_token', client_id: 'nope', client_secret: c.clientSecret, refresh_token: c.refreshToken }, 'invalid_client'],
      [{ grant_type: 'refresh_token', client_id: c.clientId, client_secret: 'wrong', refresh_token: c.refreshToken }, 'invalid_client_secret'],
      [{ grant_type: 'refresh_token', client_id: c.clientId, client_secret: c.clientSecret, refresh_token: '1000.bad.bad' }, 'invalid_code'],
      [{ grant_type: 'authorization_code', client_id: c.clientId, client_secret: c.clientSecret, code: '1000.used.or.bad' }, 'invalid_code'],
      [{ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret, scope: 'ZohoCRM.modules.ALL' }, 'missing_org_info'],
      [{ grant_type: 'password', client_id: c.clientId, client_secret: c.clientSecret }, 'unsupported_grant_type'],
    ];
    for (const [params, error] of cases) {
      const r = await token(s, params);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ error });
    }
  });

  it('runs the authorization-code flow: consent redirect with code, state, location, accounts-server; single-use code', async () => {
    const s = await start();
    const c = s.credentials;
    const redirectUri = 'http://127.0.0.1:9/callback';
    const auth = new URL(`${s.accountsUrl}/oauth/v2/auth`);
    auth.search = new URLSearchParams({ client_id: c.clientId, response_type: 'code', redirect_uri: redirectUri, scope: 'ZohoCRM.modules.ALL,ZohoCRM.settings.ALL', access_type: 'offline', state: 'xyz' }).toString();
    const res = await fetch(auth, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe(redirectUri);
    expect(back.searchParams.get('state')).toBe('xyz');
    expect(back.searchParams.get('location')).toBe('us');
    expect(back.searchParams.get('accounts-server')).toBe(s.accountsUrl);
    const code = back.searchParams.get('code')!;

    const params = { grant_type: 'authorization_code', client_id: c.clientId, client_secret: c.clientSecret, redirect_uri: redirectUri, code };
    const first = await token(s, params, 'multipart');
    expect(first.body).toMatchObject({ api_domain: s.url, expires_in: 3600, token_type: 'Bearer' });
    expect(first.body.refresh_token).toMatch(/^1000\./);
    expect(first.body.scope).toBe('ZohoCRM.modules.ALL ZohoCRM.settings.ALL');
    expect((await token(s, params)).body).toEqual({ error: 'invalid_code' });

    // A second offline authorization without prompt=consent yields no new refresh token; with it, one.
    const exchange = async (extra: Record<string, string>) => {
      auth.search = new URLSearchParams({ client_id: c.clientId, response_type: 'code', redirect_uri: redirectUri, scope: 'ZohoCRM.modules.ALL', access_type: 'offline', ...extra }).toString();
      const again = new URL((await fetch(auth, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!;
      return (await token(s, { ...params, code: again })).body;
    };
    expect(await exchange({})).not.toHaveProperty('refresh_token');
    expect((await exchange({ prompt: 'consent' })).refresh_token).toMatch(/^1000\./);

    // The new refresh token works; its access token carries only the granted scopes.
    const again = await token(s, { grant_type: 'refresh_token', client_id: c.clientId, client_secret: c.clientSecret, refresh_token: first.body.refresh_token });
    expect((await apiGet(s, '/crm/v8/org', again.body.access_token)).body).toMatchObject({ code: 'OAUTH_SCOPE_MISMATCH', message: 'Unauthorized' });
  });

  it('rejects an unknown client or redirect URI on the consent page, and a code exchanged with another redirect URI', async () => {
    const s = await start({ client: { clientId: 'cid', clientSecret: 'sec', refreshToken: '1000.r.r', orgId: '1', redirectUris: ['http://127.0.0.1:9/cb'] } });
    const url = (q: Record<string, string>) => `${s.accountsUrl}/oauth/v2/auth?${new URLSearchParams(q)}`;
    expect((await fetch(url({ client_id: 'other', response_type: 'code', redirect_uri: 'http://127.0.0.1:9/cb', scope: 'a' }), { redirect: 'manual' })).status).toBe(400);
    expect((await fetch(url({ client_id: 'cid', response_type: 'code', redirect_uri: 'http://127.0.0.1:9/other', scope: 'a' }), { redirect: 'manual' })).status).toBe(400);
    const ok = await fetch(url({ client_id: 'cid', response_type: 'code', redirect_uri: 'http://127.0.0.1:9/cb', scope: 'ZohoCRM.modules.ALL' }), { redirect: 'manual' });
    const code = new URL(ok.headers.get('location')!).searchParams.get('code')!;
    const r = await token(s, { grant_type: 'authorization_code', client_id: 'cid', client_secret: 'sec', redirect_uri: 'http://127.0.0.1:9/elsewhere', code });
    expect(r.body).toEqual({ error: 'invalid_redirect_uri' });
  });

  it('shows a consent page when auto-approve is off, and redirects once accepted', async () => {
    const s = await start({ autoApprove: false });
    const url = `${s.accountsUrl}/oauth/v2/auth?${new URLSearchParams({ client_id: s.credentials.clientId, response_type: 'code', redirect_uri: 'http://127.0.0.1:9/cb', scope: 'ZohoCRM.modules.ALL', state: 's1' })}`;
    const page = await fetch(url, { redirect: 'manual' });
    expect(page.status).toBe(200);
    const html = await page.text();
    const accept = /href="([^"]+)"/.exec(html)![1]!.replace(/&#38;/g, '&');
    const done = await fetch(`${s.accountsUrl}${accept}`, { redirect: 'manual' });
    expect(done.status).toBe(302);
    const back = new URL(done.headers.get('location')!);
    expect(back.searchParams.get('state')).toBe('s1');
    expect(back.searchParams.get('code')).toMatch(/^1000\./);
  });

  it('expires grant codes after 2 minutes and access tokens after 3600 s on the simulator clock', async () => {
    const clock = new ManualClock(Date.parse('2026-03-02T09:00:00Z'));
    const s = await start({ clock });
    const c = s.credentials;
    const auth = `${s.accountsUrl}/oauth/v2/auth?${new URLSearchParams({ client_id: c.clientId, response_type: 'code', redirect_uri: 'http://localhost:1/cb', scope: 'ZohoCRM.modules.ALL' })}`;
    const code = new URL((await fetch(auth, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!;
    clock.advance(121_000);
    expect((await token(s, { grant_type: 'authorization_code', client_id: c.clientId, client_secret: c.clientSecret, code })).body).toEqual({ error: 'invalid_code' });

    const at = (await refresh(s)).body.access_token as string;
    expect((await apiGet(s, '/crm/v8/users?type=CurrentUser', at)).status).toBe(200);
    clock.advance(3_599_000);
    expect((await apiGet(s, '/crm/v8/users?type=CurrentUser', at)).status).toBe(200);
    clock.advance(1_000);
    expect(await apiGet(s, '/crm/v8/users?type=CurrentUser', at)).toEqual({
      status: 401,
      body: { code: 'INVALID_TOKEN', details: {}, message: 'invalid oauth token', status: 'error' },
    });
  });

  it('throttles at 10 access tokens per refresh token per 10 minutes with "Access Denied", and blocks until a quiet cooldown', async () => {
    const clock = new ManualClock(Date.parse('2026-03-02T09:00:00Z'));
    const s = await start({ clock });
    for (let i = 0; i < 10; i++) expect((await refresh(s)).body.access_token).toBeDefined();
    const denied = await refresh(s);
    expect(denied.status).toBe(200);
    expect(denied.body).toEqual({
      error_description: 'You have made too many requests continuously. Please try again after some time.',
      error: 'Access Denied',
      status: 'failure',
    });
    clock.advance(11 * 60_000); // the 10-minute window passed, but the block lasts 15 min after the last attempt
    expect((await refresh(s)).body.error).toBe('Access Denied');
    clock.advance(15 * 60_000 + 1);
    expect((await refresh(s)).body.access_token).toBeDefined();
  });

  it('fails the token endpoint on a switch: 429 (plain text, Retry-After) or a 5xx page, for a number of requests or until switched off', async () => {
    const s = await start({ tokenEndpointFailure: { status: 429, times: 2, retryAfterSec: 7 } });
    const post = () => fetch(`${s.accountsUrl}/oauth/v2/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', client_id: s.credentials.clientId, client_secret: s.credentials.clientSecret, refresh_token: s.credentials.refreshToken }) });
    for (let i = 0; i < 2; i++) {
      const res = await post();
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await res.text()).toBe('Too Many Requests');
    }
    expect((await post()).status).toBe(200);
    s.failTokenEndpoint({ status: 500 });
    for (let i = 0; i < 3; i++) {
      const res = await post();
      expect(res.status).toBe(500);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    }
    s.failTokenEndpoint(undefined);
    expect((await post()).status).toBe(200);
    expect(s.requests.entries.filter((e) => e.kind === 'token').map((e) => e.status)).toEqual([429, 429, 200, 500, 500, 500, 200]);
  });

  it('keeps at most 15 live access tokens per refresh token: the 16th invalidates the oldest', async () => {
    const clock = new ManualClock(Date.parse('2026-03-02T09:00:00Z'));
    const s = await start({ clock });
    const tokens: string[] = [];
    for (let i = 0; i < 16; i++) {
      if (i === 10) clock.advance(10 * 60_000 + 1); // stay under the rate limit
      tokens.push((await refresh(s)).body.access_token);
    }
    expect((await apiGet(s, '/crm/v8/org', tokens[0]!)).body.code).toBe('INVALID_TOKEN');
    expect((await apiGet(s, '/crm/v8/org', tokens[1]!)).status).toBe(200);
    expect((await apiGet(s, '/crm/v8/org', tokens[15]!)).status).toBe(200);
  });

  it('issues client-credentials tokens with soid=ZohoCRM.{org}', async () => {
    const s = await start();
    const c = s.credentials;
    const r = await token(s, { grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret, scope: 'ZohoCRM.org.READ', soid: `ZohoCRM.${c.orgId}` });
    expect(r.body).toMatchObject({ api_domain: s.url, expires_in: 3600 });
    expect(r.body).not.toHaveProperty('refresh_token');
    const org = await apiGet(s, '/crm/v8/org', r.body.access_token);
    expect(org.body.org[0].id).toBe(c.orgId);
  });

  it('revokes a refresh token and every access token minted from it', async () => {
    const s = await start();
    const at = (await refresh(s)).body.access_token as string;
    const res = await fetch(`${s.accountsUrl}/oauth/v2/token/revoke?token=${encodeURIComponent(s.credentials.refreshToken)}`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'success' });
    expect((await apiGet(s, '/crm/v8/org', at)).body.code).toBe('INVALID_TOKEN');
    expect((await refresh(s)).body).toEqual({ error: 'invalid_code' });
    const again = await fetch(`${s.accountsUrl}/oauth/v2/token/revoke?token=${encodeURIComponent(s.credentials.refreshToken)}`, { method: 'POST' });
    expect(again.status).toBe(400);
  });
});
