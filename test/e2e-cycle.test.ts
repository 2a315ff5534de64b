import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReconcile, type ReconcileRequest } from '../src/engine/run.js';
import { openSession, type Session } from '../src/engine/session.js';
import type { RunOutcome } from '../src/engine/outcome.js';
import { loadValidConfig, type Config } from '../src/config/index.js';
import { simulatorEnv } from '../src/demo/env.js';
import { savePlan, type PlanAction, type PlanEntry, type PlanHeader } from '../src/plan/index.js';
import { generateDataset } from '../src/sim/dataset/generate.js';
import { toPsDateTime } from '../src/sim/dataset/index.js';
import { startPeopleSoftSimulator, type PeopleSoftSimulator } from '../src/sim/peoplesoft/index.js';
import { startZohoSimulator, type ZohoSimulator } from '../src/sim/zoho/index.js';
import { openStateStore, type StateStore } from '../src/state/index.js';
import { OffsetClock } from '../src/support/clock.js';

/**
 * The whole reconcile cycle against both simulators over real HTTP, with a real SQLite state file:
 * initial sync, no-op rerun, an HR day two, drift, a saved plan against a record edited in Zoho,
 * a rebuild from an empty state, and a truncated extract stopped by the guards.
 */
let dir: string;
let clock: OffsetClock;
let ps: PeopleSoftSimulator;
let zoho: ZohoSimulator;
let env: Record<string, string>;
let config: Config;
let store: StateStore;
let session: Session;

const writes = (): number => zoho.requests.count({ kind: 'upsert' }) + zoho.requests.count({ kind: 'delete' }) + zoho.requests.count({ kind: 'update' }) + zoho.requests.count({ kind: 'insert' });
interface Planned { header: PlanHeader; entries: PlanEntry[]; file?: string }
const actionsOf = (plan: Planned, mapping: string): PlanAction[] => plan.entries.filter((e): e is PlanEntry & { t: 'action' } => e.t === 'action' && e.mapping === mapping);
/** A plan (nothing written), its body collected; saved to a file when asked. */
async function makePlan(s: Session, o: Partial<ReconcileRequest> & { file?: string } = {}): Promise<Planned> {
  let planned: Planned | undefined;
  const outcome = await runReconcile(s, {
    ...o, apply: false, trigger: 'test', holder: 'test',
    onPlan: async (view) => {
      const entries: PlanEntry[] = [];
      for await (const e of view.entries()) entries.push(e);
      if (o.file) await savePlan(view, o.file);
      planned = { header: view.header, entries, ...(o.file ? { file: o.file } : {}) };
    },
  });
  if (outcome.error) throw Object.assign(new Error(outcome.error.message), outcome.error);
  return planned!;
}
/** Plan and apply in one run (what `apply --auto-approve` does), or apply a saved plan file. */
function apply(s: Session, o: Partial<ReconcileRequest> = {}): Promise<RunOutcome> {
  return runReconcile(s, { ...o, apply: true, trigger: 'test', holder: 'test' });
}
const applied = (r: RunOutcome): number => r.mappings.reduce((n, m) => n + Object.values(m.applied).reduce((k: number, x) => k + (x ?? 0), 0), 0);
const byName = (r: RunOutcome, name: string) => r.mappings.find((m) => m.name === name)!;
let fileNo = 0;
const planFile = (): string => join(dir, `plan-${++fileNo}.json`);
const contactByEmplid = (emplid: string) => zoho.records('Contacts').find((r) => r.PeopleSoft_Employee_ID === emplid);

/**
 * The example configuration, with PeopleSoft's server time zone set to UTC: the simulator stamps
 * LASTUPDDTTM and effective dates in UTC (docs/simulators.md), the firm's real servers run in Chicago.
 */
