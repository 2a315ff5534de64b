/**
 * Two mappings of one source into one module (employees and contractors, both keyed by EMPLID in
 * PeopleSoft_Employee_ID): each Zoho record is planned by exactly one of them. A contractor hired
 * as an employee is handed over (the same Zoho contact, updated), never deactivated by one mapping
 * while the other writes it. Both simulators over real HTTP, a real SQLite file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReconcile } from '../src/engine/run.js';
import { openSession, type Session } from '../src/engine/session.js';
import type { PlanAction, PlanHeader } from '../src/plan/index.js';
import { loadValidConfig } from '../src/config/index.js';
import { simulatorEnv } from '../src/demo/env.js';
import { currentJob, generateDataset, toPsDate, toPsDateTime } from '../src/sim/dataset/index.js';
import { startPeopleSoftSimulator, type PeopleSoftSimulator } from '../src/sim/peoplesoft/index.js';
import { startZohoSimulator, type ZohoSimulator } from '../src/sim/zoho/index.js';
import { openStateStore, type StateStore } from '../src/state/index.js';
import { OffsetClock } from '../src/support/clock.js';
import { copyExampleConfigs } from './simulated-systems.js';

let dir: string;
let ps: PeopleSoftSimulator;
let zoho: ZohoSimulator;
let store: StateStore;
let session: Session;
let env: Record<string, string>;
const clock = new OffsetClock();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ml-siblings-'));
  ps = await startPeopleSoftSimulator({ clock, dataset: generateDataset({ employees: 120, vendors: 60, seed: 4, asOf: toPsDate(clock.now()) }) });
  zoho = await startZohoSimulator({ clock });
  env = simulatorEnv({
    zoho: { url: zoho.url, accountsUrl: zoho.accountsUrl, clientId: zoho.credentials.clientId, clientSecret: zoho.credentials.clientSecret, refreshToken: zoho.credentials.refreshToken },
    peoplesoft: { url: ps.url, node: ps.nodes.hcm, fscmNode: ps.nodes.fscm, username: ps.credentials.username, password: ps.credentials.password },
  }, join(dir, 'state.db'));
  store = await openStateStore(join(dir, 'state.db'));
  session = openSession({ config: await loadValidConfig(copyExampleConfigs(dir), { env }), store, clock, env });
});
afterAll(async () => {
  await session?.close();
  await store?.close();
  await zoho?.close();
  await ps?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Planned { header: PlanHeader; summary: PlanHeader['summary']; actions: PlanAction[] }
async function makePlan(s: Session, o: { full?: boolean } = {}): Promise<Planned> {
  let planned: Planned | undefined;
  await runReconcile(s, {
    apply: false, trigger: 'test', holder: 'test', ...(o.full ? { full: true } : {}),
    onPlan: async (view) => {
      const list: PlanAction[] = [];
      for await (const a of view.actions()) list.push(a);
      planned = { header: view.header, summary: view.header.summary, actions: list };
    },
  });
  return planned!;
}
const apply = async (s: Session): Promise<boolean> => (await runReconcile(s, { apply: true, trigger: 'test', holder: 'test' })).status === 'succeeded';
const actions = (plan: Planned, mapping: string): PlanAction[] => plan.actions.filter((a) => a.mapping === mapping);

let contactsAfterFirstSync = 0;

describe('employees and contractors in one module', () => {
  it('the first sync writes every person once, each by its own mapping', async () => {
    const plan = await makePlan(session);
    const people = actions(plan, 'employees-to-contacts').length + actions(plan, 'contractors-to-contacts').length;
    // People who left before the first sync are not created.
    const gone = plan.header.mappings.reduce((n, m) => n + m.notCreated, 0);
    expect(people + gone).toBeGreaterThanOrEqual(100);
    expect(actions(plan, 'contractors-to-contacts').length).toBeGreaterThan(0);
    expect(await apply(session)).toBe(true);
    expect(zoho.records('Contacts')).toHaveLength(people);
    contactsAfterFirstSync = people;
  });

  it('a contractor hired as an employee: the same contact is handed over and updated, not deactivated', async () => {
    const person = ps.data.employees.find((e) => currentJob(e, toPsDate(clock.now()))?.PER_ORG === 'CWR' && currentJob(e, toPsDate(clock.now()))?.HR_STATUS === 'A' && e.jobs.every((j) => j.EMPL_RCD === 0))!;
    const before = zoho.records('Contacts').find((c) => c.PeopleSoft_Employee_ID === person.EMPLID)!;
    expect(before.Employee_Type).toBe('Contractor');
    clock.advance(60_000);
    const job = currentJob(person, toPsDate(clock.now()))!;
    person.jobs.push({ ...job, EFFDT: toPsDate(clock.now()), EFFSEQ: job.EFFDT === toPsDate(clock.now()) ? job.EFFSEQ + 1 : 0, PER_ORG: 'EMP', ACTION: 'DTA', ACTION_REASON: 'CNV', VENDOR_SETID: '', VENDOR_ID: '', DEPTID: '12000', LASTUPDDTTM: toPsDateTime(clock.now()) });

    for (const full of [false, true]) {
      const plan = await makePlan(session, { full });
      expect(actions(plan, 'contractors-to-contacts').filter((a) => a.externalId === person.EMPLID), full ? 'full' : 'incremental').toEqual([]);
      const handedOver = actions(plan, 'employees-to-contacts').filter((a) => a.externalId === person.EMPLID);
      if (!full) {
        expect(handedOver).toEqual([expect.objectContaining({ action: 'update', zohoId: before.id })]);
        expect(handedOver[0]!.changes.map((c) => c.field)).toEqual(expect.arrayContaining(['Employee_Type', 'Account_Name']));
        expect(plan.summary.deactivate).toBe(0);
        expect(await apply(session)).toBe(true);
      } else {
        expect(plan.summary.changes).toBe(0);
      }
    }
    const after = zoho.records('Contacts').filter((c) => c.PeopleSoft_Employee_ID === person.EMPLID);
    expect(after).toEqual([expect.objectContaining({ id: before.id, Employee_Type: 'Employee', Employment_Status: 'Active' })]);
    expect(zoho.records('Contacts')).toHaveLength(contactsAfterFirstSync);
  });

  it('an empty state re-links every record to exactly one mapping and plans nothing new', async () => {
    const empty = await openStateStore(join(dir, 'empty.db'));
    const fresh = openSession({ config: session.config, store: empty, clock, env });
    try {
      const plan = await makePlan(fresh);
      expect(plan.summary.create + plan.summary.deactivate).toBe(0);
    } finally {
      await fresh.close();
      await empty.close();
    }
  });
});
