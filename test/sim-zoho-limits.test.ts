import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/support/clock.js';
import { send } from '../src/support/http.js';
import { startZohoSimulator, type ZohoSimulator, type ZohoSimulatorOptions } from '../src/sim/zoho/index.js';

/** Concurrency, credits, latency, error rate, scripted faults, the request log and server-side cost. */

let sim: ZohoSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(opts: ZohoSimulatorOptions = {}): Promise<{ s: ZohoSimulator; token: string }> {
  const s = await startZohoSimulator(opts);
  sim = s;
  const c = s.credentials;
  const res = await fetch(`${s.accountsUrl}/oauth/v2/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: c.clientId, client_secret: c.clientSecret, refresh_token: c.refreshToken }),
  });
  return { s, token: ((await res.json()) as { access_token: string }).access_token };
}

function caller(s: ZohoSimulator, token: string) {
  return async (method: string, path: string, body?: unknown, signal?: AbortSignal) => {
    const res = await fetch(`${s.apiDomain}${path}`, {
      method,
      headers: { Authorization: `Zoho-oauthtoken ${token}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal ? { signal } : {}),
    });
    const text = await res.text();
    return { status: res.status, text, headers: res.headers, body: text ? (JSON.parse(text) as any) : undefined };
  };
}

const contacts = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ Last_Name: `L${from + i}`, PeopleSoft_Employee_ID: `E${from + i}`, Email: `p${from + i}@example.com` }));

describe('Zoho limits', () => {
  it('answers 429 TOO_MANY_REQUESTS past the edition concurrency limit', async () => {
    const { s, token } = await start({ edition: 'free', latencyMs: 400 });
    const call = caller(s, token);
    const answers = await Promise.all(Array.from({ length: 8 }, () => call('GET', '/crm/v8/org')));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((x) => x === 200)).toHaveLength(5);
    expect(statuses.filter((x) => x === 429)).toHaveLength(3);
    expect(answers.find((a) => a.status === 429)!.body).toMatchObject({ code: 'TOO_MANY_REQUESTS', status: 'error' });
    expect(answers.find((a) => a.status === 429)!.headers.get('retry-after')).toBeNull();
    expect(s.requests.maxConcurrent('org')).toBeGreaterThan(5);
  });

  it('holds heavy calls (upserts of more than 10 records) to a sub-concurrency of 10', async () => {
    const { s, token } = await start({ latencyMs: 400 });
    const call = caller(s, token);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => call('POST', '/crm/v8/Contacts/upsert', { data: contacts(11, i * 100), duplicate_check_fields: ['PeopleSoft_Employee_ID'] })),
    );
    expect(answers.filter((a) => a.status === 429)).toHaveLength(2);
    // Small upserts are not heavy.
    const small = await Promise.all(Array.from({ length: 12 }, (_, i) => call('POST', '/crm/v8/Contacts/upsert', { data: contacts(10, 5000 + i * 100) })));
    expect(small.every((a) => a.status === 200)).toBe(true);
  });

  it('charges credits (1 per 10 records written, 1 per read) over a rolling 24 h and answers 429 when they run out', async () => {
    const clock = new ManualClock(Date.parse('2026-03-02T09:00:00Z'));
    const { s, token } = await start({ clock, dailyCredits: 25 });
    const call = caller(s, token);
    const first = await call('POST', '/crm/v8/Contacts/upsert', { data: contacts(100) });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-api-credits-remaining')).toBeNull();
    expect(s.creditsUsed()).toBe(10);
    const second = await call('POST', '/crm/v8/Contacts/upsert', { data: contacts(95, 100) });
    expect(second.headers.get('x-api-credits-remaining')).toBe('5');
    expect((await call('GET', '/crm/v8/Contacts?fields=Last_Name&per_page=1')).status).toBe(200);
    expect(s.creditsUsed()).toBe(21);
    const over = await call('POST', '/crm/v8/Contacts/upsert', { data: contacts(50, 300) });
    expect(over).toMatchObject({ status: 429, body: { code: 'TOO_MANY_REQUESTS' } });
    // A refused call costs nothing.
    expect(s.requests.entries.filter((e) => e.kind === 'upsert').map((e) => e.credits)).toEqual([10, 10, undefined]);
    clock.advance(24 * 3600_000);
    expect(s.creditsUsed()).toBe(0);
  });

  it('adds fixed latency plus jitter, and fails a seeded share of calls with 500', async () => {
    const { s, token } = await start({ latencyMs: 40, jitterMs: 20, errorRate: 0.3, seed: 7 });
    const call = caller(s, token);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await call('GET', '/crm/v8/org')).status);
    const entries = s.requests.entries.filter((e) => e.kind === 'org');
    // Timers may fire a fraction of a millisecond early; without the latency a call takes ~1 ms.
    expect(entries.every((e) => e.durationMs >= 38)).toBe(true);
    const failures = statuses.filter((x) => x === 500).length;
    expect(failures).toBeGreaterThan(0);
    expect(failures).toBeLessThan(12);

    // The same seed fails the same calls.
    await s.close();
    const again = await start({ latencyMs: 40, jitterMs: 20, errorRate: 0.3, seed: 7 });
    const call2 = caller(again.s, again.token);
    const statuses2: number[] = [];
    for (let i = 0; i < 12; i++) statuses2.push((await call2('GET', '/crm/v8/org')).status);
    expect(statuses2).toEqual(statuses);
  });
});

