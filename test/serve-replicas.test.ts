import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openStateStore, type RunRow } from '../src/state/index.js';
import { sleep } from '../src/support/clock.js';
import { stopTestPostgres, testPostgres } from './fixtures/state/backends.js';
import { startSimulatedSystems, type SimulatedSystems } from './simulated-systems.js';

/**
 * Two `serve` processes on one PostgreSQL state (test/fixtures/serve-replica.mjs: the CLI's
 * wiring with a schedule every 3 seconds): only the leader runs the schedule; kill -9 the leader
 * and the standby takes over, and every tick still runs once.
 */
const REPLICA = join(process.cwd(), 'test', 'fixtures', 'serve-replica.mjs');
let dir: string;
let systems: SimulatedSystems;
let stateUrl: string;
const children: ChildProcess[] = [];

interface Replica { child: ChildProcess; lines: Record<string, unknown>[]; url: Promise<string> }

function startReplica(env: Record<string, string>): Replica {
  const child = spawn(process.execPath, [REPLICA, systems.configDir, '*/3 * * * * *', '4000'], {
    env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  const lines: Record<string, unknown>[] = [];
  const url = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      try {
        const j = JSON.parse(line) as Record<string, unknown>;
        lines.push(j);
        if (j.msg === 'serve listening') resolve(String(j.url));
      } catch {
        lines.push({ raw: line });
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}): ${JSON.stringify(lines.slice(-5))}`)));
  });
  return { child, lines, url };
}

const role = async (r: Replica): Promise<string> => ((await (await fetch(`${await r.url}/healthz`)).json()) as { role: string }).role;

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function scheduledRuns(): Promise<RunRow[]> {
  const store = await openStateStore(stateUrl, { readonly: true });
  try {
    return (await store.listRuns({ limit: 1000 })).filter((r) => r.trigger === 'schedule:daily').reverse();
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ml-serve-replicas-'));
  systems = await startSimulatedSystems(dir, { dataset: { employees: 120, vendors: 60 } });
  stateUrl = (await testPostgres()).schemaUrl('replicas');
}, 60_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await systems?.close();
  await stopTestPostgres();
  rmSync(dir, { recursive: true, force: true });
});

describe('serve replicas on one PostgreSQL state', () => {
  it('one leader runs the schedule; after kill -9 the standby takes over and each tick runs once', async () => {
    const env = { ...systems.env, ML_CONNECTOR_STATE_BACKEND: 'postgres', ML_CONNECTOR_STATE_URL: stateUrl };
    const a = startReplica(env);
    await until('replica A to lead', async () => (await role(a)) === 'leader', 20_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(a.lines.slice(-8))}`);
    });
    const b = startReplica(env);
    expect(await until('replica B to stand by', async () => role(b), 20_000)).toBe('standby');

    // A runs the schedule; B runs nothing while A lives.
    await until('two scheduled runs by A', async () => (await scheduledRuns()).filter((r) => r.pid === a.child.pid && r.status !== 'running').length >= 2, 40_000);
    expect((await scheduledRuns()).some((r) => r.pid === b.child.pid)).toBe(false);

    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    await until('B to lead', async () => (await role(b)) === 'leader', 30_000);
    const tookOver = Date.now() - killedAt;
    expect(tookOver).toBeLessThan(60_000);
    await until('a scheduled run by B', async () => (await scheduledRuns()).some((r) => r.pid === b.child.pid && r.status === 'succeeded'), 40_000);
    expect(b.lines.find((l) => l.msg === 'leader: this replica runs the schedules')).toMatchObject({ tookOverFrom: expect.stringContaining(`pid ${a.child.pid}`) });

    // Each tick ran once: A's runs all started before the kill, B's after it, and no two runs
    // were ever in progress at once (two replicas running one tick would overlap).
    const runs = await scheduledRuns();
    expect(runs.filter((r) => r.pid !== a.child.pid && r.pid !== b.child.pid)).toEqual([]);
    expect(runs.filter((r) => r.pid === a.child.pid).every((r) => Date.parse(r.startedAt) < killedAt)).toBe(true);
    expect(runs.filter((r) => r.pid === b.child.pid).every((r) => Date.parse(r.startedAt) > killedAt)).toBe(true);
    const finished = runs.filter((r) => r.finishedAt !== undefined);
    for (let i = 1; i < finished.length; i++) expect(Date.parse(finished[i]!.startedAt)).toBeGreaterThanOrEqual(Date.parse(finished[i - 1]!.finishedAt!));

    b.child.kill('SIGTERM');
    await new Promise((r) => b.child.once('exit', r));
  }, 150_000);
});