function copyConfigs(into: string): string {
  const target = join(into, 'configs');
  cpSync('configs', target, { recursive: true });
  for (const file of [join(target, 'project.yaml'), ...readdirSync(join(target, 'connections')).map((f) => join(target, 'connections', f))]) {
    writeFileSync(file, readFileSync(file, 'utf8').replace(/(serverTimezone|timezone): America\/Chicago/g, '$1: UTC'));
  }
  return target;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ml-e2e-'));
  clock = new OffsetClock();
  ps = await startPeopleSoftSimulator({ clock, dataset: generateDataset({ employees: 120, vendors: 60, seed: 2, asOf: new Date(clock.now()).toISOString().slice(0, 10) }) });
  zoho = await startZohoSimulator({ clock });
  env = simulatorEnv({
    zoho: { url: zoho.url, accountsUrl: zoho.accountsUrl, clientId: zoho.credentials.clientId, clientSecret: zoho.credentials.clientSecret, refreshToken: zoho.credentials.refreshToken },
    peoplesoft: { url: ps.url, node: ps.nodes.hcm, fscmNode: ps.nodes.fscm, username: ps.credentials.username, password: ps.credentials.password },
  }, join(dir, 'state.db'));
  config = await loadValidConfig(copyConfigs(dir), { env });
  store = await openStateStore(join(dir, 'state.db'));
  session = openSession({ config, store, clock, env });
});

