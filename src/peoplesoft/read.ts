/**
 * readSourceRecords: rows from the configured reader → source records, streamed. Rows arrive in
 * key order (the readers guarantee whole keys per page), are grouped per key and normalized one
 * key at a time, so memory holds one page and one record, never the whole read. Per page: the
 * stored histories of its people are loaded in one call (readers with `history: changed-rows`),
 * and every record's text is cleaned. A record that cannot be read is a problem with its key;
 * only what makes the whole read untrustworthy throws.
 */
import { describeGap, fieldNeeds, findQueryGaps } from '../config/source-columns.js';
import type { PeopleSoftConnection, Reader } from '../config/types.generated.js';
import type { HistoryLoader, RecordProblem, SourceEntity, SourceRecord, StoredHistory } from '../model/index.js';
import { ConfigError } from '../support/errors.js';
import { cleanRecordText } from './clean-text.js';
import type { PeopleSoftClient } from './client.js';
import { resolveNormalization, type NormalizeOptions } from './codes.js';
import { createRenamer, type ColumnMap } from './columns.js';
import { parsePsDateTime } from './dates.js';
import { decodeHistory, encodeHistory, hasHireRow, looksPartial, mergeHistory } from './history.js';
import { KeyGrouper, type RowGroup } from './key-groups.js';
import { normalizeDepartment } from './normalize-department.js';
import { normalizeEmployee } from './normalize-employee.js';
import { normalizeVendor, vendorFromRows } from './normalize-vendor.js';
import { readCiItems } from './read-ci.js';
import type { ReadContext } from './read-context.js';
import { readQasPages } from './read-qas.js';
import { readRestPages } from './read-rest.js';
import type { PsRow } from './rows.js';
import type { PlaceholderValues } from './urls.js';
import type { ReadWindow } from './window.js';

export interface ReadOptions {
  signal?: AbortSignal;
  /** Canonical column → the query's column, for queries whose columns are named differently. */
  columns?: ColumnMap;
  /**
   * The stored whole histories of some keys (`(keys) => store.getHistories(scope, keys)`), called
   * once per page. Readers with `history: changed-rows` need it for incremental reads; without it
   * every person whose rows are not a whole history is a problem.
   */
  loadHistories?: HistoryLoader;
  /**
   * Source field → the Zoho fields a mapping writes from it (config `zohoFieldsBySource`): a query
   * that lacks a column is then reported with the Zoho fields that stay empty, and only when the
   * mapping reads a field the column feeds.
   */
  zohoFields?: Readonly<Record<string, readonly string[]>>;
}

export function readerFor(conn: PeopleSoftConnection, entity: SourceEntity): Reader {
  const reader = conn.readers[entity];
  if (!reader) {
    throw new ConfigError('PS_NO_READER', `Connection ${conn.name} has no reader for ${entity}`, {
      meta: { connection: conn.name, entity },
      hint: `Add readers.${entity} to the connection, or point the mapping at the connection that has it.`,
    });
  }
  return reader;
}

/** Lower bound of a full read: PS Query makes date prompts required, so a full read sends a floor, not a blank. */
export const FULL_READ_FROM = '1900-01-01';

/**
 * Prompt and template values for a window. A full read binds the bounds wide open: from
 * FULL_READ_FROM to a day past now (a PeopleSoft clock slightly ahead of ours loses nothing).
 */
export function placeholderValues(window: ReadWindow, timeZone = 'UTC'): PlaceholderValues {
  if (window.mode === 'full') {
    return {
      since: parsePsDateTime(FULL_READ_FROM, timeZone),
      until: Date.parse(window.until) + 86_400_000,
      effdtFrom: FULL_READ_FROM,
      effdtTo: window.asOf,
      asOf: window.asOf,
    };
  }
  return {
    since: window.since !== undefined ? Date.parse(window.since) : undefined,
    until: Date.parse(window.until),
    effdtFrom: window.effdtFrom,
    effdtTo: window.effdtTo,
    asOf: window.asOf,
  };
}

