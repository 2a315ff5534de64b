import { describe, expect, it } from 'vitest';
import type { RecordProblem, SourceRecord } from '../src/model/index.js';
import { SOURCE_FIELDS } from '../src/config/source-fields.js';
import { resolveNormalization } from '../src/peoplesoft/codes.js';
import { normalizeEmployee } from '../src/peoplesoft/normalize-employee.js';
import { normalizeVendor, vendorFromRows } from '../src/peoplesoft/normalize-vendor.js';
import { cleanRow, type PsRow } from '../src/peoplesoft/rows.js';
import type { PeopleSoftConnection } from '../src/config/types.generated.js';

const person = {
  EMPLID: 'E100', FIRST_NAME: 'Ada', LAST_NAME: 'Lovelace', NAME_DISPLAY: 'Ada Lovelace', PREF_FIRST_NAME: ' ',
  EMAIL_BUSN: 'ada@firm.example', EMAIL_HOME: 'ada@home.example', EMAIL_PREF_TYPE: ' ',
  PHONE_BUSN: '555-0100', PHONE_CELL: ' ', PHONE_HOME: '555-0199', PHONE_PREF_TYPE: ' ',
  PERSON_LASTUPD: '2024-01-01-09.00.00.000000',
};

/** One JOB row as QAS sends it (blanks as a single space), cleaned like the reader cleans it. */
function job(over: Record<string, string | number>): PsRow {
  return cleanRow({
    'attr:rownumber': 1, ...person, EMPL_RCD: 0, EFFSEQ: 0, ACTION: 'HIR', ACTION_REASON: 'NHR', ACTION_DT: '2020-01-01',
    EMPL_STATUS: 'A', HR_STATUS: 'A', PER_ORG: 'EMP', DEPTID: '10000', DEPT_DESCR: 'Sales', JOBCODE: 'J1', JOB_TITLE: 'Rep',
    LOCATION: 'HQ', COMPANY: 'NWS', BUSINESS_UNIT: 'US001', SUPERVISOR_ID: 'E001', VENDOR_SETID: ' ', VENDOR_ID: ' ',
    LASTUPDDTTM: '2020-01-01-10.00.00.000000', ...over,
  });
}

const ASOF = '2024-06-15';
const opts = (over: Partial<PeopleSoftConnection['normalization']> = {}, asOf = ASOF) =>
  resolveNormalization({ normalization: { ...over } }, asOf);

function record(r: SourceRecord | RecordProblem): SourceRecord {
  if (!('hash' in r)) throw new Error(`expected a record, got problem ${r.code}: ${r.message}`);
  return r;
}

