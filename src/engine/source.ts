/**
 * A mapping's source, a page of records at a time: PeopleSoft read through the connection's
 * reader, slimmed to the fields the mapping reads, filtered by content hash where the reader has
 * no cursor, and counted for the guards and the next watermark. Nothing is kept of a page once
 * it is planned but counters and the highest cursor.
 */
import type { Mapping } from '../config/types.generated.js';
import { readStaticRecords, sourceFieldsUsed } from '../mapping/index.js';
import type { RecordProblem, SourceRecord } from '../model/index.js';
import { peopleSoftSource, zohoFieldsBySource } from '../config/index.js';
import { computeReadWindow, historyScope, readSourceRecords, type ReadWindow } from '../peoplesoft/index.js';
import { addDays, dateInZone } from '../peoplesoft/dates.js';
import { MlError } from '../support/errors.js';
import type { Session } from './session.js';

export const SOURCE_PAGE = 1000;

export interface SourcePageRead {
  records: SourceRecord[];
  problems: RecordProblem[];
  /** Stored content hashes of this page's keys (hash change detection), for the planner's source notes. */
  storedHashes?: ReadonlyMap<string, string>;
}

export interface SourceFacts {
  /** Records read before change filtering, plus rows that failed: for `minSourceRows` and `maxDrop`. */
  rowCount: number;
  complete: boolean;
  /** Where the next incremental read starts (the highest cursor read, capped at the window's end). */
  cursor: string | undefined;
}

export interface MappingSource {
  window: ReadWindow;
  hashMode: boolean;
  /** A full read after an earlier apply: was this record changed since then (only those carry their event)? */
  recent?: (r: SourceRecord) => boolean;
  /** Whether a record's lifecycle event happened since the last apply (the planner labels only those). */
  newEvent: (r: SourceRecord) => boolean;
  pages(signal?: AbortSignal): AsyncGenerator<SourcePageRead>;
  facts(): SourceFacts;
}

export interface OpenSourceOptions {
  mode: 'full' | 'incremental';
  previousCursor: string | undefined;
  now: number;
  /** When this mapping was last applied (its watermark's time): events since then are news. */
  lastApplied?: string | undefined;
  /** Source fields to keep (default: those the mapping reads). */
  fields?: readonly string[];
  /** More source fields to keep: those sibling mappings' scopes test (to tell whose a record is). */
  alsoRead?: Iterable<string>;
}

/** Records written in the configuration (`source.static`): always the whole set, one page, nothing to read. */
function staticSource(mapping: Mapping, now: number, timezone: string | undefined): MappingSource {
  const window = computeReadWindow({ now, full: true, timezone });
  const records = readStaticRecords(mapping);
  return {
    window,
    hashMode: false,
    // Static records carry no events: nothing to label.
    newEvent: () => false,
    async *pages() {
      yield { records, problems: [] };
    },
    facts: () => ({ rowCount: records.length, complete: true, cursor: window.until }),
  };
}

