/**
 * Hand-made PeopleSoft people and vendors for the connector's integration tests: one of each case
 * the issue names (future hire and termination, rehire on a second EMPL_RCD, leave and return,
 * transfer, blanks, a contractor, a vendor moving next month), served by the real simulator.
 */
import type { Employee, JobRow, PeopleSoftDataset, Vendor } from '../src/sim/dataset/index.js';
import { generateDataset } from '../src/sim/dataset/index.js';
import type { PeopleSoftConnection } from '../src/config/types.generated.js';

export const AS_OF = '2024-06-15';
export const NOON = Date.parse(`${AS_OF}T12:00:00Z`);

function job(over: Partial<JobRow>): JobRow {
  return {
    EMPL_RCD: 0, EFFDT: '2020-01-06', EFFSEQ: 0, PER_ORG: 'EMP', ACTION: 'HIR', ACTION_REASON: 'NHR', ACTION_DT: '2020-01-06',
    EMPL_STATUS: 'A', HR_STATUS: 'A', DEPTID: '10000', JOBCODE: '100100', LOCATION: 'CHI', COMPANY: 'NWS',
    BUSINESS_UNIT: 'US001', SUPERVISOR_ID: '900099', VENDOR_SETID: '', VENDOR_ID: '', LASTUPDDTTM: '2020-01-06-09.00.00.000000',
    ...over,
  };
}

function person(emplid: string, first: string, jobs: Partial<JobRow>[], over: Partial<Employee> = {}): Employee {
  return {
    EMPLID: emplid, FIRST_NAME: first, LAST_NAME: 'Tester', NAME_DISPLAY: `${first} Tester`, PREF_FIRST_NAME: '',
    LASTUPDDTTM: '2020-01-06-09.00.00.000000',
    emails: [
      { E_ADDR_TYPE: 'BUSN', EMAIL_ADDR: `${first.toLowerCase()}@firm.example`, PREF_EMAIL_FLAG: 'N' },
      { E_ADDR_TYPE: 'HOME', EMAIL_ADDR: `${first.toLowerCase()}@home.example`, PREF_EMAIL_FLAG: 'Y' },
    ],
    phones: [{ PHONE_TYPE: 'CELL', COUNTRY_CODE: '1', PHONE: '312-555-0100', EXTENSION: '', PREF_PHONE_FLAG: 'N' }],
    jobs: jobs.map(job),
    ...over,
  };
}

export function craftedEmployees(): Employee[] {
  return [
    person('900001', 'Future', [{ EFFDT: '2024-07-01', ACTION_DT: '2024-06-10', LASTUPDDTTM: '2024-06-10-10.00.00.000000' }]),
    person('900002', 'Leaving', [{}, { EFFDT: '2024-06-20', ACTION: 'TER', ACTION_REASON: 'RES', EMPL_STATUS: 'T', HR_STATUS: 'I', LASTUPDDTTM: '2024-06-03-10.00.00.000000' }]),
    person('900003', 'Returning', [
      { EFFDT: '2015-03-02' },
      { EFFDT: '2019-12-31', ACTION: 'TER', EMPL_STATUS: 'T', HR_STATUS: 'I' },
      { EMPL_RCD: 1, EFFDT: '2023-02-01', ACTION: 'REH', ACTION_REASON: 'REH', DEPTID: '20000', BUSINESS_UNIT: 'US002' },
    ]),
    person('900004', 'Leave', [{}, { EFFDT: '2024-02-01', ACTION: 'LOA', EMPL_STATUS: 'L' }, { EFFDT: '2024-06-01', ACTION: 'RFL', EMPL_STATUS: 'A' }]),
    person('900005', 'Mover', [{}, { EFFDT: '2024-05-01', ACTION: 'XFR', DEPTID: '30000', BUSINESS_UNIT: 'US002' }]),
    person('900006', 'Blank', [{ SUPERVISOR_ID: '', LOCATION: '' }], { emails: [], phones: [] }),
    person('900007', 'Contractor', [{ PER_ORG: 'CWR', JOBCODE: '900100', VENDOR_SETID: 'SHARE', VENDOR_ID: '0000000001' }]),
  ];
}

