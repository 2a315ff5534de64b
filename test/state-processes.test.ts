import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { openStateStore } from '../src/state/index.js';
import { FIXTURES, makeTempDir, requireBuild, ROOT } from './fixtures/state/helpers.js';

/** A child whose stdout lines we can wait for. */
function startChild(script: string, args: string[]): { child: ChildProcessWithoutNullStreams; lines: string[]; waitFor: (pred: (line: string) => boolean, ms?: number) => Promise<string>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(FIXTURES, script), ...args], { cwd: ROOT });
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  let buffer = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    buffer += d.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => {
    for (const w of waiters.splice(0)) w();
    resolve(code);
  }));
  const waitFor = (pred: (line: string) => boolean, ms = 10_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; stdout: ${lines.join('\n')}\nstderr: ${stderr}`)), ms);
      const check = (): void => {
        const hit = lines.find(pred);
        if (hit !== undefined) {
          clearTimeout(timer);
          resolve(hit);
        } else if (child.exitCode !== null) {
          clearTimeout(timer);
          reject(new Error(`child exited ${child.exitCode}; stdout: ${lines.join('\n')}\nstderr: ${stderr}`));
        } else waiters.push(check);
      };
      check();
    });
  return { child, lines, waitFor, exited };
}

describe('state across processes', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeAll(() => requireBuild());
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  it('a second apply waits for the lock, then fails naming the holder; after release the next one gets it', async () => {
    const db = join(tmp.dir, 'state.db');
    await (await openStateStore(db)).close();
    const a = startChild('lock-holder.mjs', [db, 'apply (job A)', '0']);
    const locked = JSON.parse(await a.waitFor((l) => l.includes('"locked"'))) as { pid: number };

    const started = Date.now();
    const b = startChild('lock-holder.mjs', [db, 'apply (job B)', '800']);
    const failure = JSON.parse(await b.waitFor((l) => l.includes('"error"'))) as { code: string; message: string; meta: Record<string, unknown> };
    const waited = Date.now() - started;
    expect(await b.exited).toBe(1);
    expect(waited).toBeGreaterThanOrEqual(800);
    expect(failure.code).toBe('STATE_LOCKED');
    expect(failure.meta).toMatchObject({ holder: 'apply (job A)', pid: locked.pid, host: hostname() });
    expect(failure.message).toContain(`"apply (job A)" (pid ${locked.pid} on ${hostname()})`);

    a.child.stdin.end();
    expect(await a.exited).toBe(0);
    const c = startChild('lock-holder.mjs', [db, 'apply (job C)', '0']);
    expect(JSON.parse(await c.waitFor((l) => l.includes('"locked"')))).toMatchObject({ tookOver: null });
    c.child.stdin.end();
    expect(await c.exited).toBe(0);
  });

  it('kill -9 in the middle of batches: consistent file, run interrupted, rerun finishes without doubles', async () => {
    const db = join(tmp.dir, 'state.db');
    const total = 16_000;
    const batch = 500;
    const first = startChild('batch-writer.mjs', [db, String(total), String(batch)]);
    await first.waitFor((l) => l === 'committed 2000');
    // Land the kill at an arbitrary point of a later batch.
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 30)));
    first.child.kill('SIGKILL');
    await first.exited;
    const printed = Math.max(...first.lines.filter((l) => l.startsWith('committed ')).map((l) => Number(l.split(' ')[1])));

    const store = await openStateStore(db);
    try {
      expect(await store.checkIntegrity()).toEqual(['ok']);
      expect(store.opened.interruptedRuns).toHaveLength(1);
      const [runId] = store.opened.interruptedRuns;
      const run = await store.getRun(runId!);
      expect(run?.status).toBe('interrupted');
      const links = await store.getLinks('employees');
      // Every printed batch is durable; at most the one in flight committed without being printed.
      expect(links.size % batch).toBe(0);
      expect(links.size === printed || links.size === printed + batch).toBe(true);
      expect(links.size).toBeLessThan(total);
      const audit = await store.queryAudit({ runId: runId!, limit: total });
      expect(audit).toHaveLength(links.size);
      expect(new Set(audit.map((a) => a.externalId)).size).toBe(links.size);
      expect(run?.batches).toBe(links.size / batch);
      expect(await store.inspectLock('apply')).toMatchObject({ staleReason: 'process-gone' });
    } finally {
      await store.close();
    }

    // The rerun takes over the dead process's lock and only does what is left.
    const rerun = startChild('batch-writer.mjs', [db, String(total), String(batch)]);
    await rerun.waitFor((l) => l === 'finished', 20_000);
    expect(await rerun.exited).toBe(0);
    const after = await openStateStore(db);
    try {
      expect((await after.getLinks('employees')).size).toBe(total);
      const audit = await after.queryAudit({ limit: total * 2 });
      expect(audit).toHaveLength(total);
      expect(new Set(audit.map((a) => a.externalId)).size).toBe(total);
      expect((await after.listRuns()).map((r) => r.status).sort()).toEqual(['interrupted', 'succeeded']);
    } finally {
      await after.close();
    }
  });
});