afterAll(async () => {
  await session?.close();
  await store?.close();
  await zoho?.close();
  await ps?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('reconcile cycle', () => {
  it('initial sync creates every account and contact, accounts first, in batches of at most 100', async () => {
    const plan = await makePlan(session);
    // Each contacts mapping after the accounts it points at: contractors → vendors, employees → departments.
    expect(plan.header.mappings.map((m) => m.name)).toEqual(['vendors-to-accounts', 'contractors-to-contacts', 'departments-to-accounts', 'employees-to-contacts']);
    expect(plan.header.mappings.every((m) => m.mode === 'full')).toBe(true);
    const s = plan.header.summary;
    expect(s.update + s.deactivate + s.delete).toBe(0);
    expect(plan.header.blocked).toBe(false);
    // People who left before the first sync are not created.
    expect(plan.header.mappings.find((m) => m.name === 'employees-to-contacts')!.notCreated).toBeGreaterThan(0);
    const before = zoho.requests.count({ kind: 'upsert' });
    const report = await apply(session);
    expect(report.failures).toEqual([]);
    expect(report.status).toBe('succeeded');
    const accounts = actionsOf(plan, 'vendors-to-accounts').length;
    const departments = actionsOf(plan, 'departments-to-accounts').length;
    const employees = actionsOf(plan, 'employees-to-contacts').length;
    const contractors = actionsOf(plan, 'contractors-to-contacts').length;
    expect(employees + contractors).toBeGreaterThan(90);
    expect(departments).toBeGreaterThanOrEqual(12); // a closed department is not created
    expect(zoho.requests.count({ kind: 'upsert' }) - before).toBe(plan.header.mappings.reduce((n, m) => n + m.cost.calls.upsert, 0));
    expect(zoho.records('Accounts').filter((r) => r.PeopleSoft_Vendor_ID)).toHaveLength(accounts);
    expect(zoho.records('Accounts').filter((r) => r.PeopleSoft_Department_ID)).toHaveLength(departments);
    expect(zoho.records('Contacts').filter((r) => r.PeopleSoft_Employee_ID)).toHaveLength(employees + contractors);
    expect(zoho.records('Contacts').some((r) => r.Employment_Status === 'Terminated')).toBe(false);
    // A contractor points at its vendor's account.
    const cwr = zoho.records('Contacts').find((r) => r.Employee_Type === 'Contractor' && r.Account_Name);
    expect(cwr).toBeDefined();
    const emp = zoho.records('Contacts').find((r) => r.Employee_Type === 'Employee' && r.Department)!;
    expect((emp.Account_Name as { name: string }).name).toBe(`Meridian & Lowe Partners - ${String(emp.Department)}`);
  });

  it('a rerun with nothing changed plans nothing and writes nothing, with at most 2 Zoho reads per module', async () => {
    const plan = await makePlan(session);
    expect(plan.header.mappings.every((m) => m.mode === 'incremental')).toBe(true);
    expect(plan.header.summary.changes).toBe(0);
    const before = writes();
    const reads = zoho.requests.entries.filter((e) => e.kind !== 'token').length;
    const report = await apply(session);
    expect(report.status).toBe('succeeded');
    expect(writes() - before).toBe(0);
    expect(zoho.requests.entries.filter((e) => e.kind !== 'token').length - reads).toBeLessThanOrEqual(2 * 4);
  });

  it('day two: exactly the HR and vendor events, labelled', async () => {
    const day = ps.scenario.nextDay();
    const plan = await makePlan(session);
    const contacts = actionsOf(plan, 'employees-to-contacts');
    const byId = new Map(contacts.map((a) => [a.externalId, a]));
    for (const h of day.hires) expect(byId.get(h.emplid)).toMatchObject({ action: 'create', event: 'hire' });
    // The rehired person left before the first sync (never created): the rehire creates them.
    const rehired = contactByEmplid(day.rehire!.emplid);
    expect(byId.get(day.rehire!.emplid)).toMatchObject({ action: rehired ? 'reactivate' : 'create', event: 'rehire' });
    expect(byId.get(day.termination!.emplid)).toMatchObject({ action: 'deactivate', event: 'termination' });
    expect(byId.get(day.transfer!.emplid)).toMatchObject({ action: 'update', event: 'transfer' });
    expect(byId.get(day.transfer!.emplid)!.changes.map((c) => c.field)).toContain('Department');
    expect(contacts).toHaveLength(5);
    const vendorKey = `${day.vendorAddressChange!.setid}-${day.vendorAddressChange!.vendorId}`;
    const accounts = actionsOf(plan, 'vendors-to-accounts');
    expect(accounts).toEqual([expect.objectContaining({ externalId: vendorKey, action: 'update' })]);
    expect(accounts[0]!.changes.map((c) => c.field)).toContain('Billing_Street');

    const report = await apply(session);
    expect(report.status).toBe('succeeded');
    expect(contactByEmplid(day.rehire!.emplid)).toMatchObject({ ...(rehired ? { id: rehired.id } : {}), Employment_Status: 'Active' });
    expect(contactByEmplid(day.termination!.emplid)).toMatchObject({ Employment_Status: 'Terminated' });
    expect((await makePlan(session)).header.summary.changes).toBe(0);
  });

  it('drift: a managed field changed in Zoho is labelled and overwritten', async () => {
    const rec = zoho.records('Contacts').find((r) => r.Department && r.Employee_Type === 'Employee')!;
    zoho.editRecord('Contacts', String(rec.id), { Department: 'Edited In Zoho' }, 'user');
    const plan = await makePlan(session);
    expect(actionsOf(plan, 'employees-to-contacts')).toEqual([
      expect.objectContaining({ action: 'update', cause: 'drift', changes: [{ field: 'Department', before: 'Edited In Zoho', after: rec.Department, drift: true }] }),
    ]);
    await apply(session);
    expect(zoho.records('Contacts').find((r) => r.id === rec.id)!.Department).toBe(rec.Department);
  });

  it('a saved plan skips the record a Zoho user edited after planning and applies the rest', async () => {
    ps.scenario.nextDay();
    const plan = await makePlan(session, { file: planFile() });
    const touched = actionsOf(plan, 'employees-to-contacts').filter((a) => a.zohoId);
    expect(touched.length).toBeGreaterThan(1);
    const victim = touched[0]!;
    zoho.editRecord('Contacts', victim.zohoId!, { Title: 'Edited after planning' }, 'user');
    const report = await apply(session, { planFile: plan.file! });
    expect(report.status).toBe('partial');
    expect(report.failures).toEqual([expect.objectContaining({ externalId: victim.externalId, outcome: 'skipped', code: 'RECORD_CHANGED_SINCE_PLAN' })]);
    expect(applied(report)).toBe(plan.header.summary.changes - 1);
    // The skipped record is planned again next run (the watermark did not move past it).
    const next = await makePlan(session);
    expect(actionsOf(next, 'employees-to-contacts').map((a) => a.externalId)).toContain(victim.externalId);
    expect((await apply(session)).status).toBe('succeeded');
  });

  it('a failed batch is reported and audited, the rest applies, and the next run retries it', async () => {
    ps.scenario.nextDay();
    const plan = await makePlan(session);
    const contactIds = actionsOf(plan, 'employees-to-contacts').map((a) => a.externalId);
    expect(contactIds.length).toBeGreaterThan(0);
    zoho.inject({ at: { kind: 'upsert', module: 'Contacts' }, status: 400 });
    const report = await apply(session);
    expect(report.status).toBe('partial');
    expect(report.failures.map((p) => p.externalId).sort()).toEqual([...contactIds].sort());
    expect(report.failures.every((p) => p.outcome === 'failed' && p.code)).toBe(true);
    expect(byName(report, 'vendors-to-accounts')).toMatchObject({ failed: 0, watermarkAdvanced: true });
    expect(byName(report, 'employees-to-contacts')).toMatchObject({ applied: {}, watermarkAdvanced: false });
    const audit = await store.queryAudit({ runId: report.runId, outcome: 'failed' });
    expect(audit.map((a) => a.externalId).sort()).toEqual([...contactIds].sort());
    const retry = await makePlan(session);
    expect(actionsOf(retry, 'employees-to-contacts').map((a) => a.externalId).sort()).toEqual([...contactIds].sort());
    expect((await apply(session)).status).toBe('succeeded');
  });

  it('a changed configuration makes a saved plan refuse', async () => {
    const plan = await makePlan(session, { file: planFile() });
    writeFileSync(plan.file!, readFileSync(plan.file!, 'utf8').replace(plan.header.configDigest, 'sha256-other'));
    const report = await apply(session, { planFile: plan.file! });
    expect(report).toMatchObject({ status: 'failed', error: { code: 'PLAN_CONFIG_CHANGED' } });
  });

  it('plans are byte-identical for the same inputs', async () => {
    const now = clock.now();
    const a = await makePlan(session, { full: true, now, file: planFile() });
    const b = await makePlan(session, { full: true, now, file: planFile() });
    expect(readFileSync(b.file!, 'utf8')).toBe(readFileSync(a.file!, 'utf8'));
  });

  it('rebuild: an empty state re-links Zoho records by external id and gives the same plan', async () => {
    ps.scenario.nextDay();
    const now = clock.now();
    const withState = await makePlan(session, { full: true, now });
    const emptyStore = await openStateStore(join(dir, 'empty.db'));
    const fresh = openSession({ config, store: emptyStore, clock, env });
    try {
      const rebuilt = await makePlan(fresh, { now });
      const strip = (p: Planned): unknown => ({
        mappings: p.header.mappings.map((m) => ({ ...m, reason: '', guards: m.guards.filter((g) => g.guard !== 'maxDrop'), watermark: undefined, events: undefined })),
        actions: p.entries.filter((e) => e.t === 'action').map((e) => ({ ...e, event: undefined, cause: undefined })),
      });
      expect(strip(rebuilt)).toEqual(strip(withState));
      expect(rebuilt.header.summary.changes).toBeGreaterThan(0);
      const report = await apply(fresh, { now });
      expect(report.status).toBe('succeeded');
      expect(report.mappings.reduce((n, m) => n + m.relinked, 0)).toBeGreaterThan(100);
      // Employees and contractors share PeopleSoft_Employee_ID: each record is re-linked by exactly one of them.
      const relinked = (await emptyStore.getLinks('employees-to-contacts')).size + (await emptyStore.getLinks('contractors-to-contacts')).size;
      expect(relinked).toBe(zoho.records('Contacts').filter((r) => r.PeopleSoft_Employee_ID).length);
      expect((await emptyStore.getLinks('contractors-to-contacts')).size).toBe(zoho.records('Contacts').filter((r) => r.Employee_Type === 'Contractor').length);
    } finally {
      await fresh.close();
      await emptyStore.close();
    }
  });

  it('an empty PeopleSoft extract is stopped by the guards before anything is written', async () => {
    ps.inject({ at: { kind: 'qas' }, zeroRows: true, times: 1 });
    const plan = await makePlan(session, { full: true, mappings: ['employees-to-contacts'] });
    const guards = plan.header.mappings[0]!.guards.filter((g) => g.tripped).map((g) => g.guard);
    expect(guards).toEqual(expect.arrayContaining(['minSourceRows', 'maxDeactivations']));
    expect(plan.header.blocked).toBe(true);
    const before = writes();
    ps.inject({ at: { kind: 'qas' }, zeroRows: true, times: 1 });
    const report = await apply(session, { full: true, mappings: ['employees-to-contacts'] });
    expect(report.status).toBe('blocked');
    expect(writes()).toBe(before);
    expect((await store.getRun(report.runId))?.status).toBe('blocked');
  });

  it('onRemove: delete deletes a vendor gone from PeopleSoft, and unlinks it', async () => {
    const mapping = config.mappings.get('vendors-to-accounts')!;
    mapping.onRemove = 'delete';
    // A vendor that is in Zoho (inactive vendors were never created).
    const at = ps.data.vendors.findLastIndex((v) => zoho.records('Accounts').some((r) => r.PeopleSoft_Vendor_ID === `${v.SETID}-${v.VENDOR_ID}`));
    const [gone] = ps.data.vendors.splice(at, 1);
    const key = `${gone!.SETID}-${gone!.VENDOR_ID}`;
    const plan = await makePlan(session, { mappings: ['vendors-to-accounts'] });
    expect(plan.header.mappings[0]!.mode).toBe('full'); // the mapping changed since its last apply
    expect(actionsOf(plan, 'vendors-to-accounts')).toEqual([expect.objectContaining({ externalId: key, action: 'delete', cause: 'removed' })]);
    const before = zoho.requests.count({ kind: 'delete' });
    expect((await apply(session, { mappings: ['vendors-to-accounts'] })).status).toBe('succeeded');
    expect(zoho.requests.count({ kind: 'delete' }) - before).toBe(1);
    expect(zoho.records('Accounts').some((r) => r.PeopleSoft_Vendor_ID === key)).toBe(false);
    expect((await store.getLinks('vendors-to-accounts')).has(key)).toBe(false);
  });

  it('drift policy keep-zoho: a Zoho edit survives later source changes to other fields', async () => {
    const mapping = config.mappings.get('employees-to-contacts')!;
    mapping.drift = 'keep-zoho';
    expect((await apply(session, { mappings: ['employees-to-contacts'] })).status).toBe('succeeded');
    const emp = ps.data.employees.find((e) => contactByEmplid(e.EMPLID)?.Department && e.emails.some((m) => m.E_ADDR_TYPE === 'BUSN'))!;
    const rec = contactByEmplid(emp.EMPLID)!;
    zoho.editRecord('Contacts', String(rec.id), { Department: 'Kept In Zoho' }, 'user');
    const kept = await makePlan(session, { mappings: ['employees-to-contacts'] });
    expect(actionsOf(kept, 'employees-to-contacts')).toEqual([]);
    await apply(session, { mappings: ['employees-to-contacts'] });
    // A later Zoho edit elsewhere moves the Zoho cursor past the first edit: from now on the first
    // edit is known only from the state (the snapshot written when it was kept), not re-read.
    clock.advance(5_000);
    const other = contactByEmplid(ps.data.employees.find((e) => e.EMPLID !== emp.EMPLID && contactByEmplid(e.EMPLID))!.EMPLID)!;
    zoho.editRecord('Contacts', String(other.id), { Title: 'Also kept' }, 'user');
    await apply(session, { mappings: ['employees-to-contacts'] });
    clock.advance(5_000);

    // Now PeopleSoft changes another field of the first person.
    emp.emails.find((m) => m.E_ADDR_TYPE === 'BUSN')!.EMAIL_ADDR = `kept.${emp.EMPLID}@example.com`;
    emp.LASTUPDDTTM = toPsDateTime(clock.now());
    const plan = await makePlan(session, { mappings: ['employees-to-contacts'] });
    const action = actionsOf(plan, 'employees-to-contacts').find((a) => a.externalId === emp.EMPLID)!;
    expect(action.changes.map((c) => c.field)).toEqual(['Email']);
    expect(action.drift).toEqual([expect.objectContaining({ field: 'Department', zoho: 'Kept In Zoho', policy: 'keep-zoho' })]);
    expect((await apply(session, { mappings: ['employees-to-contacts'] })).status).toBe('succeeded');
    expect(contactByEmplid(emp.EMPLID)).toMatchObject({ Department: 'Kept In Zoho', Email: `kept.${emp.EMPLID}@example.com` });
    expect(actionsOf(await makePlan(session, { mappings: ['employees-to-contacts'] }), 'employees-to-contacts')).toEqual([]);
  });

  it('--allow-large-change gets past a tripped guard and the audit trail records it', async () => {
    const mapping = config.mappings.get('vendors-to-accounts')!;
    mapping.guards = { ...mapping.guards, maxChanges: 0 };
    const vendor = ps.data.vendors[0]!;
    vendor.NAME1 = `${vendor.NAME1} Holdings`;
    const plan = await makePlan(session, { mappings: ['vendors-to-accounts'] });
    expect(plan.header.blocked).toBe(true);
    expect((await apply(session, { mappings: ['vendors-to-accounts'] })).status).toBe('blocked');
    const report = await apply(session, { mappings: ['vendors-to-accounts'], allowLargeChange: true });
    expect(report.status).toBe('succeeded');
    const rows = await store.queryAudit({ runId: report.runId });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.allowLargeChange)).toBe(true);
  });
});
