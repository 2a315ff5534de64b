import { MlError } from '../../support/errors.js';
import { isPsDate, normalizeDateTimeBound, toPsDate } from './dates.js';
import { JOBCODES, buildDepartments } from './firm.js';
import { sortJobs } from './generate-employees.js';
import {
  DATASET_VERSION, type Department, type Email, type Employee, type JobRow, type Jobcode, type PeopleSoftDataset,
  type Phone, type Vendor, type VendorAddress, type VendorContact, type VendorLocation,
} from './types.js';

/**
 * The JSON fixture format is the dataset itself (docs/simulators.md). Loading is strict about
 * names and types (a typo such as `EMPLSTATUS` is an error, not a silently ignored column) and
 * kind about omissions: a missing optional column takes its default, so a test can state only
 * the fields it cares about.
 */
export function loadFixture(json: unknown): PeopleSoftDataset {
  const root = asObject(json, '$');
  checkKeys(root, ['version', 'asOf', 'seed', 'scenarioDay', 'departments', 'jobcodes', 'employees', 'vendors'], '$');
  if (root.version !== undefined && root.version !== DATASET_VERSION) fail('$.version', `must be ${DATASET_VERSION}`);
  const asOf = root.asOf === undefined ? toPsDate(Date.now()) : readDate(root.asOf, '$.asOf');
  const employees = asArray(root.employees ?? [], '$.employees').map((e, i) => readEmployee(e, `$.employees[${i}]`));
  const vendors = asArray(root.vendors ?? [], '$.vendors').map((v, i) => readVendor(v, `$.vendors[${i}]`));
  employees.sort((a, b) => compare(a.EMPLID, b.EMPLID));
  vendors.sort((a, b) => compare(a.SETID, b.SETID) || compare(a.VENDOR_ID, b.VENDOR_ID));
  for (let i = 1; i < employees.length; i++) {
    if (employees[i]?.EMPLID === employees[i - 1]?.EMPLID) fail('$.employees', `EMPLID ${employees[i]?.EMPLID} appears twice`);
  }
  return {
    version: DATASET_VERSION,
    asOf,
    seed: root.seed === undefined ? 0 : readNumber(root.seed, '$.seed'),
    scenarioDay: root.scenarioDay === undefined ? 0 : readNumber(root.scenarioDay, '$.scenarioDay'),
    departments: root.departments === undefined
      ? buildDepartments(asOf)
      : asArray(root.departments, '$.departments').map((d, i) => readRecord<Department>(d, DEPARTMENT, ['DEPTID'], `$.departments[${i}]`)),
    jobcodes: root.jobcodes === undefined
      ? JOBCODES.map((j) => ({ ...j }))
      : asArray(root.jobcodes, '$.jobcodes').map((j, i) => readRecord<Jobcode>(j, JOBCODE, ['JOBCODE'], `$.jobcodes[${i}]`)),
    employees,
    vendors,
  };
}

/** The dataset as plain JSON (a deep copy: later changes to the live data do not leak into it). */
export function dumpFixture(dataset: PeopleSoftDataset): unknown {
  return structuredClone(dataset);
}

