/**
 * All JOB rows of one person (history, current and future-dated, every EMPL_RCD) → one source
 * record as of a date. Effective dating per reference §3.3: per job, the current row is the one
 * with the max EFFDT ≤ as-of, then the max EFFSEQ; later rows are scheduled changes. Pure.
 */
import type { LifecycleEvent, RecordProblem, ScheduledChange, SourceRecord, SourceValue } from '../model/index.js';
import { DEFAULT_HR_STATUS, type NormalizeOptions, type PersonStatus } from './codes.js';
import { parsePsDate, parsePsDateTime } from './dates.js';
import { hashRecord } from './hash.js';
import type { PsRow, PsValue } from './rows.js';

interface JobRow {
  rcd: number;
  effdt: string;
  effseq: number;
  status: PersonStatus;
  event: LifecycleEvent | undefined;
  row: PsRow;
}

type Result<T> = { ok: T } | { problem: Omit<RecordProblem, 'key' | 'severity'> };

const str = (v: PsValue | undefined): string | null => (v === null || v === undefined ? null : String(v).trim() || null);
const num = (v: PsValue | undefined, fallback: number): number => {
  if (v === null || v === undefined || v === '') return fallback;
  const n = Number(v);
  return Number.isFinite(n) ? n : NaN;
};

/** The status a row's EMPL_STATUS (or, when blank, HR_STATUS) stands for. */
export function statusOf(row: PsRow, o: NormalizeOptions): Result<PersonStatus> {
  const empl = str(row.EMPL_STATUS);
  const hr = str(row.HR_STATUS);
  if (empl !== null) {
    const s = o.emplStatus[empl];
    if (s === undefined) {
      if (o.strictCodes) return { problem: { code: 'SOURCE_UNKNOWN_CODE', field: 'EMPL_STATUS', message: `unknown EMPL_STATUS "${empl}"; add it to normalization.emplStatus` } };
      return { ok: 'inactive' };
    }
    // HR_STATUS I means the job is inactive whatever the payroll status says.
    return { ok: s === 'active' && hr === 'I' ? 'inactive' : s };
  }
  const s = hr !== null ? DEFAULT_HR_STATUS[hr] : undefined;
  if (s !== undefined) return { ok: s };
  if (o.strictCodes) return { problem: { code: 'SOURCE_UNKNOWN_CODE', field: 'EMPL_STATUS', message: 'neither EMPL_STATUS nor HR_STATUS holds a known code' } };
  return { ok: 'inactive' };
}

/** The lifecycle event of a row's ACTION. */
export function eventOf(row: PsRow, o: NormalizeOptions): Result<LifecycleEvent | undefined> {
  const action = str(row.ACTION);
  if (action === null) return { ok: undefined };
  const e = o.actions[action];
  if (e !== undefined) return { ok: e };
  if (o.strictCodes) return { problem: { code: 'SOURCE_UNKNOWN_CODE', field: 'ACTION', message: `unknown ACTION "${action}"; add it to normalization.actions` } };
  return { ok: 'data-change' };
}

function readRow(row: PsRow, o: NormalizeOptions): Result<JobRow> {
  const effdtText = str(row.EFFDT);
  const effdt = effdtText === null ? undefined : parsePsDate(effdtText);
  if (effdt === undefined) return { problem: { code: 'SOURCE_BAD_DATE', field: 'EFFDT', message: `EFFDT ${effdtText === null ? 'is blank' : `"${effdtText}" is not a date`}` } };
  const rcd = num(row.EMPL_RCD, 0);
  const effseq = num(row.EFFSEQ, 0);
  if (Number.isNaN(rcd) || Number.isNaN(effseq)) return { problem: { code: 'SOURCE_BAD_VALUE', field: 'EMPL_RCD', message: `EMPL_RCD/EFFSEQ is not a number (${String(row.EMPL_RCD)}/${String(row.EFFSEQ)})` } };
  const status = statusOf(row, o);
  if ('problem' in status) return status;
  const event = eventOf(row, o);
  if ('problem' in event) return event;
  return { ok: { rcd, effdt, effseq, status: status.ok, event: event.ok, row } };
}

