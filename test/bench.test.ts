/**
 * The bench's own honesty: its lower bounds and spreads are right (table-driven), its profile
 * summary attributes time to the right areas, the "batched, no diff" baseline leaves Zoho as the
 * product does (a baseline that wrote less would flatter it), and one repetition of the sync
 * scenarios reports what the simulators saw.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { latencyBound, peopleSoftPages, readsAfterApplyTarget, writeCallsLowerBound, zohoReadCalls } from '../src/bench/bounds.js';
import { issue13Figures, type BenchResults } from '../src/bench/figures.js';
import { ratioOf, spreadOf } from '../src/bench/measure.js';
import { areaOf, summariseProfile, type CpuProfile } from '../src/bench/profile.js';
import { renderReport } from '../src/bench/report.js';
import { runBatchedScript } from '../src/bench/scripts.js';
import { startSims } from '../src/bench/sims.js';
import { runSyncRepetition } from '../src/bench/sync.js';
import { loadBenchConfig, openRunSession } from '../src/bench/world.js';
import { runReconcile } from '../src/engine/run.js';
import type { ZohoRecord } from '../src/model/index.js';
import { createZohoClient } from '../src/zoho/index.js';

describe('bench lower bounds', () => {
  it.each([
    [{ upsert: 0, update: 0, delete: 0 }, 0],
    [{ upsert: 1, update: 0, delete: 0 }, 1],
    [{ upsert: 100, update: 0, delete: 0 }, 1],
    [{ upsert: 101, update: 0, delete: 0 }, 2],
    [{ upsert: 250, update: 3, delete: 100 }, 5],
  ])('write calls for %o: %i', (counts, calls) => {
    expect(writeCallsLowerBound(counts)).toBe(calls);
  });

  it.each([[0, 1], [4_999, 1], [5_000, 2], [38_872, 8]])('a keyset read of %i rows at 5,000 a page takes %i pages', (rows, pages) => {
    expect(peopleSoftPages(rows, 5_000)).toBe(pages);
  });

  it('a Zoho module costs one read call per 2,000 records to read, at least one', () => {
    expect([0, 1, 2_000, 2_001].map(zohoReadCalls)).toEqual([1, 1, 1, 2]);
  });

  it('latency bound = max(PeopleSoft pages, Zoho reads) + write rounds of 10', () => {
    const b = latencyBound({ peoplesoftRows: [38_872, 6_147], maxRows: 5_000, zohoRecordsToRead: [0, 0], writeCalls: 172, concurrency: 20, peoplesoftLatencyMs: 100, zohoLatencyMs: 30 });
    // 8 + 2 pages of 100 ms; 2 modules × 30 ms; ceil(172 / 10) = 18 rounds of 30 ms.
    expect(b).toEqual({ peoplesoftMs: 1_000, zohoReadMs: 60, writesMs: 540, totalMs: 1_540 });
    expect(latencyBound({ peoplesoftRows: [], maxRows: 5_000, zohoRecordsToRead: [10_000], writeCalls: 3, concurrency: 5, peoplesoftLatencyMs: 100, zohoLatencyMs: 30 }).totalMs).toBe(150 + 30);
  });

  it('the run after an apply of N may make ceil(N/200) + 1 read calls', () => {
    expect([0, 1, 200, 13_896].map(readsAfterApplyTarget)).toEqual([1, 2, 2, 71]);
  });

  it('spreads give the median and the range; ratios pair the runs', () => {
    expect(spreadOf([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, runs: 3 });
    expect(spreadOf([4, 1, 2, 3]).median).toBe(2.5);
    expect(ratioOf([10, 30, 20], [5, 10, 10])).toEqual({ median: 2, min: 2, max: 3, runs: 3 });
  });
});

describe('bench CPU profile summary', () => {
  it('attributes self time to our modules, packages, node, GC, and leaves idle out of busy time', () => {
    const frame = (id: number, functionName: string, url: string) => ({ id, callFrame: { functionName, url, lineNumber: 9 } });
    const profile: CpuProfile = {
      nodes: [
        { ...frame(1, '(root)', ''), children: [2, 3, 4, 5, 6, 7] }, frame(2, '(idle)', ''), frame(3, 'parseQasAnswer', 'file:///w/dist/peoplesoft/rows.js'),
        frame(4, 'chunksDecode', 'file:///w/node_modules/undici/lib/api/readable.js'), frame(5, '(garbage collector)', ''), frame(6, 'emit', 'node:events'),
        { ...frame(7, 'run', 'file:///w/node_modules/sqlite3/lib/sqlite3.js'), children: [8] }, frame(8, 'Backup', ''),
      ],
      // Each sample stands for the time until the next one (1 ms apart here).
      samples: [3, 3, 4, 5, 2, 2, 6, 8, 8, 2],
      timeDeltas: [0, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
      startTime: 0,
      endTime: 9000,
    };
    const s = summariseProfile(profile, 'x.cpuprofile');
    expect(s.wallMs).toBe(9);
    expect(s.busyMs).toBe(7);
    expect(Object.fromEntries(s.areas.map((a) => [a.area, a.ms]))).toEqual({ peoplesoft: 2, undici: 1, GC: 1, node: 1, 'sqlite3 (native)': 2 });
    expect(s.functions).toContainEqual({ name: 'native code called by run', where: 'sqlite3/lib/sqlite3.js:10', area: 'sqlite3 (native)', ms: 2 });
    expect(s.functions[0]).toEqual({ name: 'parseQasAnswer', where: 'dist/peoplesoft/rows.js:10', area: 'peoplesoft', ms: 2 });
    expect(areaOf({ functionName: 'x', url: 'file:///a/node_modules/@scope/pkg/i.js', lineNumber: 0 })).toBe('@scope/pkg');
  });
});

/** Managed values of every record of a module by external id, lookups by the looked-up record's external id. */
async function zohoContents(url: string, creds: { clientId: string; clientSecret: string; refreshToken: string }): Promise<Map<string, Record<string, unknown>>> {
  const client = createZohoClient(
    { apiVersion: 'ml-connector/v1', kind: 'ZohoConnection', name: 'z', region: 'us', accountsUrl: url, apiUrl: url, auth: { type: 'refresh_token', clientId: creds.clientId, clientSecret: '${env:X}', refreshToken: '${env:Y}' }, trigger: [] },
    { credentials: creds, tokenCache: false },
  );
  const out = new Map<string, Record<string, unknown>>();
  try {
    const accounts: ZohoRecord[] = [];
    for await (const r of client.listRecords('Accounts', ['PeopleSoft_Vendor_ID', 'PeopleSoft_Department_ID', 'Account_Name', 'Vendor_Status', 'Department_Status', 'Billing_City', 'Phone'])) accounts.push(r);
    // Vendors' accounts (A:V…) and departments' accounts (A:D…), keyed by their PeopleSoft ids.
    const keyOf = (a: ZohoRecord): string => (a.PeopleSoft_Vendor_ID ? `A:V${String(a.PeopleSoft_Vendor_ID)}` : `A:D${String(a.PeopleSoft_Department_ID)}`);
    const accountKey = new Map(accounts.map((a) => [String(a.id), keyOf(a)]));
    for (const a of accounts) out.set(keyOf(a), { name: a.Account_Name, status: a.Vendor_Status ?? a.Department_Status, city: a.Billing_City, phone: a.Phone });
    for await (const c of client.listRecords('Contacts', ['PeopleSoft_Employee_ID', 'Last_Name', 'Email', 'Employment_Status', 'Hire_Date', 'Account_Name'])) {
      const account = c.Account_Name as { id?: string } | null | undefined;
      out.set(`C:${String(c.PeopleSoft_Employee_ID)}`, { last: c.Last_Name, email: c.Email, status: c.Employment_Status, hire: c.Hire_Date, account: account?.id ? accountKey.get(account.id) : null });
    }
  } finally {
    await client.close();
  }
  return out;
}

