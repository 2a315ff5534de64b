/**
 * The PeopleSoft simulator's switches for customer queries and ordinary faults (issue 12), over
 * real HTTP and on the wire: what a client sees, before any connector code reads it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/support/clock.js';
import { startPeopleSoftSimulator, type PeopleSoftSimulator } from '../src/sim/peoplesoft/index.js';
import { craftedDataset, NOON } from './peoplesoft-fixtures.js';

const SYNC = 'Basic ' + Buffer.from('ML_SYNC:ml-sync-secret').toString('base64');

async function query(sim: PeopleSoftSimulator, name: 'ML_EMPLOYEES' | 'ML_VENDORS', values: string, o: { xml?: boolean; maxrows?: number } = {}): Promise<{ status: number; text: string; json?: { data: { query: { numrows: number; rows: Array<Record<string, unknown>> } } } }> {
  const [node, prompts] = name === 'ML_EMPLOYEES' ? ['PSFT_HR', 'LASTUPD_FROM,LASTUPD_TO,EFFDT_FROM,EFFDT_TO,AFTER_EMPLID'] : ['PSFT_EP', 'SETID,AFTER_VENDOR_ID'];
  const url = `${sim.url}/PSIGW/RESTListeningConnector/${node}/ExecuteQuery.v1/public/${name}/${o.xml ? 'XMLP' : 'JSON'}/NONFILE?isconnectedquery=N&maxrows=${o.maxrows ?? 100}`
    + `&prompt_uniquepromptname=${prompts}&prompt_fieldvalue=${values}${o.xml ? '' : '&json_resp=true'}`;
  const res = await fetch(url, { headers: { authorization: SYNC } });
  const text = await res.text();
  return { status: res.status, text, ...(o.xml ? {} : { json: JSON.parse(text) }) };
}

describe('PeopleSoft simulator: switches for customer queries and faults', () => {
  let sim: PeopleSoftSimulator;
  let quirky: PeopleSoftSimulator;
  beforeAll(async () => {
    sim = await startPeopleSoftSimulator({ clock: new ManualClock(NOON), dataset: craftedDataset() });
    quirky = await startPeopleSoftSimulator({
      clock: new ManualClock(NOON), dataset: sim.data,
      quirks: { changedRowsOnly: true, omitColumns: { ML_VENDORS: ['ADDRESS_SEQ_NUM'] }, controlCharsInNames: true },
    });
  });
  afterAll(async () => {
    await sim.close();
    await quirky.close();
  });

  it('changedRowsOnly: a changed-since query returns the matching JOB rows, not every row of the person', async () => {
    // 900005's transfer row was keyed 2020-01-06 like the rest; select by its EFFDT.
    const whole = await query(sim, 'ML_EMPLOYEES', ',,2024-05-01,2024-05-01,');
    const rows = await query(quirky, 'ML_EMPLOYEES', ',,2024-05-01,2024-05-01,');
    expect(whole.json!.data.query.rows.filter((r) => r.EMPLID === '900005').map((r) => r.ACTION)).toEqual(['HIR', 'XFR']);
    expect(rows.json!.data.query.rows.map((r) => [r.EMPLID, r.ACTION])).toEqual([['900005', 'XFR']]);
    // With no bound in use, everyone's every row, as before.
    expect((await query(quirky, 'ML_EMPLOYEES', ',,,,')).json!.data.query.numrows).toBe((await query(sim, 'ML_EMPLOYEES', ',,,,')).json!.data.query.numrows);
  });

  it('omitColumns drops a column from the answer; controlCharsInNames puts NUL, ESC and a lone surrogate in names', async () => {
    const vendors = await query(quirky, 'ML_VENDORS', 'SHARE,');
    expect(Object.keys(vendors.json!.data.query.rows[0]!)).not.toContain('ADDRESS_SEQ_NUM');
    const person = (await query(quirky, 'ML_EMPLOYEES', ',,,,')).json!.data.query.rows.find((r) => r.EMPLID === '900003')!;
    expect([person.FIRST_NAME, person.LAST_NAME, person.NAME_DISPLAY]).toEqual(['Returning\u0000', 'T\u001bester', 'Returning Tester\ud83d']);
    // XMLP writes them raw: the document is not well-formed XML, as a naive server's would be.
    expect((await query(quirky, 'ML_EMPLOYEES', ',,,,', { xml: true })).text).toContain('<![CDATA[Returning\u0000]]>');
  });

  it('row faults: keepRows shortens a page, dropRows makes numrows lie, rewind ignores the keyset prompt', async () => {
    sim.inject({ at: { kind: 'qas' }, keepRows: 2 });
    expect((await query(sim, 'ML_EMPLOYEES', ',,,,')).json!.data.query).toMatchObject({ numrows: 2, rows: { length: 2 } });
    sim.inject({ at: { kind: 'qas' }, dropRows: 3 });
    const lying = (await query(sim, 'ML_EMPLOYEES', ',,,,')).json!.data.query;
    expect(lying.numrows - lying.rows.length).toBe(3);
    sim.inject({ at: { kind: 'qas' }, rewind: true });
    expect((await query(sim, 'ML_EMPLOYEES', ',,,,900004')).json!.data.query.rows[0]!.EMPLID).toBe('900001');
    expect((await query(sim, 'ML_EMPLOYEES', ',,,,900004')).json!.data.query.rows[0]!.EMPLID).toBe('900005');
  });

  it('fault targets: the nth request of a kind, a path ending; truncateBody cuts the document', async () => {
    const get = (id: string) => fetch(`${sim.url}/PSIGW/RESTListeningConnector/PSFT_EP/CIRT_VENDOR_CI_G_GET.v1/SHARE/${id}`, { headers: { authorization: SYNC } });
    sim.inject({ at: { kind: 'ci-get', path: 'SHARE/0000000002' }, ibError: true });
    expect((await get('0000000001')).status).toBe(200);
    const ib = await get('0000000002');
    expect([ib.status, await ib.text()]).toEqual([200, expect.stringContaining('<IBResponse type="error">')]);
    sim.inject({ at: { kind: 'ci-get', nth: 2 }, status: 503 });
    expect([(await get('0000000001')).status, (await get('0000000001')).status, (await get('0000000001')).status]).toEqual([200, 503, 200]);
    sim.inject({ at: { kind: 'ci-get' }, truncateBody: true });
    const cut = await (await get('0000000001')).text();
    expect(() => JSON.parse(cut) as unknown).toThrow();
  });
});
