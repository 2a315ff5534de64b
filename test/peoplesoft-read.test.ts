/**
 * The readers against the PeopleSoft simulator over real HTTP: QAS (JSON and XMLP, keyset paging
 * with employees split across pages), the REST operation, VENDOR_CI, change detection, and the
 * people the issue names (future hire and termination, rehire, leave and return, transfer, blanks).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/support/clock.js';
import type { RecordProblem, SourceRecord } from '../src/model/index.js';
import { generateDataset } from '../src/sim/dataset/index.js';
import { startPeopleSoftSimulator, type PeopleSoftSimulator } from '../src/sim/peoplesoft/index.js';
import { computeReadWindow, createPeopleSoftClient, nextWatermark, readSourceRecords, type ReadWindow } from '../src/peoplesoft/index.js';
import type { PeopleSoftConnection, QasReader } from '../src/config/types.generated.js';
import { AS_OF, NOON, QAS_VENDORS, REST_EMPLOYEES, collect, craftedDataset, fscmConnection, hcmConnection } from './peoplesoft-fixtures.js';

const PASSWORD = 'ml-sync-secret';

async function read(conn: PeopleSoftConnection, entity: 'employees' | 'vendors', window: ReadWindow, clock = new ManualClock(NOON)) {
  const client = createPeopleSoftClient(conn, { credentials: { password: PASSWORD }, clock });
  try {
    const all = await collect(readSourceRecords(client, conn, entity, window));
    const records = all.filter((r): r is SourceRecord => 'hash' in r);
    const problems = all.filter((r): r is RecordProblem => !('hash' in r));
    return { records, problems, byKey: new Map(records.map((r) => [r.key, r])), calls: client.calls, rows: client.rows };
  } finally {
    await client.close();
  }
}

const fullWindow = (now = NOON): ReadWindow => computeReadWindow({ now, full: true });

describe('crafted people and vendors', () => {
  let sim: PeopleSoftSimulator;
  const clock = new ManualClock(NOON);
  beforeAll(async () => {
    sim = await startPeopleSoftSimulator({ clock, dataset: craftedDataset() });
  });
  afterAll(() => sim.close());

  it('reads every person once, each as of today, with its lifecycle event', async () => {
    const { byKey, problems, calls } = await read(hcmConnection(sim.url), 'employees', fullWindow());
    expect(problems).toEqual([]);
    expect([...byKey.keys()]).toEqual(['900001', '900002', '900003', '900004', '900005', '900006', '900007']);
    expect(calls).toBe(2); // one short page, then one call after the last EMPLID confirming nothing follows

    const future = byKey.get('900001')!;
    expect([future.status, future.event, future.fields.HIRE_DT]).toEqual(['inactive', undefined, null]);
    expect(future.scheduled).toEqual([{ effectiveDate: '2024-07-01', event: 'hire', status: 'active' }]);

    const leaving = byKey.get('900002')!;
    expect([leaving.status, leaving.fields.TERMINATION_DT]).toEqual(['active', null]);
    expect(leaving.scheduled).toEqual([{ effectiveDate: '2024-06-20', event: 'termination', status: 'inactive' }]);

    const rehired = byKey.get('900003')!;
    expect([rehired.fields.EMPL_RCD, rehired.status, rehired.event, rehired.fields.HIRE_DT, rehired.fields.DEPTID]).toEqual([1, 'active', 'rehire', '2023-02-01', '20000']);

    expect([byKey.get('900004')!.status, byKey.get('900004')!.event]).toEqual(['active', 'return']);
    const mover = byKey.get('900005')!;
    expect([mover.event, mover.fields.DEPTID, mover.effectiveDate]).toEqual(['transfer', '30000', '2024-05-01']);
    expect(mover.fields.DEPT_DESCR).toEqual(expect.any(String));

    // The simulator sends blanks as a single space; they arrive as null.
    const blank = byKey.get('900006')!;
    expect([blank.fields.SUPERVISOR_ID, blank.fields.LOCATION, blank.fields.PREF_FIRST_NAME, blank.fields.EMAIL, blank.fields.PHONE]).toEqual([null, null, null, null, null]);
    // PeopleSoft's preferred flag (HOME) wins over the configured order (BUSN first).
    expect([mover.fields.EMAIL, mover.fields.EMAIL_TYPE]).toEqual(['mover@home.example', 'HOME']);
    expect(byKey.get('900007')!.fields.VENDOR_KEY).toBe('SHARE-0000000001');
    expect(future.cursor).toBe('2024-06-10T10:00:00.000Z');
  });

  it('the same people a few days on: the hire and the termination took effect', async () => {
    const later = Date.parse('2024-07-02T12:00:00Z');
    const { byKey } = await read(hcmConnection(sim.url), 'employees', fullWindow(later));
    expect([byKey.get('900001')!.status, byKey.get('900001')!.event, byKey.get('900001')!.fields.HIRE_DT]).toEqual(['active', 'hire', '2024-07-01']);
    expect([byKey.get('900002')!.status, byKey.get('900002')!.event, byKey.get('900002')!.fields.TERMINATION_DT]).toEqual(['inactive', 'termination', '2024-06-20']);
  });

  it('a query that returns no rows reads as no records (not as an error)', async () => {
    sim.inject({ at: { kind: 'qas' }, zeroRows: true });
    const { records, problems, calls } = await read(hcmConnection(sim.url), 'employees', fullWindow());
    expect([records, problems, calls]).toEqual([[], [], 1]);
  });

  it("reads a customer's query whose columns are named differently, as the reader's `columns` say", async () => {
    const plain = await read(hcmConnection(sim.url), 'employees', fullWindow());
    const conn = hcmConnection(sim.url);
    // Their query calls the department description what ours calls the job title.
    conn.readers.employees = { ...conn.readers.employees!, columns: { DEPT_DESCR: 'JOB_TITLE' } } as QasReader;
    const renamed = await read(conn, 'employees', fullWindow());
    const mover = (r: typeof plain) => r.byKey.get('900005')!.fields;
    expect(mover(renamed).DEPT_DESCR).toBe(mover(plain).JOB_TITLE);
    expect(mover(renamed).DEPT_DESCR).not.toBe(mover(plain).DEPT_DESCR);
  });

  it('reads XMLP as it reads JSON', async () => {
    const json = await read(hcmConnection(sim.url), 'employees', fullWindow());
    const conn = hcmConnection(sim.url);
    conn.readers.employees = { ...conn.readers.employees!, format: 'xmlp' } as QasReader;
    const xml = await read(conn, 'employees', fullWindow());
    expect(xml.records.map((r) => [r.key, r.hash])).toEqual(json.records.map((r) => [r.key, r.hash]));
  });

  it('incremental: reads what was saved since the watermark, and what became effective since the last run', async () => {
    const conn = hcmConnection(sim.url);
    const first = await read(conn, 'employees', fullWindow());
    const window0 = fullWindow();
    const mark = nextWatermark(undefined, first.records.map((r) => r.cursor), window0)!;
    expect(mark.cursor).toBe('2024-06-10T10:00:00.000Z');

    // Nothing saved since, nothing became effective: only rows inside the overlap come back.
    const quiet = await read(conn, 'employees', computeReadWindow({ now: NOON, full: false, watermark: mark, changeDetection: conn.readers.employees!.changeDetection }));
    expect(quiet.records.map((r) => r.key)).toEqual(['900001']);

    // Someone edits 900005 now; five days later 900002's termination (saved weeks ago) takes effect.
    const e5 = sim.data.employees.find((e) => e.EMPLID === '900005')!;
    e5.LASTUPDDTTM = '2024-06-15-11.00.00.000000';
    e5.FIRST_NAME = 'Moved';
    const june20 = Date.parse('2024-06-20T12:00:00Z');
    const w = computeReadWindow({ now: june20, full: false, watermark: { cursor: '2024-06-15T10:30:00.000Z' }, changeDetection: conn.readers.employees!.changeDetection });
    const next = await read(conn, 'employees', w);
    expect(next.records.map((r) => r.key).sort()).toEqual(['900002', '900005']);
    expect(next.byKey.get('900002')!.status).toBe('inactive');
    expect(next.byKey.get('900005')!.fields.FIRST_NAME).toBe('Moved');
    expect(nextWatermark({ cursor: '2024-06-15T10:30:00.000Z' }, next.records.map((r) => r.cursor), w)).toEqual({ cursor: '2024-06-15T11:00:00.000Z' });
  });

  it('vendors through VENDOR_CI and through ML_VENDORS agree; the address moving next month is not current yet', async () => {
    const ci = await read(fscmConnection(sim.url), 'vendors', fullWindow());
    const qas = await read(fscmConnection(sim.url, { readers: { vendors: QAS_VENDORS } }), 'vendors', fullWindow());
    expect(ci.problems).toEqual([]);
    expect(ci.calls).toBe(3); // one Find, two Gets
    const acme = ci.byKey.get('SHARE-0000000001')!;
    expect([acme.fields.ADDRESS1, acme.fields.PYMNT_TERMS_CD, acme.fields.CONTACT_NAME, acme.status]).toEqual(['1 Old Road', 'N30', 'Ann Payable', 'active']);
    expect(acme.scheduled).toEqual([{ effectiveDate: '2024-07-01', event: 'data-change', status: 'active' }]);
    expect(ci.byKey.get('SHARE-0000000002')!.status).toBe('inactive');
    for (const r of qas.records) {
      const c = ci.byKey.get(r.key)!;
      for (const f of ['NAME1', 'ADDRESS1', 'CITY', 'PYMNT_TERMS_CD', 'STATUS', 'VENDOR_CLASS']) expect(r.fields[f]).toEqual(c.fields[f]);
    }
    const july = await read(fscmConnection(sim.url), 'vendors', fullWindow(Date.parse('2024-07-01T12:00:00Z')), clock);
    expect(july.byKey.get('SHARE-0000000001')!.fields.ADDRESS1).toBe('2 New Street');
  });

  it('a CI that also returns effective-dated history gives the same vendors', async () => {
    const history = await startPeopleSoftSimulator({ clock, dataset: craftedDataset(), quirks: { ciHistoryItems: true } });
    try {
      const plain = await read(fscmConnection(sim.url), 'vendors', fullWindow());
      const withHistory = await read(fscmConnection(history.url), 'vendors', fullWindow());
      expect(withHistory.records.map((r) => r.hash)).toEqual(plain.records.map((r) => r.hash));
    } finally {
      await history.close();
    }
  });
});

describe('paging over the firm dataset', () => {
  let sim: PeopleSoftSimulator;
  beforeAll(async () => {
    sim = await startPeopleSoftSimulator({ clock: new ManualClock(NOON), dataset: generateDataset({ seed: 7, asOf: AS_OF }) });
  });
  afterAll(() => sim.close());

  it('small QAS pages split employees across the boundary and still give the same records', async () => {
    const whole = await read(hcmConnection(sim.url), 'employees', fullWindow());
    expect(whole.calls).toBe(2);
    const conn = hcmConnection(sim.url);
    conn.readers.employees = { ...conn.readers.employees!, maxRows: 37 } as QasReader;
    const paged = await read(conn, 'employees', fullWindow());
    expect(paged.calls).toBeGreaterThan(whole.rows / 37);
    expect(paged.records.map((r) => [r.key, r.hash])).toEqual(whole.records.map((r) => [r.key, r.hash]));
    expect(new Set(paged.records.map((r) => r.key)).size).toBe(paged.records.length);
  });

  it('XMLP pages read the same as JSON', async () => {
    const whole = await read(hcmConnection(sim.url), 'employees', fullWindow());
    const conn = hcmConnection(sim.url);
    conn.readers.employees = { ...conn.readers.employees!, format: 'xmlp', maxRows: 150 } as QasReader;
    const xml = await read(conn, 'employees', fullWindow());
    expect(xml.records.map((r) => [r.key, r.hash])).toEqual(whole.records.map((r) => [r.key, r.hash]));
  });

  it('a page too small for one employee fails with a clear error', async () => {
    const conn = hcmConnection(sim.url);
    conn.readers.employees = { ...conn.readers.employees!, maxRows: 1 } as QasReader;
    await expect(read(conn, 'employees', fullWindow())).rejects.toMatchObject({ code: 'PS_PAGE_TOO_SMALL', message: expect.stringMatching(/holds only EMPLID/), hint: expect.stringMatching(/Raise maxRows/) });
  });

  it('a query profile that caps rows below maxRows fails the read instead of losing people', async () => {
    const capped = await startPeopleSoftSimulator({ clock: new ManualClock(NOON), dataset: sim.data, quirks: { maxRowsCap: 100 } });
    try {
      await expect(read(hcmConnection(capped.url), 'employees', fullWindow())).rejects.toMatchObject({ code: 'PS_ROW_CAP', hint: expect.stringMatching(/set maxRows to 100/) });
      const conn = hcmConnection(capped.url);
      conn.readers.employees = { ...conn.readers.employees!, maxRows: 100 } as QasReader;
      const ok = await read(conn, 'employees', fullWindow());
      expect(ok.records.length).toBe(sim.data.employees.length);
    } finally {
      await capped.close();
    }
  });

  it('the REST operation pages by row and yields the same records as QAS', async () => {
    const qas = await read(hcmConnection(sim.url), 'employees', fullWindow());
    const rest = await read(hcmConnection(sim.url, { readers: { employees: REST_EMPLOYEES } }), 'employees', fullWindow());
    expect(rest.calls).toBe(Math.ceil(qas.rows / 50) + (qas.rows % 50 === 0 ? 1 : 0));
    expect(rest.records.map((r) => [r.key, r.hash])).toEqual(qas.records.map((r) => [r.key, r.hash]));
  });

  it('vendors by QAS pages with keyset on VENDOR_ID', async () => {
    const whole = await read(fscmConnection(sim.url, { readers: { vendors: QAS_VENDORS } }), 'vendors', fullWindow());
    const paged = await read(fscmConnection(sim.url, { readers: { vendors: { ...QAS_VENDORS, maxRows: 25 } } }), 'vendors', fullWindow());
    expect(whole.records.length).toBeGreaterThan(100);
    expect(paged.records.map((r) => r.hash)).toEqual(whole.records.map((r) => r.hash));
  });

  it('alias prefixes and queryname= do not change what is read', async () => {
    const quirky = await startPeopleSoftSimulator({ clock: new ManualClock(NOON), dataset: sim.data, quirks: { aliasPrefixes: true, querynameWithEquals: true, blankAsSpace: false } });
    try {
      const plain = await read(hcmConnection(sim.url), 'employees', fullWindow());
      const odd = await read(hcmConnection(quirky.url), 'employees', fullWindow());
      expect(odd.records.map((r) => r.hash)).toEqual(plain.records.map((r) => r.hash));
    } finally {
      await quirky.close();
    }
  });
});
