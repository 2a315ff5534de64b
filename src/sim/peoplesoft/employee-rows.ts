import { departmentOn, indexDepartments } from '../dataset/effective.js';
import type { Employee, JobRow, PeopleSoftDataset, PsDate, PsDateTime } from '../dataset/types.js';
import { columns, type Cell, type QueryResult } from './query-result.js';

/**
 * The columns of the ML_EMPLOYEES query and the ML_EMPL_CHANGES operation: one row per JOB row,
 * joined to the department (effective on the row's EFFDT), job code, primary name, emails,
 * phones and PERSON. Aliases follow the records a PS Query would join.
 */
export const EMPLOYEE_COLUMNS = columns(`
  A:EMPLID A:EMPL_RCD#n A:EFFDT#d A:EFFSEQ#n A:ACTION A:ACTION_REASON A:ACTION_DT#d A:EMPL_STATUS A:HR_STATUS
  A:PER_ORG A:DEPTID C:DEPT_DESCR A:JOBCODE D:JOB_TITLE A:LOCATION A:COMPANY A:BUSINESS_UNIT A:SUPERVISOR_ID
  A:VENDOR_SETID A:VENDOR_ID A:LASTUPDDTTM#t B:FIRST_NAME B:LAST_NAME B:NAME_DISPLAY B:PREF_FIRST_NAME
  E:EMAIL_BUSN F:EMAIL_HOME G:EMAIL_PREF_TYPE H:PHONE_BUSN I:PHONE_CELL J:PHONE_HOME K:PHONE_PREF_TYPE
  L:PERSON_LASTUPD#t
`);

export interface EmployeeSelection {
  /** Inclusive bounds on any JOB.LASTUPDDTTM or PERSON last update (normalised datetimes). */
  lastUpdFrom?: PsDateTime | undefined;
  lastUpdTo?: PsDateTime | undefined;
  /** Inclusive bounds on any JOB.EFFDT. */
  effdtFrom?: PsDate | undefined;
  effdtTo?: PsDate | undefined;
  /** Keyset paging: only EMPLIDs greater than this. */
  afterEmplid?: string | undefined;
  /** Row-level security: only rows of these business units. */
  businessUnits?: readonly string[] | undefined;
  /** Skip this many rows, then return at most `limit` (undefined = all). */
  offset?: number;
  limit?: number | undefined;
  /** Only the rows that match the bounds (quirks.changedRowsOnly), not every row of a selected person. */
  rowsMatching?: boolean;
  /** Control characters in some names (quirks.controlCharsInNames). */
  dirtyNames?: boolean;
}

/**
 * An employee is selected when a bound pair is in use (either side given; the empty side is open)
 * and any of their rows falls inside it; with both pairs in use either may match; with none,
 * everyone. A selected employee contributes ALL their JOB rows, ordered EMPLID, EMPL_RCD, EFFDT, EFFSEQ.
 */
export function selectEmployeeRows(data: PeopleSoftDataset, sel: EmployeeSelection): QueryResult {
  ensureSorted(data.employees);
  const depts = indexDepartments(data.departments);
  const titles = new Map(data.jobcodes.map((j) => [j.JOBCODE, j.DESCR]));
  const visible = sel.businessUnits === undefined ? undefined : new Set(sel.businessUnits);
  const rows: Cell[][] = [];
  let skip = sel.offset ?? 0;
  const limit = sel.limit ?? Infinity;
  const employees = data.employees;
  const { isSelected, rowMatches } = selector(sel);
  for (let i = sel.afterEmplid === undefined ? 0 : firstAfter(employees, sel.afterEmplid); i < employees.length; i++) {
    const e = employees[i] as Employee;
    if (rows.length >= limit) break;
    if (!isSelected(e)) continue;
    let person: Cell[] | undefined;
    const wholePerson = !sel.rowsMatching || rowMatches(e.LASTUPDDTTM, undefined);
    for (const job of e.jobs) {
      if (visible !== undefined && !visible.has(job.BUSINESS_UNIT)) continue;
      if (!wholePerson && !rowMatches(job.LASTUPDDTTM, job.EFFDT)) continue;
      if (skip > 0) {
        skip--;
        continue;
      }
      if (rows.length >= limit) break;
      person ??= personCells(e, sel.dirtyNames === true);
      const dept = departmentOn(depts, job.DEPTID, job.EFFDT);
      const cells = jobCells(e.EMPLID, job, dept?.DESCR ?? '', titles.get(job.JOBCODE) ?? '');
      for (const cell of person) cells.push(cell);
      rows.push(cells);
    }
  }
  return { columns: EMPLOYEE_COLUMNS, rows };
}

