import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedSystems, type SimulatedSystems } from './simulated-systems.js';

/** Discovery: `fields`, "did you mean" in `check`, and `check --create-fields` on a fresh Zoho org. */
const BIN = join(process.cwd(), 'bin', 'ml-connector.js');

/** The built CLI in a subprocess (asynchronously: the simulators answer from this process). */
function cli(sys: SimulatedSystems, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...sys.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('fields and check against a configured org', async () => {
  let dir: string;
  let sys: SimulatedSystems;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ml-fields-'));
    sys = await startSimulatedSystems(dir);
  });
  afterAll(async () => {
    await sys.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fields zoho lists API names, types, lengths, picklist values and unique/external, as text and JSON', async () => {
    const text = await cli(sys, ['fields', 'zoho', 'Contacts', '-c', sys.configDir]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^PeopleSoft_Employee_ID\s+text\s+20\s+external, custom/m);
    expect(text.stdout).toMatch(/^Employment_Status\s+picklist\s+\d+\s+custom\s+Active \| On Leave \| Terminated \| Retired$/m);
    const json = await cli(sys, ['fields', 'zoho', 'Contacts', '-c', sys.configDir, '--json']);
    const body = JSON.parse(json.stdout) as { module: string; fields: Array<{ apiName: string; dataType: string; unique: boolean; external: boolean; picklist?: string[] }> };
    expect(body.module).toBe('Contacts');
    expect(body.fields.find((f) => f.apiName === 'PeopleSoft_Employee_ID')).toMatchObject({ dataType: 'text', unique: true, external: true });
    const wrong = await cli(sys, ['fields', 'zoho', 'contacts', '-c', sys.configDir]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('Zoho has no module "contacts" (did you mean "Contacts"?)');
  });

  it('fields peoplesoft shows a reader\'s columns and kinds, never a value', async () => {
    const r = await cli(sys, ['fields', 'peoplesoft', '--reader', 'employees', '-c', sys.configDir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as { connection: string; kind: string; columns: Array<{ name: string; kind: string; canonical?: string }>; missing: string[]; sourceFields: string[] };
    expect(d).toMatchObject({ connection: 'peoplesoft-hcm', kind: 'qas', missing: [] });
    expect(d.columns.find((c) => c.name === 'LASTUPDDTTM')).toMatchObject({ kind: 'datetime', canonical: 'LASTUPDDTTM' });
    expect(d.sourceFields).toContain('HIRE_DT');
    for (const e of sys.ps.data.employees.slice(0, 20)) expect(r.stdout).not.toContain(`"${e.LAST_NAME}"`);
  });

  it('check says "did you mean" for a mistyped Zoho field name', async () => {
    const mapping = join(sys.configDir, 'mappings', 'employees-to-contacts.yaml');
    const original = readFileSync(mapping, 'utf8');
    writeFileSync(mapping, original.replace('to: Department,', 'to: Departmnt,').replace('to: Hire_Date,', 'to: hire_date,'));
    try {
      const r = await cli(sys, ['check', '-c', sys.configDir, '--connection', 'zoho']);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/employees-to-contacts\.yaml:\d+:\d+: mapping employees-to-contacts: Contacts has no field "Departmnt" \(did you mean "Department"\?\)/);
      expect(r.stdout).toContain('Contacts has no field "hire_date" (API names are case-sensitive: did you mean "Hire_Date"?)');
      // A typo is not a field to create.
      expect(r.stdout).not.toContain('[ ] Contacts: "Departmnt"');
    } finally {
      writeFileSync(mapping, original);
    }
  });
});

describe('check --create-fields on a fresh Zoho org', async () => {
  let dir: string;
  let sys: SimulatedSystems;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ml-fields-fresh-'));
    sys = await startSimulatedSystems(dir, { zoho: { customFields: false } });
  });
  afterAll(async () => {
    await sys.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the missing custom fields as a checklist, creates them through the field API, and apply then writes them', async () => {
    const before = await cli(sys, ['check', '-c', sys.configDir, '--connection', 'zoho']);
    expect(before.code).toBe(1);
    expect(before.stdout).toContain('[ ] Contacts: "PeopleSoft Employee ID" (API name PeopleSoft_Employee_ID): Single Line, 50 characters, Do not allow duplicate values');
    expect(before.stdout).toContain('[ ] Contacts: "Employment Status" (API name Employment_Status): Pick List (Active, On Leave, Terminated, Retired)');
    expect(before.stdout).toContain('[ ] Contacts: "Hire Date" (API name Hire_Date): date');
    expect(before.stdout).toContain('[ ] Accounts: "Vendor Status" (API name Vendor_Status): Pick List (Approved, Denied, Unapproved, Inactive, To Be Archived)');

    const created = await cli(sys, ['check', '-c', sys.configDir, '--connection', 'zoho', '--create-fields', '--json']);
    expect(created.code, created.stdout).toBe(0);
    const results = (JSON.parse(created.stdout) as { results: Array<{ target: string; status: string; summary: string }> }).results;
    expect(results.find((r) => r.target === 'zoho/Contacts fields')).toMatchObject({ status: 'ok', summary: "4 of 4 custom fields created: PeopleSoft_Employee_ID, Employee_Type, Employment_Status, Hire_Date" });
    expect(results.find((r) => r.target === 'zoho/Accounts fields')?.status).toBe('ok');
    const ext = sys.zoho.records('Contacts');
    expect(ext).toHaveLength(0);

    const again = await cli(sys, ['check', '-c', sys.configDir, '--connection', 'zoho', '--create-fields']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('every field the mappings write exists; nothing to create');

    const apply = await cli(sys, ['apply', '--config', sys.configDir, '--auto-approve', '--allow-dirty']);
    expect(apply.code, apply.stderr).toBe(0);
    const contact = sys.zoho.records('Contacts')[0]!;
    expect(contact.PeopleSoft_Employee_ID).toMatch(/^\w+$/);
    expect(['Active', 'On Leave', 'Terminated', 'Retired']).toContain(contact.Employment_Status);
  }, 120_000);
});
