import type { Department, PeopleSoftDataset } from '../dataset/types.js';
import { columns, type Cell, type QueryResult } from './query-result.js';

/**
 * ML_DEPARTMENTS: every PS_DEPT_TBL row (history, current, future-dated), ordered SETID, DEPTID,
 * EFFDT. DESCRSHORT is the first ten characters of DESCR, as PeopleSoft's page defaults it;
 * MANAGER_ID and LOCATION are blank, as many customers leave them.
 */
export const DEPARTMENT_COLUMNS = columns(`
  A:SETID A:DEPTID A:EFFDT#d A:EFF_STATUS A:DESCR A:DESCRSHORT A:COMPANY A:MANAGER_ID A:LOCATION
`);

export interface DepartmentSelection {
  /** '' or undefined = every SETID. */
  setid?: string | undefined;
  /** Keyset paging: only DEPTIDs greater than this. */
  afterDeptid?: string | undefined;
  limit?: number | undefined;
}

const order = (a: Department, b: Department): number =>
  (a.SETID < b.SETID ? -1 : a.SETID > b.SETID ? 1 : 0) || (a.DEPTID < b.DEPTID ? -1 : a.DEPTID > b.DEPTID ? 1 : 0) || (a.EFFDT < b.EFFDT ? -1 : a.EFFDT > b.EFFDT ? 1 : 0);

export function selectDepartmentRows(data: PeopleSoftDataset, sel: DepartmentSelection): QueryResult {
  const rows: Cell[][] = [];
  const limit = sel.limit ?? Infinity;
  // Tests may append rows in any order; the query promises key order. Sorting a copy leaves the data as given.
  for (const d of [...data.departments].sort(order)) {
    if (rows.length >= limit) break;
    if (sel.setid && d.SETID !== sel.setid) continue;
    if (sel.afterDeptid && d.DEPTID <= sel.afterDeptid) continue;
    rows.push([d.SETID, d.DEPTID, d.EFFDT, d.EFF_STATUS, d.DESCR, d.DESCR.slice(0, 10), d.COMPANY, '', '']);
  }
  return { columns: DEPARTMENT_COLUMNS, rows };
}
