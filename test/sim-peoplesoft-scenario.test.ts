import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/support/clock.js';
import { startPeopleSoftSimulator, type PeopleSoftSimulator } from '../src/sim/peoplesoft/index.js';
import type { ScenarioDayReport } from '../src/sim/dataset/index.js';

/** Scenario days over real HTTP: what nextDay reports is exactly what a changed-since poll finds. */

const SYNC = 'Basic ' + Buffer.from('ML_SYNC:ml-sync-secret').toString('base64');
const START = Date.parse('2026-03-02T12:00:00Z');

interface Row extends Record<string, unknown> {
  EMPLID: string;
}

async function changedSince(sim: PeopleSoftSimulator, from: string, to = ''): Promise<Row[]> {
  const url =
    `${sim.url}/PSIGW/RESTListeningConnector/PSFT_HR/ExecuteQuery.v1/public/ML_EMPLOYEES/JSON/NONFILE?isconnectedquery=N&maxrows=0` +
    `&prompt_uniquepromptname=LASTUPD_FROM,LASTUPD_TO,EFFDT_FROM,EFFDT_TO,AFTER_EMPLID&prompt_fieldvalue=${from},${to},,,&json_resp=true`;
  const body = (await (await fetch(url, { headers: { authorization: SYNC } })).json()) as { status: string; data: { query: { rows: Row[] } } };
  expect(body.status).toBe('success');
  return body.data.query.rows;
}

const lastRow = (rows: Row[], emplid: string): Row => rows.filter((r) => r.EMPLID === emplid).at(-1) as Row;

describe('PeopleSoft simulator: scenario days', () => {
  let sim: PeopleSoftSimulator;
  let day1: ScenarioDayReport;
  beforeAll(async () => {
    sim = await startPeopleSoftSimulator({ clock: new ManualClock(START) });
    day1 = sim.scenario.nextDay();
  });
  afterAll(() => sim.close());

  it('moves the clock a day and reports two hires, a rehire, a termination, a transfer and a vendor move', () => {
    expect(sim.clock.now()).toBe(START + 86_400_000);
    expect(day1.day).toBe(1);
    expect(day1.date).toBe('2026-03-03');
    expect(day1.lastUpdated).toBe('2026-03-03-12.00.00.000000');
    expect(day1.hires.map((h) => h.emplid)).toEqual(['100151', '100152']);
    const people = [day1.rehire?.emplid, day1.termination?.emplid, day1.transfer?.emplid];
    expect(people.every((p) => typeof p === 'string')).toBe(true);
    expect(new Set(people).size).toBe(3);
    expect(day1.transfer?.toDeptid).not.toBe(day1.transfer?.fromDeptid);
    expect(day1.vendorAddressChange?.to.ADDRESS1).toBeTruthy();
  });

  it('lets a changed-since poll find exactly the reported people, with the rows that say what happened', async () => {
    const rows = await changedSince(sim, day1.lastUpdated);
    const expected = [...day1.hires.map((h) => h.emplid), day1.rehire?.emplid, day1.termination?.emplid, day1.transfer?.emplid].sort();
    expect([...new Set(rows.map((r) => r.EMPLID))]).toEqual(expected);
    for (const hire of day1.hires) {
      expect(lastRow(rows, hire.emplid)).toMatchObject({ ACTION: 'HIR', EFFDT: day1.date, EMPL_STATUS: 'A', HR_STATUS: 'A', DEPTID: hire.deptid, NAME_DISPLAY: hire.name });
    }
    expect(lastRow(rows, day1.rehire?.emplid as string)).toMatchObject({ ACTION: 'REH', EFFDT: day1.date, EMPL_STATUS: 'A', HR_STATUS: 'A' });
    expect(lastRow(rows, day1.termination?.emplid as string)).toMatchObject({ ACTION: 'TER', EFFDT: day1.date, EMPL_STATUS: 'T', HR_STATUS: 'I' });
    expect(lastRow(rows, day1.transfer?.emplid as string)).toMatchObject({
      ACTION: 'XFR', DEPTID: day1.transfer?.toDeptid, DEPT_DESCR: day1.transfer?.toDeptDescr,
    });
    // Exactly one new JOB row per person, stamped with the scenario's instant.
    expect(rows.filter((r) => r.LASTUPDDTTM === day1.lastUpdated).map((r) => r.EMPLID).sort()).toEqual(expected);
  });

  it('shows the vendor address change through VENDOR_CI and ML_VENDORS', async () => {
    const change = day1.vendorAddressChange;
    if (change === null) throw new Error('expected a vendor address change');
    const res = await fetch(`${sim.url}/PSIGW/RESTListeningConnector/PSFT_EP/CIRT_VENDOR_CI_G_GET.v1/${change.setid}/${change.vendorId}`, {
      headers: { authorization: SYNC },
    });
    const v = ((await res.json()) as { Get__CompIntfc__VENDOR_CIResponse: { LAST_ACTIVITY_DT: string; VENDOR_ADDR: Array<Record<string, unknown>> } })
      .Get__CompIntfc__VENDOR_CIResponse;
    expect(v.LAST_ACTIVITY_DT).toBe(day1.date);
    // With GETHISTORYITEMS off the old row is history now: only today's row for sequence 1 remains.
    expect(v.VENDOR_ADDR.filter((a) => a.ADDRESS_SEQ_NUM === 1)).toEqual([expect.objectContaining({ EFFDT: day1.date, ADDRESS1: change.to.ADDRESS1, EFF_STATUS: 'A' })]);
  });

  it('is deterministic for a seed, and a second day picks new people', async () => {
    const twin = await startPeopleSoftSimulator({ clock: new ManualClock(START) });
    try {
      expect(twin.scenario.nextDay()).toEqual(day1);
    } finally {
      await twin.close();
    }
    const day2 = sim.scenario.nextDay();
    expect(day2.date).toBe('2026-03-04');
    expect(day2.hires.map((h) => h.emplid)).toEqual(['100153', '100154']);
    expect(day2.termination?.emplid).not.toBe(day1.termination?.emplid);
    const rows = await changedSince(sim, day2.lastUpdated);
    expect(new Set(rows.map((r) => r.EMPLID)).size).toBe(5);
  });

  it('expires bearer tokens on the simulator clock', async () => {
    const token = await sim.oauth.issueToken();
    const url = `${sim.url}/PSIGW/RESTListeningConnector/PSFT_EP/CIRT_VENDOR_CI_F_GET.v1/SHARE`;
    expect((await fetch(url, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    (sim.clock as ManualClock).advance(3601_000);
    expect((await fetch(url, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });
});

describe('PeopleSoft simulator: server time zone', () => {
  it("writes LASTUPDDTTM and dates in the database server's wall time, as a real PeopleSoft does", async () => {
    // 03:00 UTC on 3 March is still 2 March, 21:00 in Chicago (UTC-6 in winter).
    const sim = await startPeopleSoftSimulator({ clock: new ManualClock(Date.parse('2026-03-02T03:00:00Z')), serverTimezone: 'America/Chicago' });
    try {
      const day = sim.scenario.nextDay();
      expect(day.date).toBe('2026-03-02');
      expect(day.lastUpdated).toBe('2026-03-02-21.00.00.000000');
      const rows = await changedSince(sim, '2026-03-02-20.00.00.000000');
      expect(new Set(rows.map((r) => r.EMPLID))).toEqual(new Set([...day.hires.map((h) => h.emplid), day.rehire?.emplid, day.termination?.emplid, day.transfer?.emplid]));
    } finally {
      await sim.close();
    }
  });
});
