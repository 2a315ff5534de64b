import { toPsDate, toPsDateTime } from './dates.js';
import { currentJob, currentRow, hasFutureRows, indexDepartments, departmentOn } from './effective.js';
import { FIRM } from './firm.js';
import { sortJobs } from './generate-employees.js';
import { FIRST_EMPLID } from './generate.js';
import { generateAddress, generateName, generatePhone } from './names.js';
import { Random, deriveSeed } from './random.js';
import type { Employee, JobRow, PeopleSoftDataset, PsDate, PsDateTime, Vendor, VendorAddress } from './types.js';

/** What one scenario day changed, so a demo can narrate it and a test can expect exact plans. */
export interface ScenarioDayReport {
  /** Scenario day number (1 for the first nextDay). */
  day: number;
  /** The new "today". */
  date: PsDate;
  /** LASTUPDDTTM stamped on every row written today. */
  lastUpdated: PsDateTime;
  hires: Array<{ emplid: string; name: string; deptid: string; businessUnit: string }>;
  rehire: { emplid: string; emplRcd: number; deptid: string } | null;
  termination: { emplid: string; emplRcd: number; deptid: string } | null;
  transfer: { emplid: string; emplRcd: number; fromDeptid: string; toDeptid: string; toDeptDescr: string } | null;
  vendorAddressChange: {
    setid: string;
    vendorId: string;
    addressSeqNum: number;
    from: Pick<VendorAddress, 'ADDRESS1' | 'CITY' | 'STATE' | 'POSTAL' | 'COUNTRY'>;
    to: Pick<VendorAddress, 'ADDRESS1' | 'CITY' | 'STATE' | 'POSTAL' | 'COUNTRY'>;
  } | null;
}

/**
 * Apply one day of scripted HR and purchasing events at instant `now` (the caller has already
 * moved its clock): exactly two hires, one rehire, one termination, one transfer and one vendor
 * address change, all effective today and stamped with `now`. Choices are deterministic for a
 * given dataset seed and day. An event without a candidate (a tiny fixture) is reported as null.
 */
export function applyScenarioDay(data: PeopleSoftDataset, now: number): ScenarioDayReport {
  data.scenarioDay += 1;
  const today = toPsDate(now);
  const stamp = toPsDateTime(now);
  const rng = new Random(deriveSeed(data.seed, `scenario-day-${data.scenarioDay}`));
  const depts = indexDepartments(data.departments);
  const activeDepts = [...depts.keys()].filter((id) => departmentOn(depts, id, today)?.EFF_STATUS === 'A').sort();
  const touched = new Set<string>();
  const pick = (candidates: Employee[]): Employee | undefined => {
    const free = candidates.filter((e) => !touched.has(e.EMPLID));
    if (free.length === 0) return undefined;
    const chosen = rng.pick(free);
    touched.add(chosen.EMPLID);
    return chosen;
  };

  const settled = data.employees.filter((e) => !hasFutureRows(e, today) && e.jobs.length > 0);
  const activeEmployees = settled.filter((e) => {
    const job = currentJob(e, today);
    return job !== undefined && job.PER_ORG === 'EMP' && job.HR_STATUS === 'A' && job.EMPL_STATUS === 'A';
  });
  const terminated = settled.filter((e) => {
    const jobs = [0, 1].map((rcd) => currentJob(e, today, rcd)).filter((j): j is JobRow => j !== undefined);
    return jobs.length > 0 && jobs.every((j) => j.HR_STATUS === 'I') && jobs[0]?.EMPL_STATUS === 'T' && jobs[0].PER_ORG === 'EMP';
  });

  const rehired = pick(terminated);
  const rehire = rehired ? appendJob(rehired, 0, today, stamp, 'REH', 'REH', {}) : undefined;
  const terminatedToday = pick(activeEmployees);
  const termination = terminatedToday ? appendJob(terminatedToday, 0, today, stamp, 'TER', 'VOL', {}) : undefined;
  const moved = pick(activeEmployees);
  let transfer: ScenarioDayReport['transfer'] = null;
  if (moved) {
    const from = currentJob(moved, today) as JobRow;
    const toDeptid = rng.pick(activeDepts.filter((d) => d !== from.DEPTID).concat(activeDepts.length > 1 ? [] : [from.DEPTID]));
    appendJob(moved, 0, today, stamp, 'XFR', 'DPT', { DEPTID: toDeptid });
    transfer = {
      emplid: moved.EMPLID, emplRcd: 0, fromDeptid: from.DEPTID, toDeptid,
      toDeptDescr: departmentOn(depts, toDeptid, today)?.DESCR ?? '',
    };
  }

  const hires = [hire(data, rng, today, stamp, activeDepts, activeEmployees), hire(data, rng, today, stamp, activeDepts, activeEmployees)];

  return {
    day: data.scenarioDay,
    date: today,
    lastUpdated: stamp,
    hires: hires.map((e) => {
      const job = e.jobs[0] as JobRow;
      return { emplid: e.EMPLID, name: e.NAME_DISPLAY, deptid: job.DEPTID, businessUnit: job.BUSINESS_UNIT };
    }),
    rehire: rehired && rehire ? { emplid: rehired.EMPLID, emplRcd: 0, deptid: rehire.DEPTID } : null,
    termination: terminatedToday && termination ? { emplid: terminatedToday.EMPLID, emplRcd: 0, deptid: termination.DEPTID } : null,
    transfer,
    vendorAddressChange: moveVendor(data, rng, today),
  };
}