const byDate = (a: JobRow, b: JobRow): number => (a.effdt < b.effdt ? -1 : a.effdt > b.effdt ? 1 : a.effseq - b.effseq);

/** Pick the preferred value: the type PeopleSoft flags preferred, then the configured order. */
function pickPreferred(row: PsRow, prefix: 'EMAIL' | 'PHONE', prefType: PsValue | undefined, order: string[]): { value: string | null; type: string | null } {
  const pref = str(prefType);
  for (const type of pref !== null ? [pref, ...order] : order) {
    const v = str(row[`${prefix}_${type}`]);
    if (v !== null) return { value: v, type };
  }
  return { value: null, type: null };
}

/** The highest cursor (ISO) among the rows, reading zone-less datetimes in the server zone. */
export function maxCursor(rows: PsRow[], columns: string[], timeZone: string): string | undefined {
  let max: number | undefined;
  for (const row of rows) {
    for (const c of columns) {
      const t = str(row[c]);
      if (t === null) continue;
      const ms = parsePsDateTime(t, timeZone);
      if (ms !== undefined && (max === undefined || ms > max)) max = ms;
    }
  }
  return max === undefined ? undefined : new Date(max).toISOString();
}

/**
 * Normalize one person's rows (all sharing one EMPLID) into a source record, or a problem. The
 * person's own columns (names, emails, phones) come from the current row, or from `person` when
 * given: a history completed from the state carries JOB columns only, and the rows just read say
 * who the person is today.
 */