describe('normalizeEmployee', () => {
  it('takes the max EFFDT on or before as-of, then the max EFFSEQ, and names fields as the catalogue says', () => {
    const r = record(normalizeEmployee([
      job({ EFFDT: '2020-01-01', ACTION: 'HIR' }),
      job({ EFFDT: '2023-03-01', EFFSEQ: 0, ACTION: 'DTA', DEPTID: '20000' }),
      job({ EFFDT: '2023-03-01', EFFSEQ: 1, ACTION: 'XFR', DEPTID: '30000', DEPT_DESCR: 'Ops' }),
      job({ EFFDT: '2024-09-01', ACTION: 'PRO', DEPTID: '40000' }),
    ], opts()));
    expect(r.key).toBe('E100');
    expect(r.fields.DEPTID).toBe('30000');
    expect(r.fields.DEPT_DESCR).toBe('Ops');
    expect(r.event).toBe('transfer');
    expect(r.fields.EVENT).toBe('transfer');
    expect(r.effectiveDate).toBe('2023-03-01');
    expect(r.fields.HIRE_DT).toBe('2020-01-01');
    expect(r.scheduled).toEqual([{ effectiveDate: '2024-09-01', event: 'data-change', status: 'active' }]);
    expect(Object.keys(r.fields).sort()).toEqual([...SOURCE_FIELDS.employees].sort());
    expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    // [as-of, status, event, HIRE_DT, scheduled events]
    ['2024-06-30', 'inactive', undefined, null, ['hire']],
    ['2024-07-01', 'active', 'hire', '2024-07-01', []],
  ])('a hire effective 2024-07-01 seen on %s is %s', (asOf, status, event, hireDt, scheduled) => {
    const r = record(normalizeEmployee([job({ EFFDT: '2024-07-01', ACTION: 'HIR', LASTUPDDTTM: '2024-06-01-08.00.00.000000' })], opts({}, asOf)));
    expect(r.status).toBe(status);
    expect(r.event).toBe(event);
    expect(r.fields.HIRE_DT).toBe(hireDt);
    expect((r.scheduled ?? []).map((s) => s.event)).toEqual(scheduled);
    expect(r.fields.FIRST_NAME).toBe('Ada');
  });

  it.each([
    ['2024-06-30', 'active', 'hire', null, 1],
    ['2024-07-01', 'inactive', 'termination', '2024-07-01', 0],
  ])('a termination effective 2024-07-01 seen on %s: %s', (asOf, status, event, termDt, scheduledCount) => {
    const rows = [job({ EFFDT: '2020-01-01' }), job({ EFFDT: '2024-07-01', ACTION: 'TER', EMPL_STATUS: 'T', HR_STATUS: 'I' })];
    const r = record(normalizeEmployee(rows, opts({}, asOf)));
    expect(r.status).toBe(status);
    expect(r.event).toBe(event);
    expect(r.fields.TERMINATION_DT).toBe(termDt);
    expect(r.scheduled?.length ?? 0).toBe(scheduledCount);
  });

  it('keeps the termination date when a data change follows it', () => {
    const r = record(normalizeEmployee([
      job({ EFFDT: '2020-01-01' }),
      job({ EFFDT: '2023-01-31', ACTION: 'TER', EMPL_STATUS: 'T', HR_STATUS: 'I' }),
      job({ EFFDT: '2023-05-01', ACTION: 'DTA', EMPL_STATUS: 'T', HR_STATUS: 'I' }),
    ], opts()));
    expect(r.status).toBe('inactive');
    expect(r.fields.TERMINATION_DT).toBe('2023-01-31');
  });

  it('a rehire on a second EMPL_RCD becomes the primary job under active-first, not under record-zero', () => {
    const rows = [
      job({ EMPL_RCD: 0, EFFDT: '2015-01-01' }),
      job({ EMPL_RCD: 0, EFFDT: '2019-12-31', ACTION: 'TER', EMPL_STATUS: 'T', HR_STATUS: 'I' }),
      job({ EMPL_RCD: 1, EFFDT: '2023-02-01', ACTION: 'REH', DEPTID: '50000' }),
    ];
    const active = record(normalizeEmployee(rows, opts()));
    expect(active.fields.EMPL_RCD).toBe(1);
    expect(active.status).toBe('active');
    expect(active.event).toBe('rehire');
    expect(active.fields.HIRE_DT).toBe('2023-02-01');
    expect(active.fields.DEPTID).toBe('50000');
    const zero = record(normalizeEmployee(rows, opts({ primaryJob: 'record-zero' })));
    expect(zero.fields.EMPL_RCD).toBe(0);
    expect(zero.status).toBe('inactive');
    expect(zero.fields.TERMINATION_DT).toBe('2019-12-31');
  });

  it.each([
    ['2024-03-01', 'leave', 'leave'],
    ['2024-05-01', 'active', 'return'],
  ])('leave and return: on %s the status is %s', (asOf, status, event) => {
    const rows = [
      job({ EFFDT: '2020-01-01' }),
      job({ EFFDT: '2024-02-01', ACTION: 'LOA', EMPL_STATUS: 'L' }),
      job({ EFFDT: '2024-04-15', ACTION: 'RFL', EMPL_STATUS: 'A' }),
    ];
    const r = record(normalizeEmployee(rows, opts({}, asOf)));
    expect(r.status).toBe(status);
    expect(r.event).toBe(event);
  });

  it.each([
    // [overrides, EMAIL, EMAIL_TYPE, PHONE, PHONE_TYPE]
    [{}, 'ada@firm.example', 'BUSN', '555-0100', 'BUSN'],
    [{ EMAIL_PREF_TYPE: 'HOME', PHONE_PREF_TYPE: 'HOME' }, 'ada@home.example', 'HOME', '555-0199', 'HOME'],
    [{ EMAIL_BUSN: ' ', PHONE_CELL: '555-0111' }, 'ada@home.example', 'HOME', '555-0111', 'CELL'],
    [{ EMAIL_PREF_TYPE: 'PERS' }, 'ada@firm.example', 'BUSN', '555-0100', 'BUSN'],
  ])('preferred email and phone with %j', (over, email, emailType, phone, phoneType) => {
    const r = record(normalizeEmployee([job({ EFFDT: '2020-01-01', ...over })], opts()));
    expect([r.fields.EMAIL, r.fields.EMAIL_TYPE, r.fields.PHONE, r.fields.PHONE_TYPE]).toEqual([email, emailType, phone, phoneType]);
  });

  it('turns blanks sent as a single space into null and trims strings', () => {
    const r = record(normalizeEmployee([job({ EFFDT: '2020-01-01', SUPERVISOR_ID: ' ', LAST_NAME: '  Lovelace  ' })], opts()));
    expect(r.fields.SUPERVISOR_ID).toBeNull();
    expect(r.fields.PREF_FIRST_NAME).toBeNull();
    expect(r.fields.LAST_NAME).toBe('Lovelace');
  });

  it('gives contractors the key of the vendor that supplies them', () => {
    const r = record(normalizeEmployee([job({ EFFDT: '2020-01-01', PER_ORG: 'CWR', VENDOR_SETID: 'SHARE', VENDOR_ID: '0000000042' })], opts()));
    expect(r.fields.VENDOR_KEY).toBe('SHARE-0000000042');
    const emp = record(normalizeEmployee([job({ EFFDT: '2020-01-01', VENDOR_SETID: 'SHARE', VENDOR_ID: '1' })], opts()));
    expect(emp.fields.VENDOR_KEY).toBeNull();
  });

  it('merges customer ACTION codes over the defaults, and reports unknown codes only in strict mode', () => {
    const rows = [job({ EFFDT: '2020-01-01' }), job({ EFFDT: '2024-01-01', ACTION: 'ZZZ' })];
    expect(record(normalizeEmployee(rows, opts())).event).toBe('data-change');
    expect(record(normalizeEmployee(rows, opts({ actions: { ZZZ: 'transfer' } }))).event).toBe('transfer');
    const p = normalizeEmployee(rows, opts({ strictCodes: true }));
    expect(p).toMatchObject({ key: 'E100', code: 'SOURCE_UNKNOWN_CODE', field: 'ACTION' });
  });

  it.each([
    [{ EFFDT: '2024-02-30' }, 'SOURCE_BAD_DATE'],
    [{ EFFDT: ' ' }, 'SOURCE_BAD_DATE'],
    [{ EMPL_RCD: 'x' }, 'SOURCE_BAD_VALUE'],
  ])('reports a row it cannot read (%j) as a problem with the key', (over, code) => {
    const p = normalizeEmployee([job({ EFFDT: '2020-01-01' }), job({ EFFDT: '2021-01-01', ...over })], opts());
    expect(p).toMatchObject({ key: 'E100', code, severity: 'error' });
  });

  it('takes the cursor from the highest JOB or PERSON update, read in the server zone', () => {
    const rows = [job({ EFFDT: '2020-01-01', LASTUPDDTTM: '2024-06-01-08.00.00.000000', PERSON_LASTUPD: '2024-06-02-07.30.00.000000' })];
    expect(record(normalizeEmployee(rows, opts())).cursor).toBe('2024-06-02T07:30:00.000Z');
    expect(record(normalizeEmployee(rows, opts({ serverTimezone: 'America/Chicago' }))).cursor).toBe('2024-06-02T12:30:00.000Z');
  });

  it('hashes content: the same rows give the same hash, a changed field a different one', () => {
    const a = record(normalizeEmployee([job({ EFFDT: '2020-01-01' })], opts()));
    const b = record(normalizeEmployee([job({ EFFDT: '2020-01-01' })], opts()));
    const c = record(normalizeEmployee([job({ EFFDT: '2020-01-01', JOB_TITLE: 'Lead' })], opts()));
    expect(a.hash).toBe(b.hash);
    expect(a.hash).not.toBe(c.hash);
  });
});

