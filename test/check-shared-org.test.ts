/**
 * `check` reports two Zoho connection names that reach one organisation (same org id): an error
 * when mappings write one module through both (validation cannot prove them apart), else a warning.
 * The built CLI against both simulators, and the rule on its own.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mapping } from '../src/config/types.generated.js';
import type { CheckResult } from '../src/model/index.js';
import { startPeopleSoftSimulator, startZohoSimulator, type PeopleSoftSimulator, type ZohoSimulator } from '../src/sim/index.js';
import { checkSharedOrgs } from '../src/zoho/shared-org.js';

const BIN = join(process.cwd(), 'bin', 'ml-connector.js');
let zoho: ZohoSimulator;
let ps: PeopleSoftSimulator;
let dir: string;

beforeAll(async () => {
  zoho = await startZohoSimulator();
  ps = await startPeopleSoftSimulator();
  dir = mkdtempSync(join(tmpdir(), 'ml-shared-org-'));
  cpSync('configs', join(dir, 'configs'), { recursive: true });
  // The sales team's own connection name for the same org, and a mapping into Contacts through it.
  const zohoYaml = readFileSync(join(dir, 'configs', 'connections', 'zoho.yaml'), 'utf8');
  writeFileSync(join(dir, 'configs', 'connections', 'zoho-sales.yaml'), zohoYaml.replace('name: zoho\n', 'name: zoho-sales\n'));
  writeFileSync(join(dir, 'configs', 'mappings', 'board.yaml'), [
    'apiVersion: ml-connector/v1', 'kind: Mapping', 'name: board-members',
    'source:', '  static:', '    - { key: "B1", fields: { LAST_NAME: Okafor } }',
    'target: { connection: zoho-sales, module: Contacts }', 'externalId: { field: PeopleSoft_Employee_ID }',
    'fields:', '  - { to: Last_Name, from: LAST_NAME }', 'onRemove: ignore', '',
  ].join('\n'));
});
afterAll(async () => {
  await zoho?.close();
  await ps?.close();
  rmSync(dir, { recursive: true, force: true });
});

function check(): Promise<{ code: number | null; stdout: string }> {
  const env = {
    ...process.env, NO_COLOR: '1', PS_HCM_URL: ps.url, PS_HCM_PASSWORD: ps.credentials.password, PS_FSCM_URL: ps.url, PS_FSCM_PASSWORD: ps.credentials.password,
    ZOHO_ACCOUNTS_URL: zoho.accountsUrl, ZOHO_API_URL: zoho.apiDomain, ZOHO_CLIENT_ID: zoho.credentials.clientId,
    ZOHO_CLIENT_SECRET: zoho.credentials.clientSecret, ZOHO_REFRESH_TOKEN: zoho.credentials.refreshToken, ML_CONNECTOR_STATE: join(dir, 'state.db'),
  };
  const child = spawn(process.execPath, [BIN, 'check', '--config', join(dir, 'configs'), '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout })));
}

describe('check: one Zoho org behind two connection names', () => {
  it('is an error when mappings write one module through both, naming them', async () => {
    const r = await check();
    const out = JSON.parse(r.stdout) as { ok: boolean; results: CheckResult[] };
    const shared = out.results.find((x) => x.target === 'zoho+zoho-sales/org');
    expect(shared).toMatchObject({
      status: 'error',
      summary: `connections zoho and zoho-sales reach the same Zoho organisation (id ${zoho.credentials.orgId}), and mappings write Contacts through both`,
      details: { orgId: zoho.credentials.orgId, connections: ['zoho', 'zoho-sales'] },
    });
    expect(shared!.diagnosis).toContain('board-members (zoho-sales)');
    expect(shared!.diagnosis).toContain('employees-to-contacts (zoho)');
    expect(r.code).toBe(1);
  }, 60_000);

  const org = (conn: string, orgId: string): CheckResult => ({ target: `${conn}/org`, status: 'ok', summary: '', details: { orgId } });
  const mapping = (name: string, connection: string, module: 'Contacts' | 'Accounts'): Mapping => ({
    apiVersion: 'ml-connector/v1', kind: 'Mapping', name, source: { static: [{ key: 'K', fields: {} }] },
    target: { connection, module }, externalId: { field: 'X' }, fields: [{ to: 'Last_Name', value: 'x' }],
  });

  it.each([
    ['one connection per org', [org('a', '1'), org('b', '2')], [mapping('m', 'a', 'Contacts'), mapping('n', 'b', 'Contacts')], []],
    ['two names, different modules: a warning', [org('a', '1'), org('b', '1')], [mapping('m', 'a', 'Contacts'), mapping('n', 'b', 'Accounts')], ['warning']],
    ['two names, one module: an error', [org('a', '1'), org('b', '1')], [mapping('m', 'a', 'Contacts'), mapping('n', 'b', 'Contacts')], ['error']],
    ['a failed org check proves nothing', [org('a', '1'), { ...org('b', '1'), status: 'error' as const }], [], []],
  ])('%s', (_what, results, mappings, statuses) => {
    expect(checkSharedOrgs(results, mappings).map((r) => r.status)).toEqual(statuses);
  });
});
