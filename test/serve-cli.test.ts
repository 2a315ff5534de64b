import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('refuses to start on an invalid configuration, with a coded error', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--config', join(dir, 'missing'), '--port', '0'], { env: { ...process.env, NO_COLOR: '1' } });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(err).toMatch(/\[CONFIG_[A-Z_]+\]/);
  });
});