/** Insert a JOB row effective today, copying the row in force (EFFSEQ+1 if one exists today). */
function appendJob(e: Employee, emplRcd: number, today: PsDate, stamp: PsDateTime, action: string, reason: string, changes: Partial<JobRow>): JobRow {
  const base = currentJob(e, today, emplRcd) as JobRow;
  const status = action === 'TER' ? { EMPL_STATUS: 'T', HR_STATUS: 'I' as const } : { EMPL_STATUS: 'A', HR_STATUS: 'A' as const };
  const row: JobRow = {
    ...base,
    ...status,
    ...changes,
    EFFDT: today,
    EFFSEQ: base.EFFDT === today ? base.EFFSEQ + 1 : 0,
    ACTION: action,
    ACTION_REASON: reason,
    ACTION_DT: today,
    LASTUPDDTTM: stamp,
  };
  e.jobs.push(row);
  sortJobs(e.jobs);
  return row;
}

function hire(data: PeopleSoftDataset, rng: Random, today: PsDate, stamp: PsDateTime, depts: string[], managers: Employee[]): Employee {
  const highest = data.employees.reduce((m, e) => {
    const n = Number(e.EMPLID);
    return Number.isSafeInteger(n) && n > m ? n : m;
  }, FIRST_EMPLID - 1);
  const name = generateName(rng);
  const bu = rng.chance(0.7) ? FIRM.businessUnits[0] : FIRM.businessUnits[1];
  const jobcodes = data.jobcodes.filter((j) => !j.JOBCODE.startsWith('9')).map((j) => j.JOBCODE);
  const supervisor = managers.length > 0 ? rng.pick(managers).EMPLID : '';
  const local = `${name.ascii[0]}.${name.ascii[1]}`.normalize('NFKD').replace(/[^a-z0-9.-]/g, '');
  const employee: Employee = {
    EMPLID: String(highest + 1),
    FIRST_NAME: name.FIRST_NAME,
    LAST_NAME: name.LAST_NAME,
    NAME_DISPLAY: name.NAME_DISPLAY,
    PREF_FIRST_NAME: name.PREF_FIRST_NAME,
    LASTUPDDTTM: stamp,
    emails: [{ E_ADDR_TYPE: 'BUSN', EMAIL_ADDR: `${local}@${FIRM.emailDomain}`, PREF_EMAIL_FLAG: 'Y' }],
    phones: [{ PHONE_TYPE: 'BUSN', COUNTRY_CODE: '', PHONE: generatePhone(rng, bu.area), EXTENSION: '', PREF_PHONE_FLAG: 'Y' }],
    jobs: [{
      EMPL_RCD: 0, EFFDT: today, EFFSEQ: 0, PER_ORG: 'EMP', ACTION: 'HIR', ACTION_REASON: 'NHR', ACTION_DT: today,
      EMPL_STATUS: 'A', HR_STATUS: 'A', DEPTID: depts.length > 0 ? rng.pick(depts) : '', JOBCODE: jobcodes.length > 0 ? rng.pick(jobcodes) : '',
      LOCATION: bu.LOCATION, COMPANY: FIRM.company, BUSINESS_UNIT: bu.BUSINESS_UNIT, SUPERVISOR_ID: supervisor,
      VENDOR_SETID: '', VENDOR_ID: '', LASTUPDDTTM: stamp,
    }],
  };
  data.employees.push(employee); // the highest EMPLID so far: the list stays sorted
  return employee;
}

/** A new primary address row effective today for one approved vendor. */
function moveVendor(data: PeopleSoftDataset, rng: Random, today: PsDate): ScenarioDayReport['vendorAddressChange'] {
  const candidates = data.vendors.filter(
    (v) => v.VENDOR_STATUS === 'A' && v.addresses.some((a) => a.ADDRESS_SEQ_NUM === 1) && v.addresses.every((a) => a.EFFDT < today),
  );
  if (candidates.length === 0) return null;
  const vendor: Vendor = rng.pick(candidates);
  const current = currentRow(vendor.addresses.filter((a) => a.ADDRESS_SEQ_NUM === 1), today) as VendorAddress;
  const next = generateAddress(rng);
  const row: VendorAddress = { ...current, ...next, EFFDT: today, EFF_STATUS: 'A' };
  vendor.addresses.push(row);
  vendor.addresses.sort((a, b) => a.ADDRESS_SEQ_NUM - b.ADDRESS_SEQ_NUM || (a.EFFDT < b.EFFDT ? -1 : 1));
  vendor.LAST_ACTIVITY_DT = today;
  const pickAddr = (a: VendorAddress) => ({ ADDRESS1: a.ADDRESS1, CITY: a.CITY, STATE: a.STATE, POSTAL: a.POSTAL, COUNTRY: a.COUNTRY });
  return { setid: vendor.SETID, vendorId: vendor.VENDOR_ID, addressSeqNum: 1, from: pickAddr(current), to: pickAddr(row) };
}
