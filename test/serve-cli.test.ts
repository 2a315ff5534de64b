import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';

const BIN = join(process.cwd(), 'bin', 'ml-connector.js');

/** Start the built CLI's serve and resolve with the URL from its "serve listening" log line. */
function startServe(args: string[], env: Record<string, string>): { child: ChildProcess; lines: Record<string, unknown>[]; url: Promise<string>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
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
    void exit.then((code) => reject(new Error(`serve exited (${code}) before listening: ${JSON.stringify(lines)}`)));
  });
  return { child, lines, url, exit };
}

/** Run serve until it exits by itself; its stderr as parsed JSON lines (anything else as { raw }). */
async function runToExit(args: string[], env: Record<string, string>): Promise<{ code: number | null; lines: Record<string, unknown>[]; raw: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let raw = '';
  child.stderr.on('data', (d: Buffer) => { raw += d.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const lines = raw.split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l) as Record<string, unknown>; } catch { return { raw: l }; } });
  return { code, lines, raw };
}

describe('ml-connector serve (built CLI)', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'ml-serve-cli-')); });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('serves /healthz and /metrics, logs JSON lines, and stops cleanly on SIGTERM', async () => {
    const s = startServe(['--config', 'configs', '--port', '0', '--host', '127.0.0.1'], { ML_CONNECTOR_STATE: join(dir, 'state.db') });
    const url = await s.url;
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as { status: string; schedules: { schedule: string; kind: string; timezone: string }[] };
    expect(body.status).toBe('ok');
    expect(body.schedules.map((x) => [x.schedule, x.kind, x.timezone])).toEqual([['daily', 'incremental', 'America/Chicago'], ['daily', 'full', 'America/Chicago']]);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('ml_connector_up 1');
    expect(metrics).toContain('# TYPE ml_connector_records_total counter');
    // configs/ has no webhooks section: the route is off.
    expect((await fetch(`${url}/webhooks/zoho`, { method: 'POST', body: '{}' })).status).toBe(404);

    const stopAt = Date.now();
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
    expect(Date.now() - stopAt).toBeLessThan(5000);
    expect(s.lines.every((l) => typeof l.time === 'string' && typeof l.level === 'string')).toBe(true);
    expect(s.lines.at(-1)).toMatchObject({ msg: 'serve stopped', reason: 'SIGTERM', clean: true });
  });

  it('follows a git branch: a new commit reloads, a broken one is rejected and the running one kept', async () => {
    const remote = join(dir, 'remote');
    await cp('configs', join(remote, 'configs'), { recursive: true });
    const git = (...a: string[]): string => execFileSync('git', a, { cwd: remote, encoding: 'utf8' }).trim();
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'one');
    const s = startServe(['--config', 'configs', '--port', '0', '--host', '127.0.0.1', '--git-remote', remote, '--git-branch', 'main', '--git-interval', '300ms', '--git-workdir', join(dir, 'clone')], { ML_CONNECTOR_STATE: join(dir, 'git-state.db') });
    const url = await s.url;
    const health = async (): Promise<{ gitCommit: string; schedules: { cron: string }[] }> => (await (await fetch(`${url}/healthz`)).json()) as { gitCommit: string; schedules: { cron: string }[] };
    expect((await health()).gitCommit).toBe(git('rev-parse', 'HEAD'));

    const schedule = join(remote, 'configs', 'schedule.yaml');
    await writeFile(schedule, (await readFile(schedule, 'utf8')).replace('cron: "0 6 * * *"', 'cron: "30 5 * * *"'));
    git('-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '-am', 'two');
    const two = git('rev-parse', 'HEAD');
    for (let i = 0; i < 50 && (await health()).gitCommit !== two; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await health()).schedules[0]!.cron).toBe('30 5 * * *');

    // SIGHUP pulls at once (the interval here is short anyway; the log line says it was asked).
    s.child.kill('SIGHUP');
    for (let i = 0; i < 30 && !s.lines.some((l) => l.msg === 'SIGHUP: pulling the configuration now'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(s.lines.some((l) => l.msg === 'SIGHUP: pulling the configuration now')).toBe(true);

    await writeFile(schedule, (await readFile(schedule, 'utf8')).replace('cron: "30 5 * * *"', 'cron: "not a cron"'));
    git('-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '-am', 'three (broken)');
    for (let i = 0; i < 50 && !s.lines.some((l) => l.msg === 'new configuration rejected; keeping the running one'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(s.lines.find((l) => l.msg === 'new configuration rejected; keeping the running one')).toMatchObject({ commit: git('rev-parse', 'HEAD') });
    expect((await health()).gitCommit).toBe(two);
    expect(await (await fetch(`${url}/metrics`)).text()).toContain('ml_connector_config_reloads_total{result="rejected"} 1');
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
  });

  it('refuses to start on an invalid configuration, with a coded error as a JSON line', async () => {
    const { code, lines } = await runToExit(['--config', join(dir, 'missing'), '--port', '0'], {});
    expect(code).toBe(1);
    expect(lines.at(-1)).toMatchObject({ level: 'error', msg: 'serve cannot run', errorCode: expect.stringMatching(/^CONFIG_[A-Z_]+$/) });
  });

  it('exits 1 with a clear message when its port is taken, and runs nothing', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as AddressInfo).port;
    try {
      const started = Date.now();
      const { code, lines, raw } = await runToExit(['--config', 'configs', '--port', String(port), '--host', '127.0.0.1'], { ML_CONNECTOR_STATE: join(dir, 'busy.db') });
      expect(code).toBe(1);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(lines.at(-1)).toMatchObject({ level: 'error', msg: 'serve cannot run', errorCode: 'SERVE_PORT_IN_USE', error: `serve cannot listen on 127.0.0.1:${port}: the port is in use by another process.` });
      expect(String(lines.at(-1)!.hint)).toContain('--port');
      // No stack trace, no plain-text line, and no schedule or run ever started.
      expect(raw).not.toMatch(/^\s+at /m);
      expect(lines.every((l) => !('raw' in l))).toBe(true);
      expect(lines.some((l) => l.msg === 'serve listening' || l.msg === 'run started')).toBe(false);
    } finally {
      busy.close();
    }
  });
});