const DEPARTMENT: Department = { SETID: 'SHARE', DEPTID: '', EFFDT: '1900-01-01', EFF_STATUS: 'A', DESCR: '', COMPANY: '' };
const JOBCODE: Jobcode = { SETID: 'SHARE', JOBCODE: '', DESCR: '' };
const JOB: JobRow = {
  EMPL_RCD: 0, EFFDT: '', EFFSEQ: 0, PER_ORG: 'EMP', ACTION: 'HIR', ACTION_REASON: '', ACTION_DT: '', EMPL_STATUS: 'A',
  HR_STATUS: 'A', DEPTID: '', JOBCODE: '', LOCATION: '', COMPANY: '', BUSINESS_UNIT: '', SUPERVISOR_ID: '',
  VENDOR_SETID: '', VENDOR_ID: '', LASTUPDDTTM: '',
};
const EMAIL: Email = { E_ADDR_TYPE: 'BUSN', EMAIL_ADDR: '', PREF_EMAIL_FLAG: 'N' };
const PHONE: Phone = { PHONE_TYPE: 'BUSN', COUNTRY_CODE: '', PHONE: '', EXTENSION: '', PREF_PHONE_FLAG: 'N' };
const ADDRESS: VendorAddress = {
  ADDRESS_SEQ_NUM: 1, EFFDT: '', EFF_STATUS: 'A', ADDRESS1: '', ADDRESS2: '', ADDRESS3: '', ADDRESS4: '', CITY: '',
  STATE: '', POSTAL: '', COUNTRY: '', EMAILID: '', PHONE: '',
};
const LOCATION: VendorLocation = { VNDR_LOC: '1', EFFDT: '', EFF_STATUS: 'A', PYMNT_TERMS_CD: '' };
const CONTACT: VendorContact = { CNTCT_SEQ_NUM: 1, EFFDT: '', EFF_STATUS: 'A', CONTACT_NAME: '', CONTACT_TITLE: '', EMAILID: '', PHONE: '' };

function readEmployee(raw: unknown, path: string): Employee {
  const o = asObject(raw, path);
  checkKeys(o, ['EMPLID', 'FIRST_NAME', 'LAST_NAME', 'NAME_DISPLAY', 'PREF_FIRST_NAME', 'LASTUPDDTTM', 'emails', 'phones', 'jobs'], path);
  const jobs = sortJobs(asArray(o.jobs ?? [], `${path}.jobs`).map((j, i) => readJob(j, `${path}.jobs[${i}]`)));
  const first = readString(o.FIRST_NAME ?? '', `${path}.FIRST_NAME`);
  const last = readString(o.LAST_NAME ?? '', `${path}.LAST_NAME`);
  const earliest = jobs.reduce<string | undefined>((m, j) => (m === undefined || j.LASTUPDDTTM < m ? j.LASTUPDDTTM : m), undefined);
  return {
    EMPLID: readRequiredString(o.EMPLID, `${path}.EMPLID`),
    FIRST_NAME: first,
    LAST_NAME: last,
    NAME_DISPLAY: o.NAME_DISPLAY === undefined ? `${first} ${last}`.trim() : readString(o.NAME_DISPLAY, `${path}.NAME_DISPLAY`),
    PREF_FIRST_NAME: readString(o.PREF_FIRST_NAME ?? '', `${path}.PREF_FIRST_NAME`),
    LASTUPDDTTM: o.LASTUPDDTTM === undefined
      ? (earliest ?? '1900-01-01-00.00.00.000000')
      : readDateTime(o.LASTUPDDTTM, `${path}.LASTUPDDTTM`),
    emails: asArray(o.emails ?? [], `${path}.emails`).map((e, i) => readRecord<Email>(e, EMAIL, ['E_ADDR_TYPE'], `${path}.emails[${i}]`)),
    phones: asArray(o.phones ?? [], `${path}.phones`).map((p, i) => readRecord<Phone>(p, PHONE, ['PHONE_TYPE'], `${path}.phones[${i}]`)),
    jobs,
  };
}

function readJob(raw: unknown, path: string): JobRow {
  const job = readRecord<JobRow>(raw, JOB, ['EFFDT'], path);
  if (job.ACTION_DT === '') job.ACTION_DT = job.EFFDT;
  job.LASTUPDDTTM = job.LASTUPDDTTM === '' ? `${job.EFFDT}-00.00.00.000000` : readDateTime(job.LASTUPDDTTM, `${path}.LASTUPDDTTM`);
  return job;
}

