import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatorEnv } from '../src/demo/env.js';
import { generateDataset } from '../src/sim/dataset/generate.js';
import { startPeopleSoftSimulator, type PeopleSoftSimulator } from '../src/sim/peoplesoft/index.js';
import { startZohoSimulator, type ZohoSimulator } from '../src/sim/zoho/index.js';
import { openStateStore } from '../src/state/index.js';

/**
 * The built CLI (`node bin/ml-connector.js`, after `npx tsc -p tsconfig.build.json`) in a
 * subprocess against both simulators: exit codes, a saved plan, approval off a terminal, and a
 * process killed in the middle of an apply followed by a rerun (no duplicates, nothing lost).
 */
const BIN = join(process.cwd(), 'bin', 'ml-connector.js');
let dir: string;
let configDir: string;
let ps: PeopleSoftSimulator;
let zoho: ZohoSimulator;
let env: Record<string, string>;

interface Run { code: number; stdout: string; stderr: string }

function start(args: string[]): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [BIN, ...args, '--config', configDir], { env: { ...process.env, NO_COLOR: '1', CI: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 137 : -1), stdout, stderr })));
  return { child, done };
}
const cli = (args: string[]): Promise<Run> => start(args).done;

const contacts = () => zoho.records('Contacts').filter((r) => r.PeopleSoft_Employee_ID);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ml-e2e-cli-'));
  configDir = join(dir, 'configs');
  cpSync('configs', configDir, { recursive: true });
  // The simulator keeps PeopleSoft time in UTC (see test/e2e-cycle.test.ts).
  for (const file of [join(configDir, 'project.yaml'), ...readdirSync(join(configDir, 'connections')).map((f) => join(configDir, 'connections', f))]) {
    writeFileSync(file, readFileSync(file, 'utf8').replace(/(serverTimezone|timezone): America\/Chicago/g, '$1: UTC'));
  }
  // Small but above the example guards (minSourceRows 100 employees, 50 vendors).
  ps = await startPeopleSoftSimulator({ dataset: generateDataset({ employees: 130, vendors: 60, seed: 3 }) });
  zoho = await startZohoSimulator({ latencyMs: 5 });
  env = simulatorEnv({
    zoho: { url: zoho.url, accountsUrl: zoho.accountsUrl, clientId: zoho.credentials.clientId, clientSecret: zoho.credentials.clientSecret, refreshToken: zoho.credentials.refreshToken },
    peoplesoft: { url: ps.url, node: ps.nodes.hcm, fscmNode: ps.nodes.fscm, username: ps.credentials.username, password: ps.credentials.password },
  }, join(dir, 'state.db'));
});

