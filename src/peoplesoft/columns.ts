/**
 * The columns the normalizers read, and where a customer's query may call them something else.
 * Keys are the canonical names (the data contract of docs/peoplesoft.md); values the column names
 * in the query's answer after alias prefixes are stripped. The defaults are the identity: a query
 * written for ml-connector uses these names. Pass overrides to readSourceRecords (`columns`) to
 * read a query whose columns differ. Email and phone columns follow `EMAIL_<TYPE>` / `PHONE_<TYPE>`
 * for each configured type.
 */
import type { PsRow } from './rows.js';

export const DEFAULT_EMPLOYEE_COLUMNS = [
  'EMPLID', 'EMPL_RCD', 'EFFDT', 'EFFSEQ', 'ACTION', 'ACTION_REASON', 'ACTION_DT', 'EMPL_STATUS',
  'HR_STATUS', 'PER_ORG', 'DEPTID', 'DEPT_DESCR', 'JOBCODE', 'JOB_TITLE', 'LOCATION', 'COMPANY',
  'BUSINESS_UNIT', 'SUPERVISOR_ID', 'VENDOR_SETID', 'VENDOR_ID', 'LASTUPDDTTM', 'FIRST_NAME',
  'LAST_NAME', 'NAME_DISPLAY', 'PREF_FIRST_NAME', 'EMAIL_PREF_TYPE', 'PHONE_PREF_TYPE', 'PERSON_LASTUPD',
] as const;

export const DEFAULT_VENDOR_COLUMNS = [
  'SETID', 'VENDOR_ID', 'NAME1', 'NAME2', 'VENDOR_STATUS', 'VENDOR_CLASS', 'VENDOR_PERSISTENCE',
  'ADDRESS_SEQ_NUM', 'ADDR_EFFDT', 'ADDR_EFF_STATUS', 'ADDRESS1', 'ADDRESS2', 'ADDRESS3', 'ADDRESS4',
  'CITY', 'STATE', 'POSTAL', 'COUNTRY', 'EMAILID', 'PHONE', 'PYMNT_TERMS_CD', 'LAST_ACTIVITY_DT',
] as const;

export const DEFAULT_DEPARTMENT_COLUMNS = [
  'SETID', 'DEPTID', 'EFFDT', 'EFF_STATUS', 'DESCR', 'DESCRSHORT', 'COMPANY', 'MANAGER_ID', 'LOCATION',
] as const;

/** Canonical column name → the customer's column name. */
export type ColumnMap = Record<string, string>;

/** A function that renames a row's columns to canonical names, or the identity when nothing is renamed. */
export function createRenamer(map: ColumnMap | undefined): (row: PsRow) => PsRow {
  const pairs = Object.entries(map ?? {}).filter(([canonical, source]) => canonical !== source);
  if (pairs.length === 0) return (row) => row;
  return (row) => {
    const out: PsRow = { ...row };
    for (const [canonical, source] of pairs) {
      if (source in row) {
        out[canonical] = row[source] ?? null;
        delete out[source];
      }
    }
    return out;
  };
}
