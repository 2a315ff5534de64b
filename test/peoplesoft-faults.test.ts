/**
 * Ordinary PeopleSoft faults over real HTTP (issue 12): one bad record is a problem with its key
 * and its call and the rest is read; a page that lies about itself is read again and then refuses
 * the read, never passes for the end of the data; text is cleaned with a warning; a query that
 * lacks a column says which Zoho fields stay empty. Every fault is a simulator switch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/support/clock.js';
import type { RecordProblem, SourceRecord } from '../src/model/index.js';
import { generateDataset } from '../src/sim/dataset/index.js';
import { startPeopleSoftSimulator, type PeopleSoftSimulator } from '../src/sim/peoplesoft/index.js';
import { checkPeopleSoftConnection, computeReadWindow, createPeopleSoftClient, readSourceRecords, type ReadOptions } from '../src/peoplesoft/index.js';
import { zohoFieldsBySource } from '../src/config/index.js';
import type { Mapping, PeopleSoftConnection, QasReader } from '../src/config/types.generated.js';
import { AS_OF, NOON, QAS_VENDORS, REST_EMPLOYEES, collect, craftedDataset, fscmConnection, hcmConnection } from './peoplesoft-fixtures.js';

const PASSWORD = 'ml-sync-secret';
const full = computeReadWindow({ now: NOON, full: true });

async function read(conn: PeopleSoftConnection, entity: 'employees' | 'vendors', opts: ReadOptions = {}) {
  const client = createPeopleSoftClient(conn, { credentials: { password: PASSWORD }, clock: new ManualClock(NOON) });
  try {
    const all = await collect(readSourceRecords(client, conn, entity, full, opts));
    const records = all.filter((r): r is SourceRecord => 'hash' in r);
    const problems = all.filter((r): r is RecordProblem => !('hash' in r));
    return { records, problems, byKey: new Map(records.map((r) => [r.key, r])), calls: client.calls };
  } finally {
    await client.close();
  }
}

const hashes = (r: { records: SourceRecord[] }): string[][] => r.records.map((x) => [x.key, x.hash]);
const withMaxRows = (conn: PeopleSoftConnection, maxRows: number): PeopleSoftConnection => {
  conn.readers.employees = { ...conn.readers.employees!, maxRows } as QasReader;
  return conn;
};

describe('one bad record never stops the read (VENDOR_CI)', () => {
  let sim: PeopleSoftSimulator;
  beforeAll(async () => {
    sim = await startPeopleSoftSimulator({ clock: new ManualClock(NOON), dataset: generateDataset({ seed: 7, asOf: AS_OF }) });
  });
  afterAll(() => sim.close());

  it('an IB error for one key, every time: that vendor is a problem with its key and call, every other vendor is read', async () => {
    const clean = await read(fscmConnection(sim.url), 'vendors');
    const victim = clean.records[17]!.key; // SHARE-00000000xx
    const [setid, vendorId] = [victim.slice(0, 5), victim.slice(6)];
    sim.inject({ at: { kind: 'ci-get', path: `${setid}/${vendorId}` }, ibError: true, times: 3 }); // every attempt (FAST_RETRY: 3)
    const faulty = await read(fscmConnection(sim.url), 'vendors');
    expect(faulty.problems).toEqual([{
      key: victim, code: 'PS_IB_ERROR', severity: 'error',
      call: `GET /PSIGW/RESTListeningConnector/PSFT_EP/CIRT_VENDOR_CI_G_GET.v1/${setid}/${vendorId}`,
      message: expect.stringMatching(/answered with an error 3 times: Integration Broker error \(injected\).*skipped and retried next run/),
    }]);
    expect(hashes(faulty)).toEqual(hashes(clean).filter(([k]) => k !== victim));
    // The next run (the fault is gone) reads it.
    expect(hashes(await read(fscmConnection(sim.url), 'vendors'))).toEqual(hashes(clean));
  });

  it('a transient IB error, a 5xx after retries and a broken document: retried, then isolated', async () => {
    const clean = await read(fscmConnection(sim.url), 'vendors');
    const [a, b, c] = [clean.records[3]!.key, clean.records[40]!.key, clean.records[99]!.key];
    const path = (k: string): string => `${k.slice(0, 5)}/${k.slice(6)}`;
    sim.inject({ at: { kind: 'ci-get', path: path(a) }, ibError: true });
    sim.inject({ at: { kind: 'ci-get', path: path(b) }, status: 503, times: 3 });
    sim.inject({ at: { kind: 'ci-get', path: path(c) }, truncateBody: true });
    const faulty = await read(fscmConnection(sim.url), 'vendors');
    expect(faulty.problems.map((p) => [p.key, p.code])).toEqual([[b, 'PS_HTTP_ERROR'], [c, 'PS_BAD_ANSWER']]);
    expect(faulty.byKey.get(a)?.hash).toBe(clean.byKey.get(a)?.hash);
    expect(faulty.records).toHaveLength(clean.records.length - 2);
  });

  it('a 401 on a Get is not one record: the read stops', async () => {
    sim.inject({ at: { kind: 'ci-get', nth: 5 }, status: 401 });
    await expect(read(fscmConnection(sim.url), 'vendors')).rejects.toMatchObject({ code: 'PS_UNAUTHORIZED' });
  });

  it('with 10% of calls failing (500), every vendor and every employee is still read', async () => {
    const flaky = await startPeopleSoftSimulator({ clock: new ManualClock(NOON), dataset: sim.data, errorRate: 0.1, seed: 3 });
    try {
      const retry = { maxAttempts: 5, baseDelayMs: 2, maxDelayMs: 10 };
      const vendors = await read(fscmConnection(flaky.url, { retry }), 'vendors');
      const employees = await read(hcmConnection(flaky.url, { retry }), 'employees');
      expect([vendors.records.length, vendors.problems]).toEqual([sim.data.vendors.length, []]);
      expect([employees.records.length, employees.problems]).toEqual([sim.data.employees.length, []]);
      expect(flaky.requests.count({ status: 500 })).toBeGreaterThan(5);
    } finally {
      await flaky.close();
    }
  });
});

describe('complete reads: a page that lies is read again, then refuses the read', () => {
  let sim: PeopleSoftSimulator;
  let clean: Awaited<ReturnType<typeof read>>;
  beforeAll(async () => {
    sim = await startPeopleSoftSimulator({ clock: new ManualClock(NOON), dataset: generateDataset({ seed: 7, asOf: AS_OF }) });
    clean = await read(withMaxRows(hcmConnection(sim.url), 60), 'employees');
  });
  afterAll(() => sim.close());

  it.each([
    ['an empty page in the middle of paging', { zeroRows: true }, 'PS_EMPTY_PAGE'],
    ['a page whose numrows says more rows than it holds', { dropRows: 7 }, 'PS_NUMROWS_MISMATCH'],
    ['a page whose keys go back to the start', { rewind: true }, 'PS_KEYSET_ORDER'],
  ] as const)('%s: once, read again and nothing lost; every time, a coded error', async (_what, effect, code) => {
    sim.inject({ at: { kind: 'qas', nth: 3 }, ...effect });
    const again = await read(withMaxRows(hcmConnection(sim.url), 60), 'employees');
    expect(hashes(again)).toEqual(hashes(clean));
    expect(again.calls).toBe(clean.calls + 1);
    sim.inject({ at: { kind: 'qas', nth: 3 }, ...effect, times: 3 });
    await expect(read(withMaxRows(hcmConnection(sim.url), 60), 'employees')).rejects.toMatchObject({ code, meta: { query: 'ML_EMPLOYEES', page: 3 } });
  });

  it('a short page followed by more data: read again when it was cut once; a cap when it stays short', async () => {
    sim.inject({ at: { kind: 'qas', nth: 2 }, keepRows: 10 });
    const again = await read(withMaxRows(hcmConnection(sim.url), 60), 'employees');
    expect(hashes(again)).toEqual(hashes(clean));
    expect(again.calls).toBe(clean.calls + 2); // the call after its last key, and the page again
    sim.inject({ at: { kind: 'qas', nth: 2 }, keepRows: 10, times: 3 });
    await expect(read(withMaxRows(hcmConnection(sim.url), 60), 'employees')).rejects.toMatchObject({ code: 'PS_ROW_CAP' });
  });

  it('REST paging: an empty page that says more follow is read again, then refuses the read', async () => {
    const conn = hcmConnection(sim.url, { readers: { employees: REST_EMPLOYEES } });
    const rest = await read(conn, 'employees');
    // Page 1 said more follow: an empty page 2 (whatever its own flag says) is not the end.
    sim.inject({ at: { kind: 'employee-changes', nth: 2 }, zeroRows: true });
    expect(hashes(await read(conn, 'employees'))).toEqual(hashes(rest));
    sim.inject({ at: { kind: 'employee-changes', nth: 2 }, keepRows: 0, times: 3 });
    await expect(read(conn, 'employees')).rejects.toMatchObject({ code: 'PS_EMPTY_PAGE', meta: { page: 2 } });
  });

  it('a broken XMLP page is one coded error naming the query and where it broke', async () => {
    const conn = hcmConnection(sim.url);
    conn.readers.employees = { ...conn.readers.employees!, format: 'xmlp' } as QasReader;
    sim.inject({ at: { kind: 'qas' }, truncateBody: true });
    await expect(read(conn, 'employees')).rejects.toMatchObject({ code: 'PS_BAD_ANSWER', message: expect.stringMatching(/^query ML_EMPLOYEES: the answer is not well-formed XML \(.* at line \d+, column \d+\)/) });
  });
});

describe('clean text and what a query lacks', () => {
  let sim: PeopleSoftSimulator;
  let dirty: PeopleSoftSimulator;
  beforeAll(async () => {
    sim = await startPeopleSoftSimulator({ clock: new ManualClock(NOON), dataset: craftedDataset() });
    dirty = await startPeopleSoftSimulator({ clock: new ManualClock(NOON), dataset: sim.data, quirks: { controlCharsInNames: true, omitColumns: { ML_VENDORS: ['ADDRESS_SEQ_NUM'] } } });
  });
  afterAll(async () => {
    await sim.close();
    await dirty.close();
  });

  it('NUL, ESC and a lone surrogate never leave the connector: removed, with a warning naming record and field', async () => {
    const plain = await read(hcmConnection(sim.url), 'employees');
    const cleaned = await read(hcmConnection(dirty.url), 'employees');
    expect(hashes(cleaned)).toEqual(hashes(plain));
    expect(cleaned.problems.map((p) => [p.key, p.code, p.field, p.severity])).toEqual([
      ['900003', 'SOURCE_TEXT_CLEANED', 'FIRST_NAME', 'warning'],
      ['900003', 'SOURCE_TEXT_CLEANED', 'LAST_NAME', 'warning'],
      ['900003', 'SOURCE_TEXT_CLEANED', 'NAME_DISPLAY', 'warning'],
    ]);
    expect(cleaned.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/^FIRST_NAME held U\+0000 \(NUL\); removed/), expect.stringMatching(/^LAST_NAME held U\+001B \(ESC\)/), expect.stringMatching(/^NAME_DISPLAY held an unpaired surrogate/),
    ]);
    // XMLP cannot carry them at all: one coded error that says what to do.
    const xml = hcmConnection(dirty.url);
    xml.readers.employees = { ...xml.readers.employees!, format: 'xmlp' } as QasReader;
    await expect(read(xml, 'employees')).rejects.toMatchObject({ code: 'PS_BAD_ANSWER', hint: expect.stringMatching(/format: json/) });
  });

  it('a vendor query without ADDRESS_SEQ_NUM: one warning naming the column and the Zoho fields that stay empty, in the read and in check', async () => {
    const mapping = { fields: [
      { to: 'Account_Name', from: 'NAME1' }, { to: 'Billing_Street', template: '{ADDRESS1} {ADDRESS2}' }, { to: 'Billing_City', from: 'CITY' },
    ] } as unknown as Mapping;
    const conn = fscmConnection(dirty.url, { readers: { vendors: QAS_VENDORS } });
    const { records, problems } = await read(conn, 'vendors', { zohoFields: zohoFieldsBySource(mapping) });
    expect(problems).toEqual([{
      key: '*', code: 'PS_QUERY_LACKS_COLUMN', field: 'ADDRESS_SEQ_NUM', severity: 'warning',
      message: 'query ML_VENDORS returns no ADDRESS_SEQ_NUM: Zoho fields Billing_City, Billing_Street stay empty (from ADDRESS1, ADDRESS2, CITY); add the column to the query, or name the query\'s own column in the reader\'s `columns`',
    }]);
    expect(records.map((r) => r.fields.CITY)).toEqual([null, null]);

    const [result] = await checkPeopleSoftConnection(conn, { credentials: { password: PASSWORD }, mappings: [{ ...mapping, source: { connection: conn.name, entity: 'vendors' }, target: { connection: 'zoho', module: 'Accounts' } } as Mapping] });
    expect(result).toMatchObject({ status: 'warning', summary: expect.stringMatching(/lacks ADDRESS_SEQ_NUM$/), details: { missingColumns: ['ADDRESS_SEQ_NUM'] }, diagnosis: expect.stringMatching(/Zoho fields Accounts\.Billing_City, Accounts\.Billing_Street stay empty/) });
  });

  it('`columns` feeds one source column to several names, and swaps names', async () => {
    const plain = await read(hcmConnection(sim.url), 'employees');
    const conn = hcmConnection(sim.url);
    conn.readers.employees = { ...conn.readers.employees!, columns: { NAME_DISPLAY: 'FIRST_NAME', FIRST_NAME: 'FIRST_NAME', LAST_NAME: 'PREF_FIRST_NAME', PREF_FIRST_NAME: 'LAST_NAME' } } as QasReader;
    const renamed = await read(conn, 'employees');
    const [p, r] = [plain.byKey.get('900005')!.fields, renamed.byKey.get('900005')!.fields];
    expect([r.NAME_DISPLAY, r.FIRST_NAME, r.LAST_NAME, r.PREF_FIRST_NAME]).toEqual([p.FIRST_NAME, p.FIRST_NAME, p.PREF_FIRST_NAME, p.LAST_NAME]);
  });
});
