/**
 * `ml-connector adopt` as a user runs it: the built CLI in a subprocess, the example configuration,
 * the Zoho simulator holding the firm's hand-made records over real HTTP, a real state file.
 * A pairing is checked with Zoho (exists, no other external id, nobody else holds this one),
 * stored with its audit row under a run of kind adopt, listed and removed.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatorEnv } from '../src/demo/env.js';
import { firmHandMadeRecords, generateDataset, startZohoSimulator, type ZohoSimulator } from '../src/sim/index.js';
import { openStateStore } from '../src/state/index.js';

const BIN = join(process.cwd(), 'bin', 'ml-connector.js');
let dir: string;
let configDir: string;
let zoho: ZohoSimulator;
let env: Record<string, string>;
const org = firmHandMadeRecords(generateDataset({ preset: 'firm', seed: 1, asOf: '2026-03-02' }));
let ids: Record<string, string[]>;
const idOf = (module: 'Contacts' | 'Accounts', kase: string): string => ids[module]![org.notes.find((n) => n.module === module && n.case === kase)!.index]!;

interface Run { code: number | null; stdout: string; stderr: string }
function cli(args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [BIN, 'adopt', ...args, '--config', configDir], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
function run(command: string, args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [BIN, command, ...args, '--config', configDir], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr: '' })));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ml-adopt-'));
  configDir = join(dir, 'configs');
  cpSync('configs', configDir, { recursive: true });
  zoho = await startZohoSimulator({ handMade: org.records });
  ids = zoho.addHandMade({
    Contacts: [
      { First_Name: 'Linked', Last_Name: 'Already', PeopleSoft_Employee_ID: '100042' },
      { First_Name: 'Held', Last_Name: 'Elsewhere', PeopleSoft_Employee_ID: '100099' },
    ],
    Accounts: [{ Account_Name: 'Meridian & Lowe Partners - Old Audit', PeopleSoft_Department_ID: 'SHARE-19000' }],
  });
  const handMade = zoho.records('Contacts').filter((r) => (r.Created_By as { id: string }).id === '5725767000000411017');
  // The story's records came first, in order: put their ids under the same keys.
  ids = {
    Contacts: [...handMade.slice(0, org.records.Contacts!.length).map((r) => String(r.id)), ...ids.Contacts!],
    Accounts: [...zoho.records('Accounts').slice(0, org.records.Accounts!.length).map((r) => String(r.id)), ...ids.Accounts!],
  };
  env = simulatorEnv({
    zoho: { url: zoho.url, accountsUrl: zoho.accountsUrl, clientId: zoho.credentials.clientId, clientSecret: zoho.credentials.clientSecret, refreshToken: zoho.credentials.refreshToken },
    peoplesoft: { url: 'http://127.0.0.1:9', node: 'PSFT_HR', fscmNode: 'PSFT_EP', username: 'ML_SYNC', password: 'unused' },
  }, join(dir, 'state.db'));
  // With a master key the access token is kept in the state between runs: one token request for
  // the whole file, far from Zoho's ten per ten minutes.
  env.ML_CONNECTOR_MASTER_KEY = Buffer.alloc(32, 7).toString('base64');
});

afterAll(async () => {
  await zoho?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ml-connector adopt (built CLI)', () => {
  it('pairs a hand-made contact with an employee: checked with Zoho in two calls, stored, audited', async () => {
    const zohoId = idOf('Contacts', 'name-phone');
    const emplid = org.notes.find((n) => n.case === 'name-phone')!.sourceKey!;
    zoho.requests.clear();
    const r = await cli(['--mapping', 'employees-to-contacts', emplid, zohoId]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Paired employees-to-contacts ${emplid} with Contacts record ${zohoId}`);
    expect(r.stdout).toContain('The next plan shows it as adopt (rule explicit)');
    expect([zoho.requests.count({ kind: 'get' }), zoho.requests.count({ kind: 'search' })]).toEqual([1, 1]);
    // Nothing was written to Zoho: a pairing is a note for the next plan.
    expect(zoho.records('Contacts').find((c) => c.id === zohoId)?.PeopleSoft_Employee_ID).toBeNull();

    const store = await openStateStore(join(dir, 'state.db'));
    try {
      const pairing = (await store.getPairings('employees-to-contacts', [emplid])).get(emplid);
      expect(pairing).toMatchObject({ module: 'Contacts', zohoId, runId: expect.any(String) });
      expect(await store.getRun(pairing!.runId!)).toMatchObject({ kind: 'adopt', status: 'succeeded', mappings: ['employees-to-contacts'], counts: { pair: 1 } });
    } finally {
      await store.close();
    }
    const audit = JSON.parse((await run('audit', ['--json'])).stdout) as Array<Record<string, unknown>>;
    expect(audit).toEqual([expect.objectContaining({ mapping: 'employees-to-contacts', externalId: emplid, zohoId, action: 'pair', outcome: 'applied', fields: ['PeopleSoft_Employee_ID'] })]);
  });

  it('refuses a Zoho record already paired with another source record', async () => {
    const r = await cli(['--mapping', 'employees-to-contacts', '100077', idOf('Contacts', 'name-phone')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[STATE_PAIRING_CONFLICT]');
    expect(r.stderr).toContain('adopt --mapping employees-to-contacts --remove');
  });

  it.each([
    ['a record carrying a foreign external id', () => ['employees-to-contacts', '100004', idOf('Contacts', 'foreign-id')], 'ADOPT_FOREIGN_ID', /already carries PeopleSoft_Employee_ID 00471/],
    ["a record carrying another mapping's external id", () => ['vendors-to-accounts', 'SHARE-0000000002', ids.Accounts!.at(-1)!], 'ADOPT_FOREIGN_ID', /carries PeopleSoft_Department_ID SHARE-19000: it belongs to mapping departments-to-accounts/],
    ['an id no record has', () => ['employees-to-contacts', '100004', '5725767000000000999'], 'ADOPT_RECORD_NOT_FOUND', /There is no Contacts record 5725767000000000999 in Zoho/],
    ['something that is not a Zoho id', () => ['employees-to-contacts', '100004', 'jane-doe'], 'ADOPT_BAD_ZOHO_ID', /"jane-doe" is not a Zoho record id/],
    ['an external id another record already holds', () => ['employees-to-contacts', '100099', idOf('Contacts', 'email-case')], 'ADOPT_EXTERNAL_ID_TAKEN', /PeopleSoft_Employee_ID 100099 is already on Contacts record/],
    ['an unknown mapping', () => ['employee-to-contacts', '100004', idOf('Contacts', 'email-case')], 'CONFIG_UNKNOWN_MAPPING', /no mapping named 'employee-to-contacts'/],
  ])('refuses %s, with a coded error that says what to do', async (_what, args, code, message) => {
    const [mapping, ext, id] = args();
    const r = await cli(['--mapping', mapping!, ext!, id!]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`[${code}]`);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain('    at ');
  });

  it('a record that already carries this external id needs no pairing', async () => {
    const r = await cli(['--mapping', 'employees-to-contacts', '100042', ids.Contacts!.at(-2)!, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ paired: false, alreadyLinked: true });
    const list = JSON.parse((await cli(['--list', '--json'])).stdout) as { pairings: Array<{ externalId: string }> };
    expect(list.pairings.map((p) => p.externalId)).not.toContain('100042');
  });

  it('lists the pairings, and removes one (audited)', async () => {
    const emplid = org.notes.find((n) => n.case === 'name-phone')!.sourceKey!;
    const listed = await cli(['--list']);
    expect(listed.stdout).toMatch(new RegExp(`employees-to-contacts\\s+${emplid}\\s+→ Contacts \\d+`));
    const removed = await cli(['--mapping', 'employees-to-contacts', '--remove', emplid, '100001']);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain(`Removed the pairing of employees-to-contacts ${emplid}`);
    expect(removed.stdout).toContain('employees-to-contacts 100001 had no pairing.');
    expect(JSON.parse((await cli(['--list', '--json'])).stdout)).toEqual({ pairings: [] });
    const audit = JSON.parse((await run('audit', ['--json'])).stdout) as Array<{ action: string }>;
    expect(audit.map((a) => a.action)).toEqual(['pair', 'unpair']);
    // Since the first test cleared the log: its run asked for the token, every later run used the kept one.
    expect(zoho.requests.count({ kind: 'token' })).toBe(1);
  });
});
