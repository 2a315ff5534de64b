import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulatorEnv } from '../src/demo/env.js';
import type { ScenarioDayReport } from '../src/sim/dataset/scenario.js';
import { startPeopleSoftSimulator, type PeopleSoftSimulator } from '../src/sim/peoplesoft/index.js';
import { startZohoSimulator, type ZohoSimulator } from '../src/sim/zoho/index.js';
import { OffsetClock } from '../src/support/clock.js';

/**
 * Labels that are true, end to end (built CLI, both simulators, a real state file): after an
 * apply, a day of HR events, a rename of someone hired years ago and a mapping edit; the plan
 * labels each record by what happened since that apply, and nothing else.
 */
const BIN = join(process.cwd(), 'bin', 'ml-connector.js');
const DAY_MS = 86_400_000;
let dir: string;
let configDir: string;
let ps: PeopleSoftSimulator;
let zoho: ZohoSimulator;
let env: Record<string, string>;

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, '--config', configDir], { env: { ...process.env, ...env, NO_COLOR: '1', CI: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Action { externalId: string; action: string; cause: string; event?: string; mapping: string }
const actionsOf = (json: string): Action[] => json.split('\n').filter((l) => l.startsWith('{"t":"action"')).map((l) => JSON.parse(l.replace(/,$/, '')) as Action);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ml-labels-'));
  // PeopleSoft starts a day behind, so the scenario's next day is today for the CLI (as in the demo).
  const psClock = new OffsetClock();
  psClock.advance(-DAY_MS);
  ps = await startPeopleSoftSimulator({ clock: psClock, serverTimezone: 'UTC' });
  zoho = await startZohoSimulator();
  env = simulatorEnv({
    zoho: { url: zoho.url, accountsUrl: zoho.accountsUrl, clientId: zoho.credentials.clientId, clientSecret: zoho.credentials.clientSecret, refreshToken: zoho.credentials.refreshToken },
    peoplesoft: { url: ps.url, node: ps.nodes.hcm, fscmNode: ps.nodes.fscm, username: ps.credentials.username, password: ps.credentials.password },
  }, join(dir, 'state.db'));
  configDir = join(dir, 'configs');
  cpSync('configs', configDir, { recursive: true });
  for (const file of [join(configDir, 'project.yaml'), ...readdirSync(join(configDir, 'connections')).map((f) => join(configDir, 'connections', f))]) {
    writeFileSync(file, readFileSync(file, 'utf8').replace(/(serverTimezone|timezone): America\/Chicago/g, '$1: UTC'));
  }
}, 60_000);

afterAll(async () => {
  await zoho?.close();
  await ps?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('labels after an apply', () => {
  let day: ScenarioDayReport;
  let renamed: string;

  it('the first sync labels no old events: an initial load is not a wave of hires', async () => {
    const plan = await cli(['plan', '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    const creates = actionsOf(plan.stdout);
    expect(creates.length).toBeGreaterThan(100);
    const labelled = creates.filter((a) => a.event !== undefined);
    expect(labelled.length).toBeLessThan(10);
    const applied = await cli(['apply', '--auto-approve']);
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
  }, 60_000);

  it('a day of HR events, a rename of a 2010s hire, then a mapping edit: each record is labelled by what happened', async () => {
    day = ps.scenario.nextDay();
    // Someone hired years ago changes their last name today (PS_NAMES; their job rows do not change).
    const old = ps.data.employees.find((e) => {
      const hire = e.jobs.find((j) => j.ACTION === 'HIR');
      return hire !== undefined && hire.EFFDT < '2018-01-01' && e.jobs.every((j) => j.EMPL_STATUS === 'A') && !day.hires.some((h) => h.emplid === e.EMPLID) && day.transfer?.emplid !== e.EMPLID;
    })!;
    expect(old).toBeDefined();
    renamed = old.EMPLID;
    old.LAST_NAME = `${old.LAST_NAME}-Renamed`;
    old.NAME_DISPLAY = `${old.FIRST_NAME} ${old.LAST_NAME}`;
    old.LASTUPDDTTM = day.lastUpdated;

    // Incremental: only what changed. The rename is a PeopleSoft change, not a hire.
    const incremental = actionsOf((await cli(['plan', '--json'])).stdout);
    const byId = new Map(incremental.map((a) => [a.externalId, a]));
    expect(byId.get(renamed)).toMatchObject({ action: 'update', cause: 'source' });
    expect(byId.get(renamed)!.event).toBeUndefined();
    for (const h of day.hires) expect(byId.get(h.emplid)).toMatchObject({ action: 'create', event: 'hire' });
    expect(byId.get(day.termination!.emplid)).toMatchObject({ action: 'deactivate', event: 'termination' });
    expect(byId.get(day.transfer!.emplid)).toMatchObject({ action: 'update', event: 'transfer' });

    // The mapping edit: titles upper-cased. A full plan; the day's events keep their labels, the
    // rename stays a PeopleSoft change, every other record is a mapping change.
    const file = join(configDir, 'mappings', 'employees-to-contacts.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('{ to: Title, from: JOB_TITLE }', '{ to: Title, from: JOB_TITLE, transforms: [upper] }'));
    const full = actionsOf((await cli(['plan', '--json', '--mapping', 'employees-to-contacts'])).stdout);
    const f = new Map(full.map((a) => [a.externalId, a]));
    expect(f.get(renamed)).toMatchObject({ action: 'update', cause: 'source' });
    expect(f.get(renamed)!.event).toBeUndefined();
    for (const h of day.hires) expect(f.get(h.emplid)).toMatchObject({ action: 'create', event: 'hire' });
    expect(f.get(day.transfer!.emplid)).toMatchObject({ event: 'transfer' });
    const others = full.filter((a) => a.externalId !== renamed && a.action === 'update' && a.event === undefined && a.externalId !== day.rehire?.emplid);
    expect(others.length).toBeGreaterThan(50);
    expect(others.filter((a) => a.cause !== 'mapping').map((a) => a.externalId)).toEqual([]);
    expect(full.filter((a) => a.event === 'hire').map((a) => a.externalId).sort()).toEqual(day.hires.map((h) => h.emplid).sort());

    // And in words: the headline counts the events, and the rename is not a hire.
    const text = (await cli(['plan', '--mapping', 'employees-to-contacts'])).stdout;
    expect(text.split('\n')[0]).toMatch(/^Plan: 2 hires, .*by the mapping change → /);
    expect(text).toMatch(new RegExp(`~ ${renamed}  update \\(changed in PeopleSoft\\)`));
  }, 120_000);
});