const vendorRow = (over: Record<string, string | number>): PsRow => cleanRow({
  SETID: 'SHARE', VENDOR_ID: '0000000007', NAME1: 'Acme Supply', NAME2: ' ', VENDOR_STATUS: 'A', VENDOR_CLASS: 'R',
  VENDOR_PERSISTENCE: 'R', ADDRESS_SEQ_NUM: 1, ADDR_EFFDT: '2020-01-01', ADDR_EFF_STATUS: 'A', ADDRESS1: '1 Old Road',
  ADDRESS2: ' ', CITY: 'Springfield', STATE: 'IL', POSTAL: '62701', COUNTRY: 'USA', EMAILID: 'ap@acme.example',
  PHONE: '555-0123', PYMNT_TERMS_CD: 'N30', LAST_ACTIVITY_DT: '2024-05-01', ...over,
});

describe('normalizeVendor', () => {
  it('keeps the current address while a new one waits for next month, then switches', () => {
    const rows = [vendorRow({}), vendorRow({ ADDR_EFFDT: '2024-07-01', ADDRESS1: '2 New Street' })];
    const now = record(normalizeVendor(vendorFromRows(rows), opts()));
    expect(now.key).toBe('SHARE-0000000007');
    expect(now.fields.ADDRESS1).toBe('1 Old Road');
    expect(now.scheduled).toEqual([{ effectiveDate: '2024-07-01', event: 'data-change', status: 'active' }]);
    expect(Object.keys(now.fields).sort()).toEqual([...SOURCE_FIELDS.vendors].sort());
    const later = record(normalizeVendor(vendorFromRows(rows), opts({}, '2024-07-01')));
    expect(later.fields.ADDRESS1).toBe('2 New Street');
    expect(later.hash).not.toBe(now.hash);
  });

  it('skips an address whose current row is inactive and takes the next sequence', () => {
    const rows = [
      vendorRow({}),
      vendorRow({ ADDR_EFFDT: '2023-01-01', ADDR_EFF_STATUS: 'I' }),
      vendorRow({ ADDRESS_SEQ_NUM: 2, ADDRESS1: '9 Other Ave' }),
    ];
    expect(record(normalizeVendor(vendorFromRows(rows), opts())).fields.ADDRESS1).toBe('9 Other Ave');
  });

  it.each([
    ['A', {}, 'active'],
    ['I', {}, 'inactive'],
    ['E', {}, 'inactive'],
    ['Q', {}, 'inactive'],
    ['E', { vendorStatus: { E: 'active' as const } }, 'active'],
  ])('VENDOR_STATUS %s with %j is %s', (code, over, status) => {
    expect(record(normalizeVendor(vendorFromRows([vendorRow({ VENDOR_STATUS: code })]), opts(over))).status).toBe(status);
  });

  it('reads a CI buffer: active location terms and first active contact', () => {
    const r = record(normalizeVendor({
      header: cleanRow({ SETID: 'SHARE', VENDOR_ID: '9', NAME1: 'Beta', VENDOR_STATUS: 'A' }),
      addresses: [cleanRow({ ADDRESS_SEQ_NUM: 1, EFFDT: '2020-01-01', EFF_STATUS: 'A', ADDRESS1: 'Main', CITY: 'X' })],
      locations: [
        cleanRow({ VNDR_LOC: 'A', EFFDT: '2020-01-01', EFF_STATUS: 'A', PYMNT_TERMS_CD: 'N30' }),
        cleanRow({ VNDR_LOC: 'A', EFFDT: '2024-01-01', EFF_STATUS: 'A', PYMNT_TERMS_CD: 'N45' }),
      ],
      contacts: [
        cleanRow({ CNTCT_SEQ_NUM: 1, EFFDT: '2020-01-01', EFF_STATUS: 'I', CONTACT_NAME: 'Gone' }),
        cleanRow({ CNTCT_SEQ_NUM: 2, EFFDT: '2020-01-01', EFF_STATUS: 'A', CONTACT_NAME: 'Bob', EMAILID: 'bob@beta.example', PHONE: ' ' }),
      ],
    }, opts()));
    expect(r.fields.PYMNT_TERMS_CD).toBe('N45');
    expect([r.fields.CONTACT_NAME, r.fields.CONTACT_EMAIL, r.fields.CONTACT_PHONE]).toEqual(['Bob', 'bob@beta.example', null]);
  });

  it('reports a vendor with an impossible address date', () => {
    expect(normalizeVendor(vendorFromRows([vendorRow({ ADDR_EFFDT: '2024-13-01' })]), opts())).toMatchObject({ key: 'SHARE-0000000007', code: 'SOURCE_BAD_DATE' });
  });
});