const text = (v: PsRow[string] | undefined): string => (v === null || v === undefined ? '' : String(v).trim());
const KEY_OF: Record<SourceEntity, (r: PsRow) => string> = {
  employees: (r) => text(r.EMPLID),
  vendors: (r) => (text(r.SETID) && text(r.VENDOR_ID) ? `${text(r.SETID)}-${text(r.VENDOR_ID)}` : ''),
  departments: (r) => (text(r.SETID) && text(r.DEPTID) ? `${text(r.SETID)}-${text(r.DEPTID)}` : ''),
};

const KEY_FIELDS: Record<SourceEntity, string> = { employees: 'EMPLID', vendors: 'SETID/VENDOR_ID', departments: 'SETID/DEPTID' };

type Item = SourceRecord | RecordProblem;

/** How one reader's person rows become a record: as read, merged with the stored history, or refused. */
interface HistoryPlan {
  mode: 'whole' | 'changed-rows';
  window: ReadWindow;
  norm: NormalizeOptions;
  what: string;
}

/** The keys of a page whose stored history this read needs. */
function keysToLoad(groups: RowGroup[], plan: HistoryPlan): string[] {
  if (plan.mode !== 'changed-rows') return [];
  return groups.filter((g) => g.key !== '').map((g) => g.key);
}

/** One person's rows (employees) → record or problem, completing the history as the reader says. */
function normalizePerson(group: RowGroup, plan: HistoryPlan, stored: StoredHistory | undefined): Item[] {
  const { norm, window, what } = plan;
  const refuse = (code: string, message: string): Item[] => [{ key: group.key, code, message, severity: 'error' }];
  let rows = group.rows;
  let person: PsRow | undefined;
  if (plan.mode === 'whole') {
    if (looksPartial(rows, window, norm)) {
      return refuse('PS_PARTIAL_HISTORY', `${what} returned part of this person's history (no hire or rehire row, every row changed since the last run), but the reader says history: whole; not synced so that no field is emptied. Set history: changed-rows on the reader (docs/peoplesoft.md, "Whole histories")`);
    }
  } else if (window.mode === 'incremental') {
    const known = decodeHistory(stored, norm.cursorField);
    if (known !== undefined) {
      person = rows[rows.length - 1];
      rows = mergeHistory(known, rows);
    } else if (!hasHireRow(rows, norm)) {
      return refuse('PS_HISTORY_UNKNOWN', `${what} returned this person's changed rows only, and no complete history of them is stored yet; not synced so that no field is emptied. A full read (plan/apply --full) stores every history; it is retried next run`);
    }
  }
  const record = normalizeEmployee(rows, norm, person);
  if (!('hash' in record) || plan.mode !== 'changed-rows') return [record];
  const history = encodeHistory(rows, norm.cursorField);
  if (history.hash !== stored?.hash) record.history = history;
  return [record];
}

