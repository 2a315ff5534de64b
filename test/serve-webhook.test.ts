import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { simulatorEnv } from '../src/demo/env.js';
import { openStateStore } from '../src/state/index.js';
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

type Family = { name: string; type: string; metrics: Array<{ labels?: Record<string, string>; value?: string }> };

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

const base = (): string => `http://127.0.0.1:${port}`;
const runsFinished = (trigger: string): Record<string, unknown>[] => logs.filter((l) => l.msg === 'run finished' && l.trigger === trigger);

describe('serve: Zoho notifications', () => {
  it('starts with metrics from the state database: every counter at 0, last success of the earlier apply, build info', async () => {
    serve = spawn(process.execPath, [BIN, 'serve', '--config', join(dir, 'configs'), '--port', String(port), '--host', '127.0.0.1', '--webhook-debounce', '200ms'], { env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    createInterface({ input: serve.stderr! }).on('line', (line) => {
      try { logs.push(JSON.parse(line) as Record<string, unknown>); } catch { logs.push({ raw: line }); }
    });
    await until('channels', () => logs.some((l) => l.msg === 'notification channels checked'));
    const families = parsePrometheusTextFormat(await (await fetch(`${base()}/metrics`)).text());
    const family = (name: string): Family => families.find((f) => f.name === name) ?? expect.fail(`no ${name} in /metrics`);
    const sample = (name: string, labels: Record<string, string>): number => Number(family(name).metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? NaN);
    expect(family('ml_connector_build_info').metrics[0]!.labels).toMatchObject({ version: JSON.parse(readFileSync('package.json', 'utf8')).version, node: process.version });
    expect(family('ml_connector_run_duration_seconds').type).toBe('HISTOGRAM');
    expect(family('ml_connector_api_request_duration_seconds').type).toBe('HISTOGRAM');
    // Present before anything happened in this process: counters at 0, for every known label.
    for (const kind of ['run', 'auth', 'record', 'guard', 'alert', 'channel-renewal', 'config-reload']) expect(sample('ml_connector_failures_total', { kind })).toBe(0);
    for (const status of ['succeeded', 'partial', 'failed', 'interrupted']) expect(sample('ml_connector_runs_total', { mapping: 'employees-to-contacts', status })).toBe(0);
    expect(sample('ml_connector_webhook_events_total', { outcome: 'rejected' })).toBe(0);
    // The apply run before serve started (beforeAll) is remembered: alerts on last success survive a restart.
    const lastSuccess = sample('ml_connector_last_success_timestamp_seconds', { mapping: 'employees-to-contacts' });
    expect(lastSuccess).toBeGreaterThan(Date.now() / 1000 - 600);
    expect(lastSuccess).toBeLessThanOrEqual(Date.now() / 1000);
  });

  it('puts back a managed field a person changed in Zoho, and the echo of its own write starts no run', async () => {
    const contact = zoho.records('Contacts').find((r) => r.Department)!;
    const department = contact.Department;
    zoho.editRecord('Contacts', String(contact.id), { Department: 'Edited by hand' }, 'user');
    await zoho.flushNotifications();
    expect(zoho.deliveries.at(-1)?.status).toBe(200);
    await until('the department to be put back', () => zoho.records('Contacts').find((r) => r.id === contact.id)?.Department === department);
    // The run writes Zoho before it logs that it finished: wait for the line, do not assume it came first.
    await until('the webhook run to finish', () => runsFinished('webhook:zoho').some((l) => l.status === 'succeeded'));
    // serve's own write comes back as a notification: recognised as an echo, so no second run.
    await zoho.flushNotifications();
    expect(zoho.deliveries).toHaveLength(2);
    expect(zoho.deliveries[1]).toMatchObject({ status: 200 });
    expect(zoho.deliveries[1]!.payload.ids).toEqual([String(contact.id)]);
    await sleep(1000);
    expect(runsFinished('webhook:zoho')).toHaveLength(1);
    const metrics = await (await fetch(`${base()}/metrics`)).text();
    expect(metrics).toMatch(/ml_connector_runs_total\{mapping="employees-to-contacts",status="succeeded"\} 1/);
    expect(metrics).toMatch(/ml_connector_run_duration_seconds_count\{kind="incremental",status="succeeded"\} 1/);
    expect(metrics).toMatch(/ml_connector_api_request_duration_seconds_count\{system="zoho",outcome="ok"\} [1-9]/);
  });

  it('shows a status page without personal data, whose links work', async () => {
    const res = await fetch(`${base()}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('<title>ml-connector · northwind-services</title>');
    for (const text of ['employees-to-contacts', 'vendors-to-accounts', 'Next scheduled runs', 'Zoho notification channels', 'Problems of the last run']) expect(html).toContain(text);
    expect(html).toMatch(/expires <time/);
    // No name, email, phone or record key of anyone the sync handled.
    for (const r of zoho.records('Contacts')) {
      for (const v of [r.Email, r.Last_Name, r.Mobile, r.Phone, r.PeopleSoft_Employee_ID]) if (typeof v === 'string' && v.length > 3) expect(html).not.toContain(v);
    }
    expect(html).not.toMatch(/[\w.+-]+@[\w-]+\.[\w.]+/);
    const links = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(1);
    for (const href of links) expect((await fetch(new URL(href, base()))).status, href).toBe(200);
    expect(Buffer.byteLength(html)).toBeLessThan(20_000);
  });

  it('counts a flood of forged callbacks, stores no row for them, and answers 429 after the limit', async () => {
    const store = await openStateStore(env.ML_CONNECTOR_STATE!, { create: false });
    const before = (await store.stats()).rows.webhookEvents;
    const statuses: number[] = [];
    const channelId = zoho.deliveries.at(-1)!.channelId;
    for (let i = 0; i < 1200; i++) {
      const res = await fetch(`${base()}/webhooks/zoho`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channel_id: channelId, token: `forged-${i}`, module: 'Contacts', operation: 'update', ids: ['1'] }) });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 20).every((x) => x === 401)).toBe(true);
    expect(statuses.slice(20).every((x) => x === 429)).toBe(true);
    expect((await store.stats()).rows.webhookEvents).toBe(before);
    await store.close();
    const metrics = await (await fetch(`${base()}/metrics`)).text();
    expect(metrics).toContain('ml_connector_webhook_events_total{outcome="rejected"} 20');
    expect(metrics).toContain('ml_connector_webhook_events_total{outcome="rate-limited"} 1180');
    // One log line for the address, not 1,200.
    expect(logs.filter((l) => l.msg === 'webhook rejected')).toHaveLength(1);
  }, 60_000);

  it('stops on SIGTERM with JSON lines only on stderr, never the channel token', async () => {
    serve!.kill('SIGTERM');
    expect(await new Promise((resolve) => serve!.once('exit', resolve))).toBe(0);
    expect(logs.filter((l) => 'raw' in l || l.msg === 'node warning')).toEqual([]);
    const token = String(zoho.deliveries.at(-1)!.payload.token);
    expect(JSON.stringify(logs)).not.toContain(token);
  });
});
