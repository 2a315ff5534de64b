/**
 * Departments (PS_DEPT_TBL) through QAS against the PeopleSoft simulator over real HTTP: every
 * effective-dated row comes back, keyset paging keeps a department's rows together, and each
 * department is read as of today (renamed, closed, and a rename scheduled for next month).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QasReader } from '../src/config/types.generated.js';
import type { RecordProblem, SourceRecord } from '../src/model/index.js';
import { checkPeopleSoftConnection, computeReadWindow, createPeopleSoftClient, readSourceRecords } from '../src/peoplesoft/index.js';
import { addDays, generateDataset } from '../src/sim/dataset/index.js';
import { startPeopleSoftSimulator, type PeopleSoftSimulator } from '../src/sim/peoplesoft/index.js';
import { ManualClock } from '../src/support/clock.js';
import { AS_OF, NOON, collect, hcmConnection } from './peoplesoft-fixtures.js';

const DEPARTMENTS: QasReader = {
  kind: 'qas', query: 'ML_DEPARTMENTS', maxRows: 5, keyset: 'DEPTID',
  prompts: [{ name: 'SETID', value: 'SHARE' }, { name: 'AFTER_DEPTID', value: '{after}' }],
  changeDetection: { mode: 'hash' },
};

describe('departments reader', () => {
  let sim: PeopleSoftSimulator;
  const clock = new ManualClock(NOON);
  beforeAll(async () => {
    const data = generateDataset({ seed: 1, asOf: AS_OF, employees: 0, vendors: 0 });
    // Next month Marketing becomes Brand & Marketing: known today, not in force yet.
    data.departments.push({ SETID: 'SHARE', DEPTID: '21000', EFFDT: addDays(AS_OF, 30), EFF_STATUS: 'A', DESCR: 'Brand & Marketing', COMPANY: 'MLP' });
    sim = await startPeopleSoftSimulator({ clock, dataset: data });
  });
  afterAll(() => sim.close());

  const connection = () => hcmConnection(sim.url, { readers: { departments: DEPARTMENTS } });

  it('reads one record per department as of today, paging without splitting a department', async () => {
    const conn = connection();
    const client = createPeopleSoftClient(conn, { credentials: { password: 'ml-sync-secret' }, clock });
    const all = await collect(readSourceRecords(client, conn, 'departments', computeReadWindow({ now: NOON, full: true })));
    await client.close();
    const problems = all.filter((r): r is RecordProblem => !('hash' in r));
    const records = all.filter((r): r is SourceRecord => 'hash' in r);
    expect(problems).toEqual([]);
    const byKey = new Map(records.map((r) => [r.key, r]));
    expect([...byKey.keys()]).toEqual([
      'SHARE-10000', 'SHARE-11000', 'SHARE-12000', 'SHARE-13000', 'SHARE-14000', 'SHARE-19000',
      'SHARE-20000', 'SHARE-21000', 'SHARE-30000', 'SHARE-31000', 'SHARE-32000', 'SHARE-33000', 'SHARE-34000',
    ]);
    // 17 rows in pages of 5: pages end in the middle of a department's rows and go on after it.
    expect(client.calls).toBeGreaterThanOrEqual(4);

    const renamed = byKey.get('SHARE-14000')!;
    expect([renamed.status, renamed.fields.DESCR, renamed.fields.DESCRSHORT, renamed.effectiveDate]).toEqual(['active', 'Data & Analytics', 'Data & Ana', addDays(AS_OF, -400)]);
    const closed = byKey.get('SHARE-19000')!;
    expect([closed.status, closed.fields.EFF_STATUS, closed.fields.DESCR]).toEqual(['inactive', 'I', 'Audit Services (closed)']);
    const marketing = byKey.get('SHARE-21000')!;
    expect([marketing.status, marketing.fields.DESCR]).toEqual(['active', 'Marketing']);
    expect(marketing.scheduled).toEqual([{ effectiveDate: addDays(AS_OF, 30), event: 'data-change', status: 'active' }]);
    expect(marketing.fields).toMatchObject({ SETID: 'SHARE', DEPTID: '21000', DEPT_KEY: 'SHARE-21000', COMPANY: 'MLP', MANAGER_ID: null, STATUS: 'active' });
  });

  it('a month later the rename is in force', async () => {
    const later = NOON + 31 * 86_400_000;
    const conn = connection();
    const client = createPeopleSoftClient(conn, { credentials: { password: 'ml-sync-secret' }, clock: new ManualClock(later) });
    const records = (await collect(readSourceRecords(client, conn, 'departments', computeReadWindow({ now: later, full: true })))).filter((r): r is SourceRecord => 'hash' in r);
    await client.close();
    const marketing = records.find((r) => r.key === 'SHARE-21000')!;
    expect([marketing.fields.DESCR, marketing.scheduled]).toEqual(['Brand & Marketing', undefined]);
  });

  it('check probes the departments reader with one cheap call', async () => {
    const results = await checkPeopleSoftConnection(connection(), { credentials: { password: 'ml-sync-secret' }, clock });
    expect(results.find((r) => r.target === 'peoplesoft-hcm/departments')).toMatchObject({ status: 'ok', details: { rows: 1, call: 'query ML_DEPARTMENTS (maxrows=1)' } });
  });
});
