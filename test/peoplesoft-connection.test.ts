/**
 * Connection behaviour against the simulator and real sockets: Basic and OAuth2 (cached token,
 * single refresh, expiry), every error the issue lists (401 without retry, 404 wrong node, DNS,
 * refused, TLS, IBResponse error, QAS failure status, prompt with a comma, timeouts and 5xx with
 * retry, zero rows), and `check`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/support/clock.js';
import { createLogger } from '../src/support/log.js';
import { startPeopleSoftSimulator, type PeopleSoftSimulator } from '../src/sim/peoplesoft/index.js';
import { checkPeopleSoftConnection, computeReadWindow, createPeopleSoftClient, readSourceRecords, type PsCredentials } from '../src/peoplesoft/index.js';
import type { PeopleSoftConnection, QasReader } from '../src/config/types.generated.js';
import { NOON, collect, craftedDataset, fscmConnection, hcmConnection } from './peoplesoft-fixtures.js';

const full = computeReadWindow({ now: NOON, full: true });

async function readAll(conn: PeopleSoftConnection, credentials: PsCredentials, clock = new ManualClock(NOON)) {
  const client = createPeopleSoftClient(conn, { credentials, clock });
  try {
    const records = await collect(readSourceRecords(client, conn, Object.keys(conn.readers)[0] as 'employees', full));
    return { records, calls: client.calls, rows: client.rows };
  } finally {
    await client.close();
  }
}

let sim: PeopleSoftSimulator;
const clock = new ManualClock(NOON);
beforeAll(async () => {
  sim = await startPeopleSoftSimulator({ clock, dataset: craftedDataset() });
});
afterAll(() => sim.close());

const oauthConn = (over: object = {}): PeopleSoftConnection =>
  hcmConnection(sim.url, { auth: { type: 'oauth2', tokenUrl: sim.oauth.tokenUrl, clientId: sim.oauth.clientId, clientSecret: '${env:PS_SECRET}', ...over } });

describe('auth', () => {
  it('OAuth2 client credentials: one token for many calls, a new one once it expires on the clock', async () => {
    const conn = oauthConn();
    conn.readers.employees = { ...conn.readers.employees!, maxRows: 4 } as QasReader;
    const ourClock = new ManualClock(NOON);
    const client = createPeopleSoftClient(conn, { credentials: { clientSecret: sim.oauth.clientSecret }, clock: ourClock });
    sim.requests.clear();
    const first = await collect(readSourceRecords(client, conn, 'employees', full));
    expect(first).toHaveLength(7);
    expect(sim.requests.count({ kind: 'qas' })).toBeGreaterThan(2);
    expect(sim.requests.count({ kind: 'oauth-token' })).toBe(1);
    // Two hours on, on both clocks: the cached token has expired and is replaced, once.
    clock.advance(2 * 3600_000);
    ourClock.advance(2 * 3600_000);
    try {
      await collect(readSourceRecords(client, conn, 'employees', full));
      expect(sim.requests.count({ kind: 'oauth-token' })).toBe(2);
    } finally {
      clock.set(NOON);
      await client.close();
    }
  });

  it('a token the server refuses before we think it expired is replaced once, then the call succeeds', async () => {
    const ourClock = new ManualClock(NOON);
    const client = createPeopleSoftClient(oauthConn(), { credentials: { clientSecret: sim.oauth.clientSecret }, clock: ourClock });
    sim.requests.clear();
    try {
      await collect(readSourceRecords(client, oauthConn(), 'employees', full));
      clock.advance(2 * 3600_000); // only the server's clock moves: it sees our cached token as expired
      const again = await collect(readSourceRecords(client, oauthConn(), 'employees', computeReadWindow({ now: clock.now(), full: true })));
      expect(again).toHaveLength(7);
      expect(sim.requests.count({ kind: 'oauth-token' })).toBe(2);
      expect(sim.requests.count({ kind: 'qas', status: 401 })).toBe(1);
    } finally {
      clock.set(NOON);
      await client.close();
    }
  });

  it('concurrent calls share one token request', async () => {
    const conn = oauthConn();
    const client = createPeopleSoftClient(conn, { credentials: { clientSecret: sim.oauth.clientSecret }, clock: new ManualClock(NOON) });
    sim.requests.clear();
    const url = `${sim.url}/PSIGW/RESTListeningConnector/PSFT_HR/ML_EMPL_CHANGES.v1/changed/2020-01-01/2024-06-15`;
    try {
      await Promise.all([client.get(url), client.get(url), client.get(url)]);
      expect(sim.requests.count({ kind: 'oauth-token' })).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('a provided token works; an expired one is a 401 that says what to check', async () => {
    const token = await sim.oauth.issueToken();
    expect(await readAll(hcmConnection(sim.url, { auth: { type: 'oauth2', token: '${env:T}' } }), { token })).toMatchObject({ records: expect.any(Array) });
    const expired = await sim.oauth.issueToken({ expiresInSec: -60 });
    const err = await readAll(hcmConnection(sim.url, { auth: { type: 'oauth2', token: '${env:T}' } }), { token: expired }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PS_UNAUTHORIZED', hint: expect.stringMatching(/expired/) });
    expect(JSON.stringify(err)).not.toContain(expired);
  });

  it('wrong client secret: the token endpoint refusal is reported', async () => {
    await expect(readAll(oauthConn(), { clientSecret: 'not-the-secret' })).rejects.toMatchObject({ code: 'PS_OAUTH_FAILED', message: expect.stringMatching(/invalid_client/) });
  });
});

describe('errors', () => {
  it.each([
    ['a wrong password', 'ML_SYNC', 'wrong-password'],
    ['a user without the QAS permission list', 'ML_NOQAS', 'ml-noqas-secret'],
  ])('%s: 401, not retried, hint names what to check, no secret in the error', async (_, username, password) => {
    sim.requests.clear();
    const conn = hcmConnection(sim.url, { auth: { type: 'basic', username, password: '${env:P}' } });
    const err = (await readAll(conn, { password }).catch((e: unknown) => e)) as Error & { hint: string };
    expect(err).toMatchObject({ code: 'PS_UNAUTHORIZED', status: 401 });
    expect(err.hint).toMatch(/unlocked/);
    expect(err.hint).toMatch(/PTPT2200/);
    expect(err.hint).toMatch(/query access group/);
    expect(sim.requests.count({ kind: 'qas' })).toBe(1);
    expect(`${err.message} ${err.hint} ${JSON.stringify(err)}`).not.toContain(password);
  });

  it('a wrong node is a 404 that points at the node name', async () => {
    await expect(readAll(hcmConnection(sim.url, { node: 'PSFT_XX' }), { password: 'ml-sync-secret' })).rejects.toMatchObject({ code: 'PS_NOT_FOUND', hint: expect.stringMatching(/node name \(PSFT_XX/) });
  });

  it('a 200 carrying <IBResponse type="error"> is retried like a 5xx, and is an error with its message when it persists', async () => {
    const clean = await readAll(hcmConnection(sim.url), { password: 'ml-sync-secret' });
    sim.inject({ at: { kind: 'qas' }, ibError: true });
    const retried = await readAll(hcmConnection(sim.url), { password: 'ml-sync-secret' });
    expect([retried.records.length, retried.calls]).toEqual([clean.records.length, clean.calls + 1]);
    sim.inject({ at: { kind: 'qas' }, ibError: true, times: 3 });
    await expect(readAll(hcmConnection(sim.url), { password: 'ml-sync-secret' })).rejects.toMatchObject({
      code: 'PS_IB_ERROR', message: expect.stringMatching(/answered with an error 3 times: Integration Broker error \(injected\)/), meta: { attempts: 3 },
    });
  });

  it('a QAS status other than success is an error showing the message', async () => {
    const conn = hcmConnection(sim.url);
    conn.readers.employees = { ...conn.readers.employees!, prompts: [{ name: 'LASTUPD_FROM', value: '{since}' }] } as QasReader;
    await expect(readAll(conn, { password: 'ml-sync-secret' })).rejects.toMatchObject({ code: 'PS_QUERY_FAILED', message: expect.stringMatching(/Prompt count mismatch/) });
  });

  it('a prompt value with a comma is refused before any call', async () => {
    sim.requests.clear();
    const conn = fscmConnection(sim.url, { readers: { vendors: { kind: 'qas', query: 'ML_VENDORS', prompts: [{ name: 'SETID', value: 'SHARE,US001' }, { name: 'AFTER_VENDOR_ID', value: '{after}' }] } } });
    await expect(readAll(conn, { password: 'ml-sync-secret' })).rejects.toMatchObject({ code: 'PS_PROMPT_COMMA', message: expect.stringMatching(/Prompt SETID/) });
    expect(sim.requests.count()).toBe(0);
  });

  it('5xx and dropped connections are retried with backoff, then the read succeeds', async () => {
    sim.inject({ at: { kind: 'qas' }, status: 503, times: 2 });
    const { records, calls } = await readAll(hcmConnection(sim.url), { password: 'ml-sync-secret' });
    expect(records).toHaveLength(7);
    expect(calls).toBe(4); // 503, 503, the page, the end-of-data confirmation
    sim.inject({ at: { kind: 'qas' }, reset: true });
    expect((await readAll(hcmConnection(sim.url), { password: 'ml-sync-secret' })).calls).toBe(3);
  });

  it('a slow answer times out and is retried; an always-slow server gives PS_TIMEOUT', async () => {
    const conn = hcmConnection(sim.url, { timeouts: { requestMs: 300 } });
    sim.inject({ at: { kind: 'qas' }, delayMs: 800, times: 1 });
    expect((await readAll(conn, { password: 'ml-sync-secret' })).calls).toBe(3); // timed out, page, confirmation
    sim.inject({ at: { kind: 'qas' }, delayMs: 800, times: 3 });
    await expect(readAll(conn, { password: 'ml-sync-secret' })).rejects.toMatchObject({ code: 'PS_TIMEOUT', hint: expect.stringMatching(/requestMs/) });
  });

  it('row-level security: the limited user sees only the rows of its business unit', async () => {
    const all = await readAll(hcmConnection(sim.url), { password: 'ml-sync-secret' });
    const limited = await readAll(hcmConnection(sim.url, { auth: { type: 'basic', username: 'ML_LIMITED', password: '${env:P}' } }), { password: 'ml-limited-secret' });
    expect(limited.rows).toBeLessThan(all.rows);
    const rehired = limited.records.find((r) => r.key === '900003');
    // The rehire job (US002) is hidden: to this user the person still looks terminated.
    expect(rehired).toMatchObject({ status: 'inactive' });
  });
});

describe('a query that ignores the keyset prompt', () => {
  it.each([
    ['a full page', 3],
    ['a short page', 5],
  ])('is caught on %s instead of looping or reading twice', async (_, maxRows) => {
    const rows = ['E1', 'E2', 'E2'].map((id, i) => ({ 'attr:rownumber': i + 1, EMPLID: id, EFFDT: '2020-01-01', EMPL_STATUS: 'A' }));
    const server = createHttpServer((_req, res) => res.end(JSON.stringify({ status: 'success', data: { query: { numrows: 3, rows } } })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const conn = hcmConnection(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
    conn.readers.employees = { ...conn.readers.employees!, maxRows } as QasReader;
    try {
      await expect(readAll(conn, { password: 'x' })).rejects.toMatchObject({ code: 'PS_KEYSET_ORDER' });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('answers that are not what was asked for', () => {
  it.each([
    ['a REST answer without the rows path', () => hcmConnection(url, { readers: { employees: { kind: 'rest', operation: 'ML_EMPL_CHANGES', uriTemplate: 'changed/{since:date}/{until:date}', rowsPath: 'employees' } } })],
    ['a CI Find answer without its Response', () => fscmConnection(url)],
  ])('%s is an error, not an empty read', async (_, conn) => {
    await expect(readAll(conn(), { password: 'x' })).rejects.toMatchObject({ code: 'PS_BAD_ANSWER' });
  });
  let url = '';
  let server: ReturnType<typeof createHttpServer>;
  beforeAll(async () => {
    server = createHttpServer((_req, res) => res.end('{"error":{"code":"X","message":"handler failed"}}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
});

describe('VENDOR_CI', () => {
  it('a vendor that vanished between Find and Get is a warning for that key; the rest is read', async () => {
    const server = createHttpServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url!.includes('_F_GET')) return res.end(JSON.stringify({ Find__CompIntfc__VENDOR_CIResponse: { VENDOR_CI: [{ SETID: 'SHARE', VENDOR_ID: '1' }, { SETID: 'SHARE', VENDOR_ID: '2' }] } }));
      if (req.url!.endsWith('/2')) {
        res.statusCode = 404;
        return res.end('{"error":{"code":"NOT_FOUND"}}');
      }
      // A single child row comes as an object, not an array.
      return res.end(JSON.stringify({ Get__CompIntfc__VENDOR_CIResponse: { SETID: 'SHARE', VENDOR_ID: '1', NAME1: 'One', VENDOR_STATUS: 'A', VENDOR_ADDR: { ADDRESS_SEQ_NUM: 1, EFFDT: '2020-01-01', EFF_STATUS: 'A', ADDRESS1: 'Main St' } } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { records } = await readAll(fscmConnection(`http://127.0.0.1:${(server.address() as { port: number }).port}`), { password: 'x' });
      expect(records).toEqual([
        expect.objectContaining({ key: 'SHARE-1', status: 'active', fields: expect.objectContaining({ ADDRESS1: 'Main St' }) }),
        expect.objectContaining({ key: 'SHARE-2', code: 'SOURCE_MISSING', severity: 'warning' }),
      ]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('check', () => {
  it('reports each reader: reachable, auth mode, latency, rows visible', async () => {
    const latent = await startPeopleSoftSimulator({ clock, dataset: craftedDataset(), latencyMs: 40 });
    try {
      const [hcm] = await checkPeopleSoftConnection(hcmConnection(latent.url), { credentials: { password: 'ml-sync-secret' } });
      expect(hcm).toMatchObject({ target: 'peoplesoft-hcm/employees', status: 'ok', details: { authMode: 'basic', rows: 1, calls: 1 } });
      expect(hcm!.details.latencyMs).toBeGreaterThanOrEqual(40);
      expect(latent.requests.entries.find((e) => e.kind === 'qas')?.query.maxrows).toBe('1');
      const [fscm] = await checkPeopleSoftConnection(fscmConnection(latent.url), { credentials: { password: 'ml-sync-secret' } });
      expect(fscm).toMatchObject({ status: 'ok', summary: expect.stringMatching(/2 rows visible/) });
    } finally {
      await latent.close();
    }
  });

  it('zero rows is a warning that suggests row-level security', async () => {
    sim.inject({ at: { kind: 'qas' }, zeroRows: true });
    const [r] = await checkPeopleSoftConnection(hcmConnection(sim.url), { credentials: { password: 'ml-sync-secret' } });
    expect(r).toMatchObject({ status: 'warning', diagnosis: expect.stringMatching(/[Rr]ow-level security/) });
  });

  it.each([
    ['401', () => hcmConnection(sim.url), 'nope-nope', 'PS_UNAUTHORIZED', /permission list/],
    ['404', () => hcmConnection(sim.url, { node: 'WRONG' }), 'ml-sync-secret', 'PS_NOT_FOUND', /node/],
    ['DNS', () => hcmConnection('http://ps-does-not-exist.invalid:8000'), 'x', 'PS_DNS', /host name/],
  ])('diagnoses %s', async (_, conn, password, code, diagnosis) => {
    const [r] = await checkPeopleSoftConnection(conn(), { credentials: { password } });
    expect(r).toMatchObject({ status: 'error', details: { code }, diagnosis: expect.stringMatching(diagnosis) });
  });

  it('diagnoses a refused connection', async () => {
    const server = createNetServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const [r] = await checkPeopleSoftConnection(hcmConnection(`http://127.0.0.1:${port}`), { credentials: { password: 'x' } });
    expect(r).toMatchObject({ status: 'error', details: { code: 'PS_REFUSED' }, diagnosis: expect.stringMatching(/port/) });
  });
});

const hasOpenssl = ((): boolean => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

// The certificate is made with the openssl CLI; without it (rare on CI images) these two are skipped.
describe.skipIf(!hasOpenssl)('TLS', () => {
  let dir: string;
  let server: Server;
  let url: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ml-ps-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"status":"success","data":{"query":{"numrows":0,"queryname":"ML_EMPLOYEES","rows":[]}}}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('an unknown CA is a TLS error; the customer CA file fixes it', async () => {
    await expect(readAll(hcmConnection(url), { password: 'x' })).rejects.toMatchObject({ code: 'PS_TLS', hint: expect.stringMatching(/caFile/) });
    expect((await readAll(hcmConnection(url, { tls: { caFile: join(dir, 'cert.pem') } }), { password: 'x' })).records).toEqual([]);
  });

  it('turning certificate checks off works, with a loud warning', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', write: (l) => lines.push(l) });
    const conn = hcmConnection(url, { tls: { rejectUnauthorized: false } });
    const client = createPeopleSoftClient(conn, { credentials: { password: 'x' }, logger });
    await collect(readSourceRecords(client, conn, 'employees', full));
    await client.close();
    expect(lines.join('\n')).toMatch(/TLS CERTIFICATE CHECK IS OFF/);
  });
});