describe('Zoho scripted faults', () => {
  it('fails the next call with 500, a kind with 429 + Retry-After, and the Nth call', async () => {
    const { s, token } = await start();
    const call = caller(s, token);
    s.inject({ at: 'next', status: 500 });
    expect(await call('GET', '/crm/v8/org')).toMatchObject({ status: 500, body: { code: 'INTERNAL_ERROR', message: 'Internal Server Error', status: 'error' } });
    expect((await call('GET', '/crm/v8/org')).status).toBe(200);

    s.inject({ at: { kind: 'upsert', module: 'Contacts' }, status: 429, retryAfterSec: 2, times: 2 });
    expect((await call('GET', '/crm/v8/org')).status).toBe(200);
    const limited = await call('POST', '/crm/v8/Contacts/upsert', { data: contacts(1) });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect((await call('POST', '/crm/v8/Contacts/upsert', { data: contacts(1) })).status).toBe(429);
    expect((await call('POST', '/crm/v8/Contacts/upsert', { data: contacts(1) })).status).toBe(200);
    expect(s.records('Contacts')).toHaveLength(1);

    const nth = s.requests.entries.length + 2;
    s.inject({ at: nth, status: 503 });
    expect((await call('GET', '/crm/v8/org')).status).toBe(200);
    expect((await call('GET', '/crm/v8/org')).status).toBe(503);
    expect(s.requests.count({ status: 429 })).toBe(2);
    expect(s.requests.entries.filter((e) => e.fault).map((e) => e.fault)).toEqual(['status 500', 'status 429', 'status 429', 'status 503']);
  });

  it('resets the connection, truncates JSON after doing the work, and holds an answer past a client timeout', async () => {
    const { s, token } = await start();
    const call = caller(s, token);
    s.inject({ at: 'next', reset: true });
    await expect(call('GET', '/crm/v8/org')).rejects.toThrow();

    s.inject({ at: { kind: 'upsert' }, truncatedJson: true });
    const cut = await fetch(`${s.apiDomain}/crm/v8/Contacts/upsert`, { method: 'POST', headers: { Authorization: `Zoho-oauthtoken ${token}` }, body: JSON.stringify({ data: contacts(2) }) });
    expect(cut.headers.get('content-type')).toBe('application/json;charset=UTF-8');
    await expect(cut.json()).rejects.toThrow();
    expect(s.records('Contacts')).toHaveLength(2); // the write happened; only the answer was lost

    s.inject({ at: 'next', delayMs: 600 });
    await expect(call('GET', '/crm/v8/org', undefined, AbortSignal.timeout(150))).rejects.toThrow();
  });

  it('lets the product retry through send(): 429 with Retry-After, then success', async () => {
    const { s, token } = await start();
    s.inject({ at: 'next', status: 429, retryAfterSec: 0 });
    const r = await send(
      { method: 'GET', url: `${s.apiDomain}/crm/v8/org`, headers: { authorization: `Zoho-oauthtoken ${token}` }, timeoutMs: 2000 },
      { retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20 } },
    );
    expect(r.status).toBe(200);
    expect(r.attempts).toBe(2);
  });

  it('revokes the refresh token mid-run: API calls get INVALID_TOKEN, refresh gets invalid_code', async () => {
    const { s, token } = await start();
    const call = caller(s, token);
    s.inject({ at: { kind: 'list' }, revokeRefreshToken: true });
    expect((await call('GET', '/crm/v8/org')).status).toBe(200);
    expect((await call('GET', '/crm/v8/Contacts?fields=Last_Name')).body.code).toBe('INVALID_TOKEN');
    const c = s.credentials;
    const res = await fetch(`${s.accountsUrl}/oauth/v2/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: c.clientId, client_secret: c.clientSecret, refresh_token: c.refreshToken }),
    });
    expect(await res.json()).toEqual({ error: 'invalid_code' });
  });
});

describe('Zoho simulator cost', () => {
  it('serves an upsert of 100 and a list page of 200 in well under 5 ms of server time with 100,000 records', async () => {
    const { s, token } = await start({ dailyCredits: 1_000_000 });
    const heapBefore = process.memoryUsage().heapUsed;
    const seedStart = performance.now();
    s.seed({ records: { Contacts: contacts(100_000).map((c, i) => ({ ...c, First_Name: `F${i}`, Title: 'Analyst', Department: 'Finance' })) } });
    const seedMs = performance.now() - seedStart;
    const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
    const call = caller(s, token);

    const upsert = { wall: [] as number[], cpu: [] as number[] };
    const list = { wall: [] as number[], cpu: [] as number[] };
    for (let round = 0; round < 30; round++) {
      // Half updates of existing records, half inserts.
      const batch = [...contacts(50, round * 50), ...contacts(50, 200_000 + round * 50)].map((c) => ({ ...c, Title: `Round ${round}` }));
      const up = await call('POST', '/crm/v8/Contacts/upsert', { data: batch, duplicate_check_fields: ['PeopleSoft_Employee_ID'] });
      expect(up.status).toBe(200);
      const u = s.requests.entries.at(-1)!;
      const page = await call('GET', `/crm/v8/Contacts?fields=First_Name,Last_Name,Email,PeopleSoft_Employee_ID,Modified_Time,Owner&page=${(round % 10) + 1}`);
      expect(page.body.data).toHaveLength(200);
      const l = s.requests.entries.at(-1)!;
      if (round < 10) continue; // warm-up: let the JIT settle
      upsert.wall.push(u.serverMs);
      upsert.cpu.push(u.serverCpuMs);
      list.wall.push(l.serverMs);
      list.cpu.push(l.serverCpuMs);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const figures = {
      records: s.records('Contacts').length,
      seedMs: Math.round(seedMs),
      heapMb: Math.round(heapMb),
      upsert100: { wallMs: +median(upsert.wall).toFixed(2), cpuMs: +median(upsert.cpu).toFixed(2) },
      list200: { wallMs: +median(list.wall).toFixed(2), cpuMs: +median(list.cpu).toFixed(2) },
    };
    console.log(`zoho simulator cost: ${JSON.stringify(figures)}`);
    // CPU time, not wall time: the suite shares two cores with other test files.
    expect(median(upsert.cpu)).toBeLessThan(5);
    expect(median(list.cpu)).toBeLessThan(5);
  }, 30_000);
});
