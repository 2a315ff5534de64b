import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { simulatorEnv } from '../src/demo/env.js';
import { startPeopleSoftSimulator, type PeopleSoftSimulator } from '../src/sim/peoplesoft/index.js';
import { startZohoSimulator, type ZohoSimulator } from '../src/sim/zoho/index.js';
import { OffsetClock, sleep } from '../src/support/clock.js';

/**
 * The built CLI's serve with Zoho notifications: channels enabled at start, a person's edit in
 * Zoho arrives on /webhooks/zoho, the mapping runs, and the managed field is put back.
 */
const BIN = join(process.cwd(), 'bin', 'ml-connector.js');
let dir: string;
let ps: PeopleSoftSimulator;
let zoho: ZohoSimulator;
let env: Record<string, string>;
let port: number;
let serve: ChildProcess | undefined;
const logs: Record<string, unknown>[] = [];

const freePort = (): Promise<number> => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as { port: number }).port;
    s.close(() => resolve(p));
  });
});

function cli(args: string[]): Promise<number | null> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: 'ignore' });
  return new Promise((resolve) => child.once('exit', resolve));
}

async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; serve said: ${JSON.stringify(logs.slice(-8))}`);
    await sleep(100);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ml-serve-hook-'));
  const clock = new OffsetClock();
  ps = await startPeopleSoftSimulator({ clock });
  zoho = await startZohoSimulator({ clock });
  port = await freePort();
  env = {
    ...simulatorEnv({
      zoho: { url: zoho.url, accountsUrl: zoho.accountsUrl, clientId: zoho.credentials.clientId, clientSecret: zoho.credentials.clientSecret, refreshToken: zoho.credentials.refreshToken },
      peoplesoft: { url: ps.url, node: ps.nodes.hcm, fscmNode: ps.nodes.fscm, username: ps.credentials.username, password: ps.credentials.password },
    }, join(dir, 'state.db')),
    ML_CONNECTOR_MASTER_KEY: randomBytes(32).toString('base64'),
  };
  const target = join(dir, 'configs');
  cpSync('configs', target, { recursive: true });
  for (const file of [join(target, 'project.yaml'), ...readdirSync(join(target, 'connections')).map((f) => join(target, 'connections', f))]) {
    writeFileSync(file, readFileSync(file, 'utf8').replace(/(serverTimezone|timezone): America\/Chicago/g, '$1: UTC'));
  }
  const zohoYaml = join(target, 'connections', 'zoho.yaml');
  writeFileSync(zohoYaml, readFileSync(zohoYaml, 'utf8') + `webhooks:\n  notifyUrl: http://127.0.0.1:${port}/webhooks/zoho\n  channelExpiryHours: 24\n`);
  expect(await cli(['apply', '--config', target, '--auto-approve'])).toBe(0);
});

afterAll(async () => {
  if (serve && serve.exitCode === null) {
    serve.kill('SIGTERM');
    await new Promise((resolve) => serve!.once('exit', resolve));
  }
  await zoho?.close();
  await ps?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('serve: Zoho notifications', () => {
  it('puts back a managed field a person changed in Zoho, and rejects a forged callback', async () => {
    serve = spawn(process.execPath, [BIN, 'serve', '--config', join(dir, 'configs'), '--port', String(port), '--host', '127.0.0.1', '--webhook-debounce', '200ms'], { env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    createInterface({ input: serve.stderr! }).on('line', (line) => {
      try { logs.push(JSON.parse(line) as Record<string, unknown>); } catch { logs.push({ raw: line }); }
    });
    await until('channels', () => logs.some((l) => l.msg === 'notification channels checked'));

    const contact = zoho.records('Contacts').find((r) => r.Department)!;
    const department = contact.Department;
    zoho.editRecord('Contacts', String(contact.id), { Department: 'Edited by hand' }, 'user');
    await zoho.flushNotifications();
    expect(zoho.deliveries.at(-1)?.status).toBe(200);
    await until('the department to be put back', () => zoho.records('Contacts').find((r) => r.id === contact.id)?.Department === department);
    // The run writes Zoho before it logs that it finished: wait for the line, do not assume it came first.
    await until('the webhook run to finish', () => logs.some((l) => l.msg === 'run finished' && l.trigger === 'webhook:zoho' && l.status === 'succeeded'));

    const forged = await fetch(`http://127.0.0.1:${port}/webhooks/zoho`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channel_id: zoho.deliveries.at(-1)!.channelId, token: 'forged-token', module: 'Contacts', operation: 'update', ids: [String(contact.id)] }) });
    expect(forged.status).toBe(401);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('ml_connector_webhook_events_total{outcome="rejected"} 1');
    expect(metrics).toMatch(/ml_connector_runs_total\{mapping="employees-to-contacts",status="succeeded"\} 1/);

    serve.kill('SIGTERM');
    expect(await new Promise((resolve) => serve!.once('exit', resolve))).toBe(0);
    // The token Zoho echoes back is a secret: never in a log line.
    const token = String(zoho.deliveries.at(-1)!.payload.token);
    expect(JSON.stringify(logs)).not.toContain(token);
  }, 60_000);
});