describe('bench baselines', () => {
  it('"batched, no diff" leaves Zoho as the product does, plus what was inactive before it', async () => {
    const product = await startSims({ employees: 300, vendors: 60 });
    const script = await startSims({ employees: 300, vendors: 60 });
    const dir = mkdtempSync(join(tmpdir(), 'ml-bench-test-'));
    try {
      const config = await loadBenchConfig(join(dir, 'p'), product.info);
      const run = await openRunSession(config, join(dir, 'state.db'), product.info);
      try {
        const outcome = await runReconcile(run.session, { apply: true, trigger: 'test', holder: 'test' });
        expect(outcome.status).toBe('succeeded');
      } finally {
        await run.close();
      }
      const scripted = await runBatchedScript(await loadBenchConfig(join(dir, 's'), script.info), script.info);
      const ours = await zohoContents(product.info.zoho.url, product.info.zoho);
      const theirs = await zohoContents(script.info.zoho.url, script.info.zoho);
      const count = (prefix: string): number => [...theirs.keys()].filter((k) => k.startsWith(prefix)).length;
      expect(scripted.records).toBe(theirs.size);
      // One upsert per 100 records of each mapping: vendors, departments, employees.
      expect(scripted.writeCalls).toBe(Math.ceil(count('A:V') / 100) + Math.ceil(count('A:D') / 100) + Math.ceil(count('C:') / 100));
      expect(count('A:D')).toBeGreaterThan(0);
      expect(ours.size).toBeGreaterThan(300);
      // A contact of an inactive department points at that department's account in the script's
      // Zoho; the product created no such account, so its contact has none.
      const asOurs = (v: Record<string, unknown> | undefined): Record<string, unknown> | undefined =>
        v && typeof v.account === 'string' && !ours.has(v.account) ? { ...v, account: null } : v;
      for (const [key, values] of ours) expect({ key, ...asOurs(theirs.get(key)) }).toEqual({ key, ...values });
      const extra = [...theirs].filter(([key]) => !ours.has(key));
      expect(extra.length).toBe(theirs.size - ours.size);
      // Records inactive when first seen (people who left, inactive vendors) the product does not create.
      expect(extra.filter(([key, v]) => !(key.startsWith('C:') ? ['Terminated', 'Retired'].includes(String(v.status)) : v.status === 'Inactive'))).toEqual([]);
    } finally {
      await product.close();
      await script.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bench sync repetition', () => {
  it('reports the calls the simulators saw, against the lower bounds, and renders issue 13 figures', async () => {
    const rep = await runSyncRepetition({ employees: 400, vendors: 100, naiveSample: 5, noLatency: true });
    const [initial, after, noop, change, afterChange] = rep.product;
    expect(rep.product.map((r) => r.scenario)).toEqual(['initial', 'after-apply', 'noop', 'change', 'after-change']);
    for (const run of rep.product) for (const m of run.modules) expect(m.writeCalls).toBe(m.writeLowerBound);
    expect(initial!.modules.map((m) => m.module).sort()).toEqual(['Accounts', 'Contacts']);
    expect(initial!.written).toBeGreaterThan(0);
    expect(initial!.zohoTokenCalls).toBe(1);
    for (const run of [after!, noop!, afterChange!]) expect(run.written).toBe(0);
    expect(change!.written).toBeGreaterThan(0);
    for (const m of after!.modules) expect(m.writtenBefore).toBe(initial!.modules.find((x) => x.module === m.module)!.changed);
    // The script writes every mapped record, also those inactive when first seen (the product leaves them out).
    expect(rep.batched!.initial.records).toBeGreaterThan(initial!.written);
    expect(rep.naive!.writeCalls).toBe(rep.batched!.initial.records);
    expect(rep.naive!.sampled).toBe(5);

    const results: BenchResults = { settings: { quick: true, runs: 1, large: false, zohoLatencyMs: 0, psLatencyMs: 0, node: process.version, cpus: 2, loadAverage: [0, 0, 0] }, sync: { '500': [rep] }, rss: {}, errors: {} };
    const figures = issue13Figures(results);
    expect(figures.find((f) => f.figure.startsWith('write calls vs lower bound'))?.meets).toBe(true);
    expect(renderReport(results)).toContain('| write calls vs lower bound ceil(changed/100) per module | 1.00');
  });
});

describe('the built bench', () => {
  const bench = (args: string[]) => spawnSync(process.execPath, ['dist/bench/main.js', ...args], { encoding: 'utf8', timeout: 120_000 });

  it('runs a stage in a process of its own and reports it as JSON, the issue 13 figure included', () => {
    const r = bench(['--quick', '--only', 'startup', '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { startup: { nodeMs: { runs: number } }; figures: Array<{ figure: string; meets?: boolean }>; errors: object };
    expect(out.startup.nodeMs.runs).toBe(5);
    expect(out.errors).toEqual({});
    expect(out.figures.find((f) => f.figure.startsWith('`--version`'))?.meets).toEqual(expect.any(Boolean));
    expect(r.stderr).toContain('[bench] startup done');
  });

  it('refuses an unknown stage with the usage and exit code 2', () => {
    const r = bench(['--only', 'nope']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no stage named nope[\s\S]*Usage: npm run bench/);
  });
});