export function craftedVendors(): Vendor[] {
  const addr = { ADDRESS_SEQ_NUM: 1, EFFDT: '2020-01-01', EFF_STATUS: 'A' as const, ADDRESS1: '1 Old Road', ADDRESS2: '', ADDRESS3: '', ADDRESS4: '', CITY: 'Springfield', STATE: 'IL', POSTAL: '62701', COUNTRY: 'USA', EMAILID: 'ap@acme.example', PHONE: '217-555-0101' };
  return [
    {
      SETID: 'SHARE', VENDOR_ID: '0000000001', NAME1: 'Acme Staffing', NAME2: '', VENDOR_STATUS: 'A', VENDOR_CLASS: 'R', VENDOR_PERSISTENCE: 'R', LAST_ACTIVITY_DT: '2024-05-01',
      addresses: [{ ...addr, EFFDT: '2015-01-01', ADDRESS1: '0 Ancient Road' }, addr, { ...addr, EFFDT: '2024-07-01', ADDRESS1: '2 New Street' }],
      locations: [{ VNDR_LOC: 'MAIN', EFFDT: '2020-01-01', EFF_STATUS: 'A', PYMNT_TERMS_CD: 'N30' }],
      contacts: [{ CNTCT_SEQ_NUM: 1, EFFDT: '2020-01-01', EFF_STATUS: 'A', CONTACT_NAME: 'Ann Payable', CONTACT_TITLE: 'AP', EMAILID: 'ann@acme.example', PHONE: '' }],
    },
    {
      SETID: 'SHARE', VENDOR_ID: '0000000002', NAME1: 'Old Supplies', NAME2: 'Ltd', VENDOR_STATUS: 'I', VENDOR_CLASS: 'A', VENDOR_PERSISTENCE: 'O', LAST_ACTIVITY_DT: '2021-01-01',
      addresses: [{ ...addr, ADDRESS1: '5 Closed Lane' }], locations: [], contacts: [],
    },
  ];
}

/** A dataset holding only the crafted people and vendors (departments and job codes from the generator). */
export function craftedDataset(): PeopleSoftDataset {
  const data = generateDataset({ seed: 1, asOf: AS_OF, employees: 0, vendors: 0 });
  data.employees = craftedEmployees();
  data.vendors = craftedVendors();
  return data;
}

export const FAST_RETRY = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 40 };

export function hcmConnection(url: string, over: Partial<PeopleSoftConnection> = {}): PeopleSoftConnection {
  return {
    apiVersion: 'ml-connector/v1', kind: 'PeopleSoftConnection', name: 'peoplesoft-hcm', baseUrl: url, node: 'PSFT_HR',
    auth: { type: 'basic', username: 'ML_SYNC', password: '${env:PS_HCM_PASSWORD}' },
    timeouts: { requestMs: 5_000 }, retry: FAST_RETRY,
    readers: {
      employees: {
        kind: 'qas', query: 'ML_EMPLOYEES', maxRows: 5000, keyset: 'EMPLID',
        prompts: [
          { name: 'LASTUPD_FROM', value: '{since}' }, { name: 'LASTUPD_TO', value: '{until}' },
          { name: 'EFFDT_FROM', value: '{effdtFrom}' }, { name: 'EFFDT_TO', value: '{effdtTo}' }, { name: 'AFTER_EMPLID', value: '{after}' },
        ],
        changeDetection: { mode: 'cursor', cursorField: 'LASTUPDDTTM', overlapMinutes: 15, effectiveDateWindowDays: 1 },
      },
    },
    normalization: { serverTimezone: 'UTC', primaryJob: 'active-first' },
    ...over,
  };
}

export function fscmConnection(url: string, over: Partial<PeopleSoftConnection> = {}): PeopleSoftConnection {
  return {
    apiVersion: 'ml-connector/v1', kind: 'PeopleSoftConnection', name: 'peoplesoft-fscm', baseUrl: url, node: 'PSFT_EP',
    auth: { type: 'basic', username: 'ML_SYNC', password: '${env:PS_FSCM_PASSWORD}' },
    timeouts: { requestMs: 5_000 }, retry: FAST_RETRY, concurrency: 4,
    readers: { vendors: { kind: 'ci', component: 'VENDOR_CI', findKeys: { SETID: 'SHARE' }, getKeys: ['SETID', 'VENDOR_ID'], changeDetection: { mode: 'hash' } } },
    ...over,
  };
}

export const QAS_VENDORS = {
  kind: 'qas' as const, query: 'ML_VENDORS', maxRows: 5000, keyset: 'VENDOR_ID',
  prompts: [{ name: 'SETID', value: 'SHARE' }, { name: 'AFTER_VENDOR_ID', value: '{after}' }],
  changeDetection: { mode: 'hash' as const },
};

export const REST_EMPLOYEES = {
  kind: 'rest' as const, operation: 'ML_EMPL_CHANGES', version: 1, uriTemplate: 'changed/{since:date}/{until:date}', rowsPath: 'employees',
  paging: { pageParam: 'page', sizeParam: 'pagesize', pageSize: 50, moreField: 'more' },
};

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
