import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Mapping, Schedule } from '../src/config/types.generated.js';
import { OffsetClock, sleep } from '../src/support/clock.js';
import { createLogger, silentLogger } from '../src/support/log.js';
import { startServe, type ServeConfig, type ServeHandle } from '../src/ops/serve.js';
import { createTokenReceiver } from '../src/ops/webhook.js';
import { GitConfigSync } from '../src/ops/git-sync.js';
import { nextScheduleTimes } from '../src/ops/scheduler.js';
import type { RunRequest, RunResult } from '../src/ops/runner.js';

const mapping = (name: string, module: 'Contacts' | 'Accounts'): Mapping => ({
  apiVersion: 'ml-connector/v1', kind: 'Mapping', name,
  source: { connection: 'ps', entity: module === 'Contacts' ? 'employees' : 'vendors' },
  target: { connection: 'zoho', module },
  externalId: { field: 'X' },
  fields: [{ to: 'Last_Name', from: 'LAST_NAME' }],
});
const schedule = (cron: string, mappings: [string, ...string[]], extra: Partial<Schedule> = {}): Schedule => ({ apiVersion: 'ml-connector/v1', kind: 'Schedule', name: 'daily', cron, mappings, ...extra });
const config = (schedules: Schedule[]): ServeConfig => ({
  project: { apiVersion: 'ml-connector/v1', kind: 'Project', name: 'p' },
  schedules,
  mappings: [mapping('people', 'Contacts'), mapping('vendors', 'Accounts')],
});

/** A stand-in applier that records what it was asked and how many runs overlapped per mapping. */
function recordingRun(durationMs: number, status: RunResult['status'] = 'succeeded') {
  const calls: RunRequest[] = [];
  const active = new Map<string, number>();
  let maxOverlap = 0;
  let aborted = 0;
  const run = async (req: RunRequest, ctx: { signal: AbortSignal }): Promise<RunResult> => {
    calls.push(req);
    for (const m of req.mappings) {
      active.set(m, (active.get(m) ?? 0) + 1);
      maxOverlap = Math.max(maxOverlap, active.get(m)!);
    }
    try {
      await sleep(durationMs, ctx.signal).catch(() => { aborted++; });
    } finally {
      for (const m of req.mappings) active.set(m, active.get(m)! - 1);
    }
    return {
      runId: `r${calls.length}`, trigger: req.trigger, status: ctx.signal.aborted ? 'interrupted' : status,
      startedAt: new Date().toISOString(),
      mappings: req.mappings.map((m) => ({ mapping: m, counts: { create: 2, update: 1 } })),
      apiCalls: { zoho: 3, peoplesoft: 2 }, credits: 4,
    };
  };
  return { run, calls, get maxOverlap() { return maxOverlap; }, get aborted() { return aborted; } };
}

let handle: ServeHandle | undefined;
afterEach(async () => {
  await handle?.stop('test over');
  handle = undefined;
});