export function openSource(session: Session, mapping: Mapping, o: OpenSourceOptions): MappingSource {
  const ps = peopleSoftSource(mapping);
  if (ps === undefined) return staticSource(mapping, o.now, session.config.project.defaults?.timezone);
  const conn = session.config.peoplesoft.get(ps.connection);
  if (!conn) throw new MlError('PS_CONNECTION_NOT_FOUND', `Mapping ${mapping.name}: no PeopleSoft connection "${ps.connection}".`, { hint: 'Check source.connection.' });
  const entity = ps.entity;
  const reader = conn.readers[entity];
  const schedule = [...session.config.schedules.values()].find((s) => s.mappings.includes(mapping.name));
  const windowOf = (full: boolean): ReadWindow => computeReadWindow({
    watermark: o.previousCursor !== undefined ? { cursor: o.previousCursor } : undefined,
    now: o.now, full,
    changeDetection: reader?.changeDetection,
    overlapMinutes: schedule?.window?.overlapMinutes,
    lookbackDays: schedule?.window?.lookbackDays,
    timezone: session.config.project.defaults?.timezone,
  });
  const window = windowOf(o.mode === 'full');
  const hashMode = reader?.changeDetection?.mode === 'hash';
  // A full read after an earlier apply: which records changed in PeopleSoft since then (the others
  // change because of the mapping). Exact, not the read window (which overlaps the last run on
  // purpose): a row entered after the last read, or one that became effective after the last
  // apply's day. Hash change detection answers it with the stored hashes (the planner's default).
  const lastDate = o.lastApplied !== undefined && Number.isFinite(Date.parse(o.lastApplied)) ? dateInZone(Date.parse(o.lastApplied), session.config.project.defaults?.timezone ?? 'UTC') : undefined;
  const lastCursorMs = o.previousCursor !== undefined ? Date.parse(o.previousCursor) : NaN;
  const recent = o.mode === 'full' && !hashMode && lastDate !== undefined && Number.isFinite(lastCursorMs)
    ? (r: SourceRecord): boolean => (r.cursor !== undefined && Date.parse(r.cursor) > lastCursorMs) || (r.effectiveDate !== undefined && r.effectiveDate > lastDate)
    : undefined;
  const newEvent = eventIsNews(window.asOf, o, schedule?.window?.lookbackDays ?? reader?.changeDetection?.effectiveDateWindowDays ?? 1, session.config.project.defaults?.timezone);
  // The fields the mapping reads, and those its sibling mappings' scopes test (to tell whose a record is).
  const used = [...new Set([...(o.fields ?? sourceFieldsUsed(mapping)), ...(o.alsoRead ?? [])])];
  let rowCount = 0;
  const previousMs = o.previousCursor !== undefined ? Date.parse(o.previousCursor) : -Infinity;
  const capMs = Date.parse(window.until);
  let maxCursor = Number.isFinite(previousMs) ? previousMs : -Infinity;

  /** Only what planning needs: a normalized employee has ~40 fields, a mapping reads ~15. */
  const slim = (r: SourceRecord): SourceRecord => {
    const fields: SourceRecord['fields'] = {};
    for (const name of used) {
      const v = r.fields[name];
      if (v !== undefined) fields[name] = v;
    }
    const out: SourceRecord = { entity: r.entity, key: r.key, fields, status: r.status, hash: r.hash };
    if (r.event !== undefined) out.event = r.event;
    if (r.cursor !== undefined) out.cursor = r.cursor;
    if (r.effectiveDate !== undefined) out.effectiveDate = r.effectiveDate;
    if (r.scheduled !== undefined) out.scheduled = r.scheduled;
    if (r.history !== undefined) out.history = r.history;
    return out;
  };

  async function* pages(signal?: AbortSignal): AsyncGenerator<SourcePageRead> {
    if (!conn) return;
    const client = await session.peoplesoft(conn.name);
    let page: SourcePageRead = { records: [], problems: [] };
    const flush = async (): Promise<SourcePageRead> => {
      const full = page;
      page = { records: [], problems: [] };
      if (hashMode && full.records.length > 0) {
        const stored = await session.store.getSourceHashesByKeys(mapping.name, full.records.map((r) => r.key));
        full.storedHashes = stored;
        // Hash change detection: everything was read; only records whose content changed are planned.
        if (o.mode === 'incremental') full.records = full.records.filter((r) => stored.get(r.key) !== r.hash);
      }
      return full;
    };
    // Readers of changed rows (history: changed-rows) complete each person from the stored history.
    const scope = historyScope(conn.name, entity);
    const read = readSourceRecords(client, conn, entity, window, {
      ...(signal ? { signal } : {}),
      loadHistories: (keys) => session.store.getHistories(scope, keys),
      zohoFields: zohoFieldsBySource(mapping),
    });
    for await (const r of read) {
      if (!('hash' in r)) {
        if (r.severity === 'error') rowCount += 1;
        page.problems.push({ ...r, mapping: mapping.name });
        continue;
      }
      rowCount += 1;
      if (r.cursor !== undefined) {
        const ms = Math.min(Date.parse(r.cursor), capMs);
        if (Number.isFinite(ms) && ms > maxCursor) maxCursor = ms;
      }
      page.records.push(slim(r));
      if (page.records.length >= SOURCE_PAGE) yield await flush();
    }
    if (page.records.length > 0 || page.problems.length > 0) yield await flush();
  }

  return {
    window,
    hashMode,
    ...(recent ? { recent } : {}),
    newEvent,
    pages,
    facts: () => ({
      rowCount,
      complete: window.mode === 'full',
      cursor: Number.isFinite(maxCursor) ? new Date(maxCursor).toISOString() : window.until,
    }),
  };
}

/**
 * When a record's lifecycle event is news: its current row became effective after the day of the
 * last apply, or on that day and the person's rows changed since (entered after the apply). The
 * first time a mapping is planned, only events of the last `lookbackDays` are: an initial sync is
 * not 150 hires. Anything else is history, however recently the record changed for another reason
 * (a 2017 hire renamed today is labelled by the rename's cause, not as a hire).
 */
function eventIsNews(asOf: string, o: OpenSourceOptions, lookbackDays: number, timezone: string | undefined): (r: SourceRecord) => boolean {
  const lastMs = o.lastApplied !== undefined ? Date.parse(o.lastApplied) : NaN;
  if (!Number.isFinite(lastMs)) {
    const from = addDays(asOf, -lookbackDays);
    return (r) => r.effectiveDate !== undefined && r.effectiveDate >= from;
  }
  const lastDate = dateInZone(lastMs, timezone ?? 'UTC');
  const cursorMs = o.previousCursor !== undefined ? Date.parse(o.previousCursor) : NaN;
  return (r) => {
    if (r.effectiveDate === undefined) return false;
    if (r.effectiveDate > lastDate) return true;
    return r.effectiveDate === lastDate && r.cursor !== undefined && Number.isFinite(cursorMs) && Date.parse(r.cursor) > cursorMs;
  };
}

/**
 * Every source record of a mapping as of now (a full read), a page at a time, keeping `fields`
 * (e.g. `plan --base`, which maps each record with two versions of the mapping).
 */
export async function* readFullSource(session: Session, mapping: Mapping, o: { now?: number; signal?: AbortSignal; fields?: readonly string[] } = {}): AsyncGenerator<SourceRecord[]> {
  const source = openSource(session, mapping, { mode: 'full', previousCursor: undefined, now: o.now ?? session.clock.now(), ...(o.fields ? { fields: o.fields } : {}) });
  for await (const page of source.pages(o.signal)) yield page.records;
}
