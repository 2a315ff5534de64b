import type { Department, Employee, JobRow, PsDate } from './types.js';

/**
 * PeopleSoft's effective-dating rule: the row in force on `asOf` is the one with the greatest
 * EFFDT ≤ asOf, and among those the greatest EFFSEQ. Rows after asOf are future-dated.
 * `rows` must be sorted by EFFDT, EFFSEQ (as the dataset keeps them).
 */
export function currentRow<T extends { EFFDT: PsDate; EFFSEQ?: number }>(rows: readonly T[], asOf: PsDate): T | undefined {
  let found: T | undefined;
  for (const row of rows) {
    if (row.EFFDT <= asOf) found = row;
    else break;
  }
  return found;
}

/** The current JOB row of one EMPL_RCD. */
export function currentJob(employee: Employee, asOf: PsDate, emplRcd = 0): JobRow | undefined {
  return currentRow(employee.jobs.filter((j) => j.EMPL_RCD === emplRcd), asOf);
}

export function hasFutureRows(employee: Employee, asOf: PsDate): boolean {
  return employee.jobs.some((j) => j.EFFDT > asOf);
}

/** Index PS_DEPT_TBL by DEPTID, rows in EFFDT order, for effective-dated lookups. */
export function indexDepartments(departments: readonly Department[]): Map<string, Department[]> {
  const byId = new Map<string, Department[]>();
  for (const d of departments) {
    const list = byId.get(d.DEPTID) ?? [];
    list.push(d);
    byId.set(d.DEPTID, list);
  }
  for (const list of byId.values()) list.sort((a, b) => (a.EFFDT < b.EFFDT ? -1 : a.EFFDT > b.EFFDT ? 1 : 0));
  return byId;
}

/** The department row effective on a date (the row a JOB row of that EFFDT joins to). */
export function departmentOn(index: Map<string, Department[]>, deptid: string, on: PsDate): Department | undefined {
  const rows = index.get(deptid);
  if (rows === undefined) return undefined;
  return currentRow(rows, on) ?? rows[0];
}