afterAll(async () => {
  await zoho?.close();
  await ps?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ml-connector plan and apply (built CLI)', () => {
  it('apply without a terminal needs --auto-approve, and writes nothing without it', async () => {
    const r = await cli(['apply']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('APPLY_NEEDS_APPROVAL');
    expect(contacts()).toHaveLength(0);
    // A plan file that is not there: a coded error that says what to do, no stack trace.
    const missing = await cli(['apply', join(dir, 'no-such.plan.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('there is no such file');
    expect(missing.stderr).toContain('[PLAN_FILE_UNREADABLE]');
    expect(missing.stderr).not.toContain('    at ');
    const nowhere = await cli(['plan', '--out', join(dir, 'no-such-dir', 'plan.json')]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toContain('its directory does not exist');
    expect(nowhere.stderr).toContain('[PLAN_FILE_UNWRITABLE]');
  });

  it('a process killed mid-apply, then a rerun: every record once in Zoho, nothing lost', async () => {
    // Zoho writes the first contact batch, then holds its answer: the CLI never learns the ids.
    // How many contacts the first sync creates (people who left before it are not created).
    const planned = JSON.parse((await cli(['plan', '--json'])).stdout.split('\n')[0]!.replace(/,"entries":\[$/, '}')) as { header: { mappings: Array<{ name: string; counts: { create: number } }> } };
    const expected = planned.header.mappings.filter((m) => m.name.endsWith('-to-contacts')).reduce((n, m) => n + m.counts.create, 0);
    expect(expected).toBeGreaterThan(100);
    zoho.inject({ at: { kind: 'upsert', module: 'Contacts' }, delayMs: 10_000, times: 2 }); // over 100 contacts: two batches
    const run = start(['apply', '--auto-approve']);
    // Zoho has written the contacts and holds the answers: kill the CLI before it hears back.
    for (let i = 0; i < 400 && contacts().length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 200));
    run.child.kill('SIGKILL');
    const killed = await run.done;
    expect(killed.code).not.toBe(0);
    expect(contacts().length).toBeGreaterThan(0);
    const before = await openStateStore(join(dir, 'state.db'));
    try {
      // The killed run never learned the contacts' ids: none is linked yet.
      expect((await before.getLinks('employees-to-contacts')).size + (await before.getLinks('contractors-to-contacts')).size).toBe(0);
    } finally {
      await before.close();
    }

    const rerun = await cli(['apply', '--auto-approve']);
    expect(rerun.stderr).toMatch(/stale lock|interrupted/); // the killed run's lock and run row are taken over, reported
    expect(rerun.code).toBe(0);
    const ids = contacts().map((r) => r.PeopleSoft_Employee_ID);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(expected);
    const store = await openStateStore(join(dir, 'state.db'));
    try {
      expect((await store.getLinks('employees-to-contacts')).size + (await store.getLinks('contractors-to-contacts')).size).toBe(expected);
      expect((await store.listRuns()).some((r) => r.status === 'interrupted')).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('--detailed-exitcode: 0 without changes, 2 with changes; a saved plan applies', async () => {
    expect((await cli(['plan', '--detailed-exitcode'])).code).toBe(0);
    const rec = contacts()[0]!;
    zoho.editRecord('Contacts', String(rec.id), { Title: 'Changed by a user' }, 'user');
    const out = join(dir, 'plan.json');
    const planned = await cli(['plan', '--detailed-exitcode', '--out', out, '--no-mask']);
    expect(planned.code).toBe(2);
    expect(planned.stdout).toContain('~ ');
    expect(planned.stdout).toContain('"Changed by a user"');
    expect(planned.stdout.split('\n')[0]).toBe('Plan: 1 edited in Zoho → 1 to update');
    expect(planned.stdout).toMatch(/Plan: 1 to update, \d+ unchanged; 1 API call/);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ formatVersion: 2, header: { summary: { update: 1 } } });
    // `show` prints a saved plan exactly as `plan` printed it, in text and in Markdown.
    const textPlan = join(dir, 'plan-text.json');
    const plannedText = await cli(['plan', '--out', textPlan]);
    const shown = await cli(['show', textPlan]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toBe(plannedText.stdout);
    expect(shown.stdout).toContain('"Changed by a user"');
    const mdPlan = join(dir, 'plan-md.json');
    const plannedMd = await cli(['plan', '--markdown', '--out', mdPlan]);
    expect((await cli(['show', mdPlan, '--markdown'])).stdout).toBe(plannedMd.stdout);
    expect((await cli(['show', join(dir, 'no-such-plan.json')])).stderr).toContain('[PLAN_FILE_UNREADABLE]');
    const applied = await cli(['apply', out]);
    expect(applied.code).toBe(0);
    // The plan said 1 call (the write); the saved plan's record is re-read first, and apply says so.
    expect(applied.stdout).toMatch(/2 Zoho calls \(1 to write, 1 to re-read the records first\)/);
    expect(zoho.records('Contacts').find((r) => r.id === rec.id)!.Title).toBe(rec.Title);
  });

  it('Markdown for a pull request is masked', async () => {
    const rec = contacts()[1]!;
    zoho.editRecord('Contacts', String(rec.id), { Email: 'someone.else@example.com' }, 'user');
    const md = await cli(['plan', '--markdown']);
    expect(md.code).toBe(0);
    expect(md.stdout).toContain('<details>');
    expect(md.stdout).toContain('| employees-to-contacts | Contacts |');
    expect(md.stdout).not.toContain('someone.else@example.com');
    // The user's edit is put back: both addresses only as different digests.
    expect(md.stdout).toMatch(/-\s+Email: \(masked #([0-9a-f]{8})\)\n\+\s+Email: \(masked #(?!\1)[0-9a-f]{8}\)/);
  });
});