/**
 * Build the selection tests once per query (they run for every employee): whether a person is
 * selected, and whether one row matches (a last update, and an EFFDT when the row has one).
 */
function selector(sel: EmployeeSelection): { isSelected: (e: Employee) => boolean; rowMatches: (updated: string, effdt: string | undefined) => boolean } {
  const { lastUpdFrom, lastUpdTo, effdtFrom, effdtTo } = sel;
  const byUpdate = lastUpdFrom !== undefined || lastUpdTo !== undefined;
  const byEffdt = effdtFrom !== undefined || effdtTo !== undefined;
  if (!byUpdate && !byEffdt) return { isSelected: () => true, rowMatches: () => true };
  const inUpdate = (t: string): boolean =>
    byUpdate && (lastUpdFrom === undefined || t >= lastUpdFrom) && (lastUpdTo === undefined || t <= lastUpdTo);
  const inEffdt = (d: string): boolean =>
    byEffdt && (effdtFrom === undefined || d >= effdtFrom) && (effdtTo === undefined || d <= effdtTo);
  const rowMatches = (updated: string, effdt: string | undefined): boolean => inUpdate(updated) || (effdt !== undefined && inEffdt(effdt));
  return {
    rowMatches,
    isSelected: (e) => {
      if (inUpdate(e.LASTUPDDTTM)) return true;
      for (const job of e.jobs) if (rowMatches(job.LASTUPDDTTM, job.EFFDT)) return true;
      return false;
    },
  };
}

/** quirks.controlCharsInNames: what a paste or a conversion program leaves in a name. */
export const dirtyNameOf = (id: string): boolean => id.endsWith('3');

function jobCells(emplid: string, j: JobRow, deptDescr: string, title: string): Cell[] {
  return [
    emplid, j.EMPL_RCD, j.EFFDT, j.EFFSEQ, j.ACTION, j.ACTION_REASON, j.ACTION_DT, j.EMPL_STATUS, j.HR_STATUS,
    j.PER_ORG, j.DEPTID, deptDescr, j.JOBCODE, title, j.LOCATION, j.COMPANY, j.BUSINESS_UNIT, j.SUPERVISOR_ID,
    j.VENDOR_SETID, j.VENDOR_ID, j.LASTUPDDTTM,
  ];
}

function personCells(e: Employee, dirtyNames: boolean): Cell[] {
  const email = (type: string): string => e.emails.find((m) => m.E_ADDR_TYPE === type)?.EMAIL_ADDR ?? '';
  const phone = (type: string): string => e.phones.find((p) => p.PHONE_TYPE === type)?.PHONE ?? '';
  const dirty = dirtyNames && dirtyNameOf(e.EMPLID);
  return [
    dirty ? `${e.FIRST_NAME}\u0000` : e.FIRST_NAME,
    dirty && e.LAST_NAME.length > 1 ? `${e.LAST_NAME.slice(0, 1)}\u001b${e.LAST_NAME.slice(1)}` : e.LAST_NAME,
    dirty ? `${e.NAME_DISPLAY}\ud83d` : e.NAME_DISPLAY,
    e.PREF_FIRST_NAME,
    email('BUSN'), email('HOME'), e.emails.find((m) => m.PREF_EMAIL_FLAG === 'Y')?.E_ADDR_TYPE ?? '',
    phone('BUSN'), phone('CELL'), phone('HOME'), e.phones.find((p) => p.PREF_PHONE_FLAG === 'Y')?.PHONE_TYPE ?? '',
    e.LASTUPDDTTM,
  ];
}

/** Index of the first employee whose EMPLID sorts after `emplid` (the list is sorted). */
function firstAfter(employees: Employee[], emplid: string): number {
  let lo = 0;
  let hi = employees.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((employees[mid] as Employee).EMPLID <= emplid) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The list length at which each employee list was last seen sorted. */
const checkedSorted = new WeakMap<Employee[], number>();

/**
 * Tests and scenarios may append employees out of order; queries promise EMPLID order. A list
 * is re-checked only when its length changed (in-place EMPLID edits are not expected).
 */
function ensureSorted(employees: Employee[]): void {
  if (checkedSorted.get(employees) === employees.length) return;
  for (let i = 1; i < employees.length; i++) {
    if ((employees[i - 1] as Employee).EMPLID > (employees[i] as Employee).EMPLID) {
      employees.sort((a, b) => (a.EMPLID < b.EMPLID ? -1 : a.EMPLID > b.EMPLID ? 1 : 0));
      break;
    }
  }
  checkedSorted.set(employees, employees.length);
}