describe('schedules', () => {
  it('reads the cron in the schedule time zone', () => {
    const from = new Date('2026-11-27T00:00:00Z');
    const times = nextScheduleTimes([schedule('0 6 * * *', ['people'], { timezone: 'America/Chicago', fullRefreshCron: '0 3 * * 0' })], from);
    // 06:00 in Chicago (CST, UTC-6) is 12:00 UTC; the next Sunday 03:00 CST is 2026-11-29 09:00 UTC.
    expect(times).toEqual([
      { schedule: 'daily', kind: 'incremental', cron: '0 6 * * *', timezone: 'America/Chicago', next: '2026-11-27T12:00:00.000Z' },
      { schedule: 'daily', kind: 'full', cron: '0 3 * * 0', timezone: 'America/Chicago', next: '2026-11-29T09:00:00.000Z' },
    ]);
  });

  it('rejects a bad cron expression with a hint', () => {
    expect(() => nextScheduleTimes([schedule('61 * * * *', ['people'])], new Date())).toThrow(/not a valid cron expression/);
  });

  it('runs on schedule, never two runs of one mapping at once, and counts them in /metrics', async () => {
    const rec = recordingRun(1300);
    // Six-field cron (with seconds) so the test does not wait for a minute.
    handle = await startServe({ config: config([schedule('* * * * * *', ['vendors', 'people'])]), run: rec.run, logger: silentLogger, port: 0, host: '127.0.0.1' });
    await sleep(2600);
    expect(rec.maxOverlap).toBe(1);
    expect(rec.calls.length).toBeGreaterThanOrEqual(1);
    expect(rec.calls[0]).toEqual({ mappings: ['vendors', 'people'], full: false, trigger: 'schedule:daily' });
    await handle.stop('test');
    const runs = rec.calls.length;
    const metrics = (await handle.metrics.render());
    const count = (status: string): number => Number(new RegExp(`ml_connector_runs_total\\{mapping="people",status="${status}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    expect(count('succeeded')).toBeGreaterThanOrEqual(1);
    // The run in flight when stop() came ends interrupted; every run is counted once.
    expect(count('succeeded') + count('interrupted')).toBe(runs);
    expect(metrics).toContain(`ml_connector_records_total{action="create",mapping="vendors"} ${2 * runs}`);
    expect(metrics).toContain(`ml_connector_api_calls_total{system="zoho"} ${3 * runs}`);
    expect(metrics).toContain(`ml_connector_zoho_credits_total ${4 * runs}`);
    expect(metrics).toMatch(/ml_connector_last_success_timestamp_seconds\{mapping="people"\} \d{10}/);
  });
});

describe('HTTP endpoints', () => {
  it('/healthz and /metrics answer; unknown paths 404', async () => {
    const rec = recordingRun(10);
    handle = await startServe({ config: config([schedule('0 6 * * *', ['people'], { timezone: 'America/Chicago' })]), run: rec.run, logger: silentLogger, port: 0, host: '127.0.0.1' });
    const health = await fetch(`${handle.url}/healthz`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as { status: string; schedules: { next: string }[] };
    expect(body.status).toBe('ok');
    expect(body.schedules[0]!.next).toMatch(/T12:00:00.000Z$/);
    const metrics = await fetch(`${handle.url}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    expect(text).toContain('# TYPE ml_connector_runs_total counter');
    expect(text).toContain('ml_connector_up 1');
    expect((await fetch(`${handle.url}/nope`)).status).toBe(404);
  });

  it('webhooks: wrong token 401, unknown channel 401, right token 200 and the mapping of that module runs once', async () => {
    const rec = recordingRun(10);
    const lines: string[] = [];
    handle = await startServe({
      config: config([]), run: rec.run, port: 0, host: '127.0.0.1',
      logger: createLogger({ format: 'json', write: (l) => lines.push(l) }),
      webhook: createTokenReceiver(() => new Map([['1000000001', 'chan-token-5f2a9c']])),
      webhookDebounceMs: 100,
    });
    const post = (body: unknown): Promise<Response> => fetch(`${handle!.url}/webhooks/zoho`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const note = { module: 'Contacts', operation: 'update', ids: ['5725767000000411001'], channel_id: '1000000001' };
    expect((await post({ ...note, token: 'wrong-token-000' })).status).toBe(401);
    expect((await post({ ...note, channel_id: '999', token: 'chan-token-5f2a9c' })).status).toBe(401);
    expect((await post({ ...note, token: 'chan-token-5f2a9c' })).status).toBe(200);
    expect((await post({ ...note, token: 'chan-token-5f2a9c' })).status).toBe(200);
    await sleep(300);
    await handle.coordinator.idle();
    expect(rec.calls).toEqual([{ mappings: ['people'], full: false, trigger: 'webhook:zoho' }]);
    expect((await handle.metrics.render())).toContain('ml_connector_webhook_events_total{outcome="rejected"} 2');
    // JSON lines, and the token never logged.
    expect(lines.every((l) => JSON.parse(l) && !l.includes('chan-token-5f2a9c'))).toBe(true);
    expect(lines.some((l) => JSON.parse(l).msg === 'webhook rejected')).toBe(true);
  });
});

describe('operating serve', () => {
  it('answers /healthz with 503 while a run drains, then closes', async () => {
    let release!: () => void;
    const finish = new Promise<void>((r) => { release = r; });
    // A run that finishes its batch after the stop signal, as the applier does.
    const run = async (req: RunRequest): Promise<RunResult> => {
      await finish;
      return { runId: 'r1', trigger: req.trigger, status: 'interrupted', startedAt: new Date().toISOString(), mappings: req.mappings.map((m) => ({ mapping: m })) };
    };
    handle = await startServe({ config: config([]), run, logger: silentLogger, port: 0, host: '127.0.0.1', shutdownGraceMs: 10_000 });
    const url = handle.url;
    handle.coordinator.request({ mappings: ['people'], full: false, trigger: 'test' });
    const stopped = handle.stop('SIGTERM');
    const during = await fetch(`${url}/healthz`);
    expect(during.status).toBe(503);
    expect(await during.json()).toMatchObject({ status: 'stopping', running: ['people'] });
    expect((await fetch(`${url}/webhooks/zoho`, { method: 'POST', body: '{}' })).status).toBe(404);
    release();
    await stopped;
    handle = undefined;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('counts a flood of refused webhook calls, stores none, and answers 429 after the limit', async () => {
    const clock = new OffsetClock();
    const stored: unknown[] = [];
    handle = await startServe({
      config: config([]), run: recordingRun(10).run, logger: silentLogger, port: 0, host: '127.0.0.1', clock,
      webhook: createTokenReceiver(() => new Map([['1000000001', 'chan-token-5f2a9c']])),
      onWebhook: async (v) => { stored.push(v); },
      webhookLimit: { maxRejected: 20, windowMs: 60_000 },
      webhookDebounceMs: 60_000,
    });
    const post = (token: string): Promise<Response> => fetch(`${handle!.url}/webhooks/zoho`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channel_id: '1000000001', token, module: 'Contacts', ids: ['1'] }) });
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1200; i++) {
      const res = await post(`forged-${i}`);
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({ 401: 20, 429: 1180 });
    expect(stored).toEqual([]);
    const limited = await post('chan-token-5f2a9c');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await handle.metrics.value('ml_connector_webhook_events_total', { outcome: 'rejected' })).toBe(20);
    expect(await handle.metrics.value('ml_connector_webhook_events_total', { outcome: 'rate-limited' })).toBe(1181);
    // After the window the address may call again; a real callback is accepted and recorded.
    clock.advance(61_000);
    expect((await post('chan-token-5f2a9c')).status).toBe(200);
    expect(stored).toHaveLength(1);
  }, 60_000);
});

describe('notification channels', () => {
  it('are renewed at start; a failed renewal is counted, not fatal', async () => {
    const calls: string[] = [];
    handle = await startServe({
      config: config([]), run: recordingRun(10).run, logger: silentLogger, port: 0, host: '127.0.0.1',
      channels: { renew: async (c) => { calls.push(c.project.name); throw new Error('Zoho said no'); } },
    });
    await sleep(50);
    expect(calls).toEqual(['p']);
    expect(await handle.metrics.value('ml_connector_failures_total', { kind: 'channel-renewal' })).toBe(1);
    expect((await fetch(`${handle.url}/healthz`)).status).toBe(200);
  });

  it('are renewed again before the earliest one expires (at half its remaining time)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const renewedAt: number[] = [];
      const expiry = (): number => Date.now() + 10 * 60_000;
      handle = await startServe({
        config: config([]), run: recordingRun(10).run, logger: silentLogger, port: 0, host: '127.0.0.1',
        channels: { renew: async () => { renewedAt.push(Date.now()); return { nextExpiry: expiry() }; } },
      });
      await vi.advanceTimersByTimeAsync(0);
      expect(renewedAt).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(4 * 60_000);
      expect(renewedAt).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(60_000 + 10);
      expect(renewedAt).toHaveLength(2);
      expect(renewedAt[1]! - renewedAt[0]!).toBe(5 * 60_000);
      await handle.stop('test over');
      handle = undefined;
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('coordinator', () => {
  it('one run at a time: requests meanwhile wait and collapse into one next run (full wins)', async () => {
    const rec = recordingRun(200);
    handle = await startServe({ config: config([]), run: rec.run, logger: silentLogger, port: 0, host: '127.0.0.1' });
    expect(handle.coordinator.request({ mappings: ['people'], full: false, trigger: 'a' })).toEqual(['people']);
    expect(handle.coordinator.request({ mappings: ['people', 'vendors'], full: false, trigger: 'b' })).toEqual([]);
    expect(handle.coordinator.request({ mappings: ['people'], full: true, trigger: 'c' })).toEqual([]);
    expect(handle.coordinator.active()).toEqual(['people']);
    await sleep(50);
    await handle.coordinator.idle();
    expect(rec.maxOverlap).toBe(1);
    expect(rec.calls.map((c) => [c.mappings, c.full, c.trigger])).toEqual([
      [['people'], false, 'a'],
      [['people', 'vendors'], true, 'b'],
    ]);
  });

  it('stop() aborts running applies and resolves within the grace period', async () => {
    const rec = recordingRun(10_000);
    handle = await startServe({ config: config([]), run: rec.run, logger: silentLogger, port: 0, host: '127.0.0.1', shutdownGraceMs: 2000 });
    handle.coordinator.request({ mappings: ['people'], full: false, trigger: 't' });
    const started = Date.now();
    await handle.stop('SIGTERM');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(rec.aborted).toBe(1);
    expect((await handle.metrics.render())).toContain('ml_connector_runs_total{mapping="people",status="interrupted"} 1');
    expect(handle.coordinator.request({ mappings: ['people'], full: false, trigger: 'late' })).toEqual([]);
  });

  it('stop() lets the call in flight finish within the grace period, and cuts it only past it', async () => {
    // A run that only ends when its call in flight is cut (a Zoho upsert that never answers).
    const seen: Array<{ stopAt: number; cutAt?: number }> = [];
    const run = async (req: RunRequest, ctx: { signal: AbortSignal; cut: AbortSignal }): Promise<RunResult> => {
      const s: { stopAt: number; cutAt?: number } = { stopAt: -1 };
      seen.push(s);
      ctx.signal.addEventListener('abort', () => { s.stopAt = Date.now(); });
      await sleep(10_000, ctx.cut).catch(() => { s.cutAt = Date.now(); });
      return { runId: 'r', trigger: req.trigger, status: 'interrupted', startedAt: new Date().toISOString(), mappings: [{ mapping: 'people' }] };
    };
    handle = await startServe({ config: config([]), run, logger: silentLogger, port: 0, host: '127.0.0.1', shutdownGraceMs: 300 });
    handle.coordinator.request({ mappings: ['people'], full: false, trigger: 't' });
    await sleep(20);
    await handle.stop('SIGTERM');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.stopAt).toBeGreaterThan(0);
    expect(seen[0]!.cutAt! - seen[0]!.stopAt).toBeGreaterThanOrEqual(280);
    expect((await handle.metrics.render())).toContain('ml_connector_runs_total{mapping="people",status="interrupted"} 1');
  });
});

describe('pull-based GitOps', () => {
  it('reloads after a good commit, keeps the old config after a bad one', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ml-serve-git-'));
    const remote = join(root, 'remote');
    await mkdir(join(remote, 'configs'), { recursive: true });
    const git = (...args: string[]): void => { execFileSync('git', args, { cwd: remote }); };
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 't@example.com');
    git('config', 'user.name', 'T');
    await writeFile(join(remote, 'configs', 'schedule.json'), JSON.stringify({ cron: '0 6 * * *' }));
    git('add', '.');
    git('commit', '-q', '-m', 'one');

    // A stand-in loader: the schedule's cron comes from a file in the pulled directory.
    const load = async (dir: string): Promise<ServeConfig> => {
      const { cron } = JSON.parse(await readFile(join(dir, 'schedule.json'), 'utf8')) as { cron: string };
      return config([schedule(cron, ['people'])]);
    };
    const sync = new GitConfigSync({ remote, branch: 'main', configPath: 'configs', workDir: join(root, 'clone'), logger: silentLogger });
    let first: ServeConfig | undefined;
    expect((await sync.pull(async (dir) => { first = await load(dir); })).kind).toBe('updated');
    const rec = recordingRun(10);
    handle = await startServe({ config: first!, run: rec.run, logger: silentLogger, port: 0, host: '127.0.0.1', git: { sync, intervalMs: 3_600_000, load } });
    expect(handle.config().schedules[0]!.cron).toBe('0 6 * * *');

    await writeFile(join(remote, 'configs', 'schedule.json'), JSON.stringify({ cron: '30 7 * * *' }));
    git('commit', '-q', '-am', 'two');
    await handle.pullNow();
    expect(handle.config().schedules[0]!.cron).toBe('30 7 * * *');

    await writeFile(join(remote, 'configs', 'schedule.json'), JSON.stringify({ cron: 'not a cron' }));
    git('commit', '-q', '-am', 'three (bad)');
    const good = handle.gitCommit();
    await handle.pullNow();
    expect(handle.config().schedules[0]!.cron).toBe('30 7 * * *');
    expect(handle.gitCommit()).toBe(good);
    const metrics = (await handle.metrics.render());
    expect(metrics).toContain('ml_connector_config_reloads_total{result="ok"} 1');
    expect(metrics).toContain('ml_connector_config_reloads_total{result="rejected"} 1');
    await handle.stop('test');
    handle = undefined;
    await rm(root, { recursive: true, force: true });
  });
});
