/**
 * Whole histories (docs/peoplesoft.md, "Whole histories"). A person's fields come from all of
 * their JOB rows (hire date, termination date, the current row among future ones), so a read that
 * returns only the rows changed since the watermark must be completed before it is normalized.
 * A reader with `history: changed-rows` merges the rows it read with the person's last complete
 * history from the state (compact JOB rows per person, written by apply); a full read returns
 * whole histories and so (re)seeds them. Pure: the state is reached through a loader.
 */
import { createHash } from 'node:crypto';
import type { StoredHistory } from '../model/index.js';
import type { NormalizeOptions } from './codes.js';
import { parsePsDate, parsePsDateTime } from './dates.js';
import { eventOf } from './normalize-employee.js';
import type { PsRow, PsValue } from './rows.js';
import type { ReadWindow } from './window.js';

/**
 * The JOB-level columns a stored history keeps; everything else on a row (names, emails, phones,
 * PERSON_LASTUPD) describes the person today and is taken from the rows just read.
 */
export const HISTORY_COLUMNS = [
  'EMPL_RCD', 'EFFDT', 'EFFSEQ', 'ACTION', 'ACTION_REASON', 'ACTION_DT', 'EMPL_STATUS', 'HR_STATUS', 'PER_ORG', 'DEPTID',
  'DEPT_DESCR', 'JOBCODE', 'JOB_TITLE', 'LOCATION', 'COMPANY', 'BUSINESS_UNIT', 'SUPERVISOR_ID', 'VENDOR_SETID', 'VENDOR_ID',
  'LASTUPDDTTM',
] as const;

/**
 * The state scope of a reader's histories: the connection and entity (`peoplesoft-hcm/employees`).
 * Histories are facts about PeopleSoft, so every mapping reading that source shares them.
 */
export function historyScope(connection: string, entity: string): string {
  return `${connection}/${entity}`;
}

/** Bumped when the stored layout changes; a history in another layout counts as not stored. */
const FORMAT = 1;

function columnsFor(cursorField: string): string[] {
  const cols: string[] = [...HISTORY_COLUMNS];
  if (!cols.includes(cursorField)) cols.push(cursorField);
  return cols;
}

const num = (v: PsValue | undefined): number => {
  const n = Number(v ?? 0);
  return Number.isFinite(n) ? n : 0;
};
const PLAIN_DATE = /^\d{4}-\d{2}-\d{2}$/;
const dateOf = (v: PsValue | undefined): string => {
  const t = v === null || v === undefined ? '' : String(v);
  // Most EFFDTs are plain dates already; parsing them again cost most of a merge.
  return PLAIN_DATE.test(t) ? t : (parsePsDate(t) ?? t);
};

/** A JOB row's identity: EMPL_RCD, EFFDT, EFFSEQ (the keys of PS_JOB below EMPLID). */
export function rowIdentity(row: PsRow): string {
  return `${num(row.EMPL_RCD)}|${dateOf(row.EFFDT)}|${num(row.EFFSEQ)}`;
}

/** A person's whole history as the state stores it: JOB columns only, rows in key order, a 16-hex hash. */
export function encodeHistory(rows: PsRow[], cursorField: string): StoredHistory {
  const cols = columnsFor(cursorField);
  const keyed = rows.map((r) => ({ rcd: num(r.EMPL_RCD), effdt: dateOf(r.EFFDT), seq: num(r.EFFSEQ), r }));
  keyed.sort((a, b) => a.rcd - b.rcd || (a.effdt < b.effdt ? -1 : a.effdt > b.effdt ? 1 : 0) || a.seq - b.seq);
  const data = JSON.stringify({ v: FORMAT, c: cursorField, r: keyed.map(({ r }) => cols.map((c) => r[c] ?? null)) });
  return { hash: createHash('sha256').update(data).digest('hex').slice(0, 16), data };
}

/** The stored JOB rows, or undefined when the text is in another layout (or damaged): then the history is not known. */
export function decodeHistory(stored: StoredHistory | undefined, cursorField: string): PsRow[] | undefined {
  if (stored === undefined) return undefined;
  try {
    const doc = JSON.parse(stored.data) as { v?: unknown; c?: unknown; r?: unknown };
    if (doc.v !== FORMAT || doc.c !== cursorField || !Array.isArray(doc.r)) return undefined;
    const cols = columnsFor(cursorField);
    return (doc.r as unknown[]).map((values) => {
      const row: PsRow = {};
      cols.forEach((c, i) => {
        row[c] = (values as PsValue[])[i] ?? null;
      });
      return row;
    });
  } catch {
    return undefined;
  }
}

/**
 * The stored rows completed with what was just read: a row read replaces the stored row of the
 * same identity and new rows are added. Stored rows carry JOB columns only; the person's columns
 * (names, emails…) come from the rows read (pass `read`'s last row to normalizeEmployee as the
 * person). A row deleted in PeopleSoft since the history was stored stays until the next full read.
 */
export function mergeHistory(stored: PsRow[], read: PsRow[]): PsRow[] {
  const readIds = new Set(read.map(rowIdentity));
  const merged = [...read];
  for (const row of stored) if (!readIds.has(rowIdentity(row))) merged.push(row);
  return merged;
}

/** Whether the rows hold a hire or rehire (a whole history always does, back to the person's start). */
export function hasHireRow(rows: PsRow[], o: NormalizeOptions): boolean {
  return rows.some((r) => {
    const e = eventOf(r, o);
    return 'ok' in e && (e.ok === 'hire' || e.ok === 'rehire');
  });
}

/** Whether a row matches an incremental window: saved since its start, or effective inside its dates. */
function inWindow(row: PsRow, window: ReadWindow, o: NormalizeOptions): boolean {
  const since = window.since === undefined ? NaN : Date.parse(window.since);
  const saved = row[o.cursorField];
  const savedMs = saved === null || saved === undefined ? undefined : parsePsDateTime(String(saved), o.timeZone);
  if (savedMs !== undefined && savedMs >= since) return true;
  const effdt = dateOf(row.EFFDT);
  return window.effdtFrom !== undefined && window.effdtTo !== undefined && effdt >= window.effdtFrom && effdt <= window.effdtTo;
}

/**
 * The sign of a query that returns changed rows although the reader says `history: whole`: in an
 * incremental read, a person none of whose rows is a hire or rehire, and every row of whom falls
 * inside the window (a whole history reaches back to the person's start, outside the window).
 */
export function looksPartial(rows: PsRow[], window: ReadWindow, o: NormalizeOptions): boolean {
  if (window.mode !== 'incremental') return false;
  return !hasHireRow(rows, o) && rows.every((r) => inWindow(r, window, o));
}