function readVendor(raw: unknown, path: string): Vendor {
  const o = asObject(raw, path);
  const { addresses, locations, contacts, ...header } = o;
  const base = readRecord<Omit<Vendor, 'addresses' | 'locations' | 'contacts'>>(
    header,
    { SETID: 'SHARE', VENDOR_ID: '', NAME1: '', NAME2: '', VENDOR_STATUS: 'A', VENDOR_CLASS: 'R', VENDOR_PERSISTENCE: 'R', LAST_ACTIVITY_DT: '' },
    ['VENDOR_ID'],
    path,
  );
  const byKeyThenDate = <T extends { EFFDT: string }>(key: (r: T) => string | number) => (a: T, b: T): number =>
    compare(key(a), key(b)) || compare(a.EFFDT, b.EFFDT);
  const vendor: Vendor = {
    ...base,
    addresses: asArray(addresses ?? [], `${path}.addresses`)
      .map((a, i) => readRecord<VendorAddress>(a, ADDRESS, ['ADDRESS_SEQ_NUM', 'EFFDT'], `${path}.addresses[${i}]`))
      .sort(byKeyThenDate((r) => r.ADDRESS_SEQ_NUM)),
    locations: asArray(locations ?? [], `${path}.locations`)
      .map((l, i) => readRecord<VendorLocation>(l, LOCATION, ['EFFDT'], `${path}.locations[${i}]`))
      .sort(byKeyThenDate((r) => r.VNDR_LOC)),
    contacts: asArray(contacts ?? [], `${path}.contacts`)
      .map((c, i) => readRecord<VendorContact>(c, CONTACT, ['EFFDT'], `${path}.contacts[${i}]`))
      .sort(byKeyThenDate((r) => r.CNTCT_SEQ_NUM)),
  };
  if (vendor.LAST_ACTIVITY_DT === '') vendor.LAST_ACTIVITY_DT = vendor.addresses[0]?.EFFDT ?? '1900-01-01';
  return vendor;
}

/** Read an object with exactly the keys of `defaults` (types checked, dates validated). */
function readRecord<T extends object>(raw: unknown, defaults: T, required: Array<keyof T & string>, path: string): T {
  const o = asObject(raw, path);
  checkKeys(o, Object.keys(defaults), path);
  const out: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(defaults)) {
    const value = o[key];
    if (value === undefined) {
      if ((required as string[]).includes(key)) fail(`${path}.${key}`, 'is required');
      out[key] = def;
      continue;
    }
    if (typeof value !== typeof def) fail(`${path}.${key}`, `must be a ${typeof def}`);
    if ((key === 'EFFDT' || key.endsWith('_DT')) && !isPsDate(value as string)) fail(`${path}.${key}`, 'must be a date YYYY-MM-DD');
    out[key] = value;
  }
  return out as T;
}

function checkKeys(o: Record<string, unknown>, allowed: string[], path: string): void {
  for (const key of Object.keys(o)) if (!allowed.includes(key)) fail(`${path}.${key}`, `is not a known field (known: ${allowed.join(', ')})`);
}

function asObject(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'must be an object');
  return v as Record<string, unknown>;
}

function asArray(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, 'must be an array');
  return v as unknown[];
}

function readString(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, 'must be a string');
  return v as string;
}

function readRequiredString(v: unknown, path: string): string {
  const s = readString(v ?? fail(path, 'is required'), path);
  if (s.trim() === '') fail(path, 'must not be blank');
  return s;
}

function readNumber(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, 'must be a number');
  return v as number;
}

function readDate(v: unknown, path: string): string {
  const s = readString(v, path);
  if (!isPsDate(s)) fail(path, 'must be a date YYYY-MM-DD');
  return s;
}

function readDateTime(v: unknown, path: string): string {
  const s = readString(v, path);
  const normalized = normalizeDateTimeBound(s, false);
  if (normalized === undefined) fail(path, 'must be YYYY-MM-DD-HH.MM.SS.ffffff or YYYY-MM-DD');
  return normalized as string;
}

function compare(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function fail(path: string, problem: string): never {
  throw new MlError('SIM_FIXTURE_INVALID', `Simulator fixture: ${path} ${problem}.`, {
    meta: { path },
    hint: 'Fix the fixture file; its format is described in docs/simulators.md.',
  });
}