export async function* readSourceRecords(
  client: PeopleSoftClient,
  conn: PeopleSoftConnection,
  entity: SourceEntity,
  window: ReadWindow,
  opts: ReadOptions = {},
): AsyncGenerator<Item> {
  const reader = readerFor(conn, entity);
  const norm: NormalizeOptions = resolveNormalization(conn, window.asOf, reader.changeDetection?.cursorField ?? 'LASTUPDDTTM');
  const ctx: ReadContext = { values: placeholderValues(window, norm.timeZone), timeZone: norm.timeZone, signal: opts.signal };
  const started = Date.now();
  const counts = { records: 0, problems: 0, histories: 0, loads: 0 };
  /** Clean the text of a record and count what leaves. */
  function* emit(items: Item[]): Generator<Item> {
    for (const item of items) {
      if ('hash' in item) {
        for (const p of cleanRecordText(item)) {
          counts.problems++;
          yield p;
        }
        counts.records++;
        if (item.history) counts.histories++;
      } else {
        counts.problems++;
      }
      yield item;
    }
  }

  if (reader.kind === 'ci') {
    if (entity !== 'vendors') {
      throw new ConfigError('PS_READER_UNSUPPORTED', `Connection ${conn.name}: a component interface reader can read vendors only`, {
        meta: { connection: conn.name, entity }, hint: `Read ${entity} with a qas or rest reader.`,
      });
    }
    for await (const item of readCiItems(client, reader, ctx)) {
      opts.signal?.throwIfAborted();
      if ('input' in item) yield* emit([normalizeVendor(item.input, norm)]);
      else if ('missing' in item) yield* emit([{ key: item.missing, code: 'SOURCE_MISSING', message: item.message, call: item.call, severity: 'warning' }]);
      else yield* emit([{ key: item.failed, code: item.code, message: `${item.message}; the record is skipped and retried next run`, call: item.call, severity: 'error' }]);
    }
  } else {
    const mode = reader.history ?? 'whole';
    if (mode === 'changed-rows' && entity !== 'employees') {
      throw new ConfigError('PS_HISTORY_UNSUPPORTED', `Connection ${conn.name}: history: changed-rows is for employee readers (JOB rows); readers.${entity} must return whole records`, {
        meta: { connection: conn.name, entity }, hint: 'Remove history from the vendors reader (vendors without a last-update column use changeDetection.mode: hash).',
      });
    }
    const pages = reader.kind === 'qas' ? readQasPages(client, reader, ctx) : readRestPages(client, reader, ctx);
    const what = reader.kind === 'qas' ? `query ${reader.query}` : `operation ${reader.operation}`;
    const plan: HistoryPlan = { mode, window, norm, what };
    const rename = createRenamer(opts.columns ?? (reader.columns as ColumnMap | undefined));
    const grouper = new KeyGrouper(KEY_OF[entity], what);
    let gapsChecked = false;
    const finish = async function* (groups: RowGroup[]): AsyncGenerator<Item> {
      const keys = keysToLoad(groups, plan);
      let stored: ReadonlyMap<string, StoredHistory> = new Map();
      if (keys.length > 0 && opts.loadHistories) {
        stored = await opts.loadHistories(keys);
        counts.loads++;
      }
      for (const group of groups) {
        opts.signal?.throwIfAborted();
        if (group.key === '') {
          const field = KEY_FIELDS[entity];
          yield* emit([{ key: `row ${group.index}`, code: 'SOURCE_NO_KEY', field, message: `row ${group.index} of ${what} has no ${field}`, severity: 'error' }]);
        } else if (entity === 'employees') {
          yield* emit(normalizePerson(group, plan, stored.get(group.key)));
        } else if (entity === 'departments') {
          yield* emit([normalizeDepartment(group.rows, norm)]);
        } else {
          yield* emit([normalizeVendor(vendorFromRows(group.rows), norm)]);
        }
      }
    };
    for await (const page of pages) {
      const rows = page.map(rename);
      if (!gapsChecked && rows.length > 0) {
        gapsChecked = true;
        yield* emit(queryGapProblems(entity, rows, norm, what, opts.zohoFields));
      }
      yield* finish(grouper.add(rows));
    }
    yield* finish(grouper.end());
  }
  client.logger.info('peoplesoft read done', { entity, mode: window.mode, ...counts, calls: client.calls, rows: client.rows, ms: Date.now() - started });
}

/** One warning (key `*`) per column the query lacks that feeds a field the mapping reads. */
export function queryGapProblems(entity: SourceEntity, rows: PsRow[], norm: NormalizeOptions, what: string, zohoFields?: Readonly<Record<string, readonly string[]>>): RecordProblem[] {
  const present = new Set<string>();
  for (const row of rows) for (const k of Object.keys(row)) present.add(k);
  const gaps = findQueryGaps(fieldNeeds(entity, norm), present, zohoFields === undefined ? undefined : Object.keys(zohoFields));
  return gaps.map((gap) => ({ key: '*', code: 'PS_QUERY_LACKS_COLUMN', field: gap.column, message: describeGap(gap, what, zohoFields).message, severity: 'warning' as const }));
}
