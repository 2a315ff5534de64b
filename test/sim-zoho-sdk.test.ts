import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startZohoSimulator, type ZohoSimulator } from '../src/sim/zoho/index.js';

/**
 * Fidelity: Zoho's official TypeScript SDK, unmodified, against the simulator. The SDK keeps a
 * process-global Initializer and writes a field cache under its resource path, so it runs in a
 * child process with a temp dir. The script prints one JSON line of what it saw.
 */

const SCRIPT = String.raw`
import Z from '@zohocrm/typescript-sdk-8.0';
const [base, clientId, clientSecret, refreshToken, dir, findUser] = process.argv.slice(1);
const out = {};
try {
  const env = new Z.Environment(base, base + '/oauth/v2/token', base);
  const token = new Z.OAuthBuilder().clientId(clientId).clientSecret(clientSecret).refreshToken(refreshToken).findUser(findUser === 'true').build();
  await new Z.InitializeBuilder().environment(env).token(token)
    .store(new Z.FileStore(dir + '/tokens.txt')).resourcePath(dir)
    .SDKConfig(new Z.SDKConfigBuilder().autoRefreshFields(false).pickListValidation(false).build())
    .logger(new Z.LogBuilder().level(Z.Levels.INFO).filePath(dir + '/sdk.log').build())
    .initialize();
  const R = Z.Record;
  const ops = new R.RecordOperations('Contacts');
  const upsert = async (rows) => {
    const body = new R.BodyWrapper();
    body.setData(rows.map((row) => {
      const r = new R.Record();
      r.addFieldValue(R.Field.Contacts.LAST_NAME, row.last);
      r.addFieldValue(R.Field.Contacts.EMAIL, row.email);
      r.addKeyValue('PeopleSoft_Employee_ID', row.emplid);
      if (row.title) r.addKeyValue('Title', row.title);
      return r;
    }));
    body.setDuplicateCheckFields(['PeopleSoft_Employee_ID']);
    const res = await ops.upsertRecords(body, new Z.HeaderMap());
    const w = res.getObject();
    out.upsertStatus = (out.upsertStatus || []).concat(res.getStatusCode());
    return w.getData().map((d) => ({
      kind: d.constructor.name,
      code: d.getCode().getValue(),
      message: d.getMessage()?.getValue ? d.getMessage().getValue() : d.getMessage(),
      id: String(d.getDetails().get('id')),
      action: d.getAction ? (d.getAction() && d.getAction().getValue ? d.getAction().getValue() : d.getAction()) : undefined,
      duplicateField: d.getDuplicateField ? d.getDuplicateField() : undefined,
    }));
  };
  out.first = await upsert([
    { last: 'Lovelace', email: 'ada@example.com', emplid: 'E1001' },
    { last: 'Hopper', email: 'grace@example.com', emplid: 'E1002' },
  ]);
  const p = new Z.ParameterMap();
  await p.add(R.GetRecordsParam.FIELDS, 'Last_Name,Email,PeopleSoft_Employee_ID,Title');
  await p.add(R.GetRecordsParam.IDS, out.first.map((r) => r.id).join(','));
  const list = await ops.getRecords(p, new Z.HeaderMap());
  out.listStatus = list.getStatusCode();
  out.list = list.getObject().getData().map((r) => ({ id: String(r.getId()), last: r.getKeyValue('Last_Name'), ext: r.getKeyValue('PeopleSoft_Employee_ID') }));
  out.second = await upsert([{ last: 'Lovelace', email: 'ada@example.com', emplid: 'E1001', title: 'Analyst' }]);
  const one = await ops.getRecord(BigInt(out.first[0].id), new Z.ParameterMap(), new Z.HeaderMap());
  const rec = one.getObject().getData()[0];
  out.one = { id: String(rec.getId()), title: rec.getKeyValue('Title'), modifiedTime: rec.getKeyValue('Modified_Time') instanceof Date, owner: String(rec.getKeyValue('Owner')?.getId?.()) };
} catch (err) {
  out.error = String(err && (err.message || err.code) || err) + ' ' + JSON.stringify(err && err.details ? Object.fromEntries(err.details) : null);
}
process.stdout.write(JSON.stringify(out) + '\n');
`;

function runSdk(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT, ...args], { cwd: process.cwd() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('official Zoho TypeScript SDK against the simulator', () => {
  let sim: ZohoSimulator;
  let dir: string;
  beforeAll(async () => {
    sim = await startZohoSimulator();
    dir = await mkdtemp(join(tmpdir(), 'zoho-sdk-'));
  });
  afterAll(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('initialises with a refresh token, upserts by the external id, lists, gets, and sees the update', async () => {
    const c = sim.credentials;
    const run = await runSdk([sim.url, c.clientId, c.clientSecret, c.refreshToken, dir, 'true']);
    const line = run.stdout.trim().split('\n').pop() ?? '';
    const out = JSON.parse(line) as Record<string, any>;
    expect(out.error, run.stderr).toBeUndefined();

    expect(out.first).toHaveLength(2);
    for (const r of out.first) {
      expect(r).toMatchObject({ code: 'SUCCESS', message: 'record added', action: 'insert' });
      expect(r.id).toMatch(/^\d{19}$/);
    }
    expect(out.listStatus).toBe(200);
    expect(out.list.map((r: any) => r.ext).sort()).toEqual(['E1001', 'E1002']);
    expect(out.second[0]).toMatchObject({ code: 'SUCCESS', message: 'record updated', action: 'update', duplicateField: 'PeopleSoft_Employee_ID', id: out.first[0].id });
    expect(out.one).toMatchObject({ id: out.first[0].id, title: 'Analyst', modifiedTime: true });

    // The SDK's request sequence with findUser(true) (reference §7), and nothing the simulator did not expect.
    const kinds = sim.requests.entries.map((e) => e.kind);
    expect(kinds.slice(0, 3)).toEqual(['token', 'users', 'org']);
    expect(kinds).toContain('fields');
    expect(sim.requests.count({ kind: 'upsert', status: 200 })).toBe(2);
    expect(sim.requests.count({ kind: 'list', status: 200 })).toBe(1);
    expect(sim.requests.count({ kind: 'get', status: 200 })).toBe(1);
    expect(sim.requests.entries.filter((e) => e.status >= 400)).toEqual([]);
    expect(sim.records('Contacts')).toHaveLength(2);
  });
});
