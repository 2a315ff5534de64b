/**
 * All PS_DEPT_TBL rows of one department (SETID + DEPTID: history, current, future-dated) → one
 * source record as of a date. Effective dating as for every PeopleSoft control table: the row in
 * force is the one with the greatest EFFDT ≤ as-of; EFF_STATUS 'I' there makes the department
 * inactive from that date on (a closed department); later rows are scheduled changes. Pure.
 */
import type { RecordProblem, ScheduledChange, SourceRecord, SourceValue } from '../model/index.js';
import type { NormalizeOptions } from './codes.js';
import { parsePsDate } from './dates.js';
import { hashRecord } from './hash.js';
import { maxCursor } from './normalize-employee.js';
import type { PsRow, PsValue } from './rows.js';

const str = (v: PsValue | undefined): string | null => (v === null || v === undefined ? null : String(v).trim() || null);

interface DeptRow { effdt: string; status: 'active' | 'inactive'; row: PsRow }

export function normalizeDepartment(rows: PsRow[], o: NormalizeOptions): SourceRecord | RecordProblem {
  const first = rows[0] ?? {};
  const setid = str(first.SETID);
  const deptid = str(first.DEPTID);
  const key = setid !== null && deptid !== null ? `${setid}-${deptid}` : (deptid ?? setid ?? '');
  const problem = (code: string, message: string, field?: string): RecordProblem => ({ key, code, message, severity: 'error', ...(field ? { field } : {}) });
  if (setid === null || deptid === null) return problem('SOURCE_NO_KEY', 'department row without SETID or DEPTID', setid === null ? 'SETID' : 'DEPTID');

  const dated: DeptRow[] = [];
  for (const row of rows) {
    const text = str(row.EFFDT);
    const effdt = text === null ? undefined : parsePsDate(text);
    if (effdt === undefined) return problem('SOURCE_BAD_DATE', `EFFDT ${text === null ? 'is blank' : `"${text}" is not a date`}`, 'EFFDT');
    const code = str(row.EFF_STATUS) ?? 'A';
    if (code !== 'A' && code !== 'I') {
      if (o.strictCodes) return problem('SOURCE_UNKNOWN_CODE', `unknown EFF_STATUS "${code}" (A or I)`, 'EFF_STATUS');
    }
    dated.push({ effdt, status: code === 'A' ? 'active' : 'inactive', row });
  }
  dated.sort((a, b) => (a.effdt < b.effdt ? -1 : a.effdt > b.effdt ? 1 : 0));
  const now = dated.filter((d) => d.effdt <= o.asOf).at(-1);
  // A department that only exists from a future date is not in force yet: inactive until then.
  const base = now ?? dated[0]!;
  const status = now ? now.status : 'inactive';
  const scheduled: ScheduledChange[] = dated.filter((d) => d.effdt > o.asOf).map((d) => ({ effectiveDate: d.effdt, event: 'data-change', status: d.status }));

  const r = base.row;
  const fields: Record<string, SourceValue> = {
    SETID: setid,
    DEPTID: deptid,
    DEPT_KEY: key,
    DESCR: str(r.DESCR),
    DESCRSHORT: str(r.DESCRSHORT),
    COMPANY: str(r.COMPANY),
    MANAGER_ID: str(r.MANAGER_ID),
    LOCATION: str(r.LOCATION),
    EFFDT: base.effdt,
    EFF_STATUS: str(r.EFF_STATUS) ?? 'A',
    STATUS: status,
    EVENT: null,
  };
  const cursor = maxCursor(rows, [o.cursorField], o.timeZone);
  const record: SourceRecord = {
    entity: 'departments',
    key,
    fields,
    status,
    ...(now ? { effectiveDate: now.effdt } : {}),
    ...(scheduled.length > 0 ? { scheduled } : {}),
    ...(cursor !== undefined ? { cursor } : {}),
    hash: '',
  };
  record.hash = hashRecord(record);
  return record;
}