export function normalizeEmployee(rows: PsRow[], o: NormalizeOptions, person?: PsRow): SourceRecord | RecordProblem {
  const key = str(rows[0]?.EMPLID) ?? '';
  const problem = (p: Omit<RecordProblem, 'key' | 'severity'>): RecordProblem => ({ key, severity: 'error', ...p });
  if (key === '') return problem({ code: 'SOURCE_NO_KEY', message: 'row without EMPLID' });

  const jobs = new Map<number, JobRow[]>();
  for (const row of rows) {
    const r = readRow(row, o);
    if ('problem' in r) return problem(r.problem);
    const list = jobs.get(r.ok.rcd) ?? [];
    list.push(r.ok);
    jobs.set(r.ok.rcd, list);
  }
  const rcds = [...jobs.keys()].sort((a, b) => a - b);
  const current = new Map<number, JobRow>();
  for (const rcd of rcds) {
    const list = jobs.get(rcd)!.sort(byDate);
    const now = list.filter((j) => j.effdt <= o.asOf).at(-1);
    if (now) current.set(rcd, now);
  }

  const primary = choosePrimary(rcds, current, o.primaryJob);
  const history = jobs.get(primary)!;
  const now = current.get(primary);
  const base = now ?? history.find((j) => j.effdt > o.asOf) ?? history[0]!;
  const status: PersonStatus = now ? now.status : 'inactive';
  const event = now?.event;

  const pastOrToday = history.filter((j) => j.effdt <= o.asOf);
  const hire = pastOrToday.filter((j) => j.event === 'hire' || j.event === 'rehire').at(-1);
  let termination: string | null = null;
  if (now && status === 'inactive') {
    // The start of the current inactive streak: later data changes do not move the termination date.
    let i = pastOrToday.length - 1;
    while (i > 0 && pastOrToday[i - 1]!.status === 'inactive') i--;
    termination = pastOrToday[i]!.effdt;
  }

  const scheduled: ScheduledChange[] = history.filter((j) => j.effdt > o.asOf).map(toScheduled);
  for (const rcd of rcds) {
    if (rcd === primary) continue;
    for (const j of jobs.get(rcd)!) if (j.effdt > o.asOf && (j.event === 'hire' || j.event === 'rehire')) scheduled.push(toScheduled(j));
  }
  scheduled.sort((a, b) => (a.effectiveDate < b.effectiveDate ? -1 : a.effectiveDate > b.effectiveDate ? 1 : 0));

  const r = base.row;
  const p = person ?? r;
  const email = pickPreferred(p, 'EMAIL', p.EMAIL_PREF_TYPE, o.emailTypes);
  const phone = pickPreferred(p, 'PHONE', p.PHONE_PREF_TYPE, o.phoneTypes);
  const perOrg = str(r.PER_ORG);
  const vSetid = str(r.VENDOR_SETID);
  const vId = str(r.VENDOR_ID);
  const cursor = maxCursor(rows, [o.cursorField, 'PERSON_LASTUPD'], o.timeZone);

  const fields: Record<string, SourceValue> = {
    EMPLID: key,
    EMPL_RCD: primary,
    FIRST_NAME: str(p.FIRST_NAME),
    LAST_NAME: str(p.LAST_NAME),
    PREF_FIRST_NAME: str(p.PREF_FIRST_NAME),
    NAME_DISPLAY: str(p.NAME_DISPLAY),
    EMAIL: email.value,
    EMAIL_TYPE: email.type,
    EMAIL_BUSN: str(p.EMAIL_BUSN),
    EMAIL_HOME: str(p.EMAIL_HOME),
    PHONE: phone.value,
    PHONE_TYPE: phone.type,
    PHONE_BUSN: str(p.PHONE_BUSN),
    PHONE_CELL: str(p.PHONE_CELL),
    PHONE_HOME: str(p.PHONE_HOME),
    DEPTID: str(r.DEPTID),
    DEPT_DESCR: str(r.DEPT_DESCR),
    JOBCODE: str(r.JOBCODE),
    JOB_TITLE: str(r.JOB_TITLE),
    LOCATION: str(r.LOCATION),
    COMPANY: str(r.COMPANY),
    BUSINESS_UNIT: str(r.BUSINESS_UNIT),
    PER_ORG: perOrg,
    SUPERVISOR_ID: str(r.SUPERVISOR_ID),
    VENDOR_SETID: vSetid,
    VENDOR_ID: vId,
    VENDOR_KEY: perOrg === 'CWR' && vSetid !== null && vId !== null ? `${vSetid}-${vId}` : null,
    ACTION: str(r.ACTION),
    ACTION_REASON: str(r.ACTION_REASON),
    EFFDT: base.effdt,
    EMPL_STATUS: str(r.EMPL_STATUS),
    HR_STATUS: str(r.HR_STATUS),
    STATUS: status,
    EVENT: event ?? null,
    HIRE_DT: hire?.effdt ?? null,
    TERMINATION_DT: termination,
    LASTUPDDTTM: cursor ?? null,
  };
  const record: SourceRecord = {
    entity: 'employees',
    key,
    fields,
    status,
    ...(event !== undefined ? { event } : {}),
    ...(now ? { effectiveDate: now.effdt } : {}),
    ...(scheduled.length > 0 ? { scheduled } : {}),
    ...(cursor !== undefined ? { cursor } : {}),
    hash: '',
  };
  record.hash = hashRecord(record);
  return record;
}

function toScheduled(j: JobRow): ScheduledChange {
  return { effectiveDate: j.effdt, status: j.status, ...(j.event !== undefined ? { event: j.event } : {}) };
}

/**
 * The person's primary job: `record-zero` → EMPL_RCD 0 (or the lowest there is);
 * `active-first` → the lowest EMPL_RCD whose current row is active, else EMPL_RCD 0 (or the lowest).
 */
function choosePrimary(rcds: number[], current: Map<number, JobRow>, rule: NormalizeOptions['primaryJob']): number {
  const zero = rcds.includes(0) ? 0 : rcds[0]!;
  if (rule === 'record-zero') return zero;
  return rcds.find((rcd) => current.get(rcd)?.status === 'active') ?? zero;
}
