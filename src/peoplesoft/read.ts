/**
 * readSourceRecords: rows from the configured reader → source records, streamed. Rows arrive in
 * key order (the readers guarantee whole keys per page), are grouped per key and normalized one
 * key at a time, so memory holds one page and one record, never the whole read.
 */
import type { PeopleSoftConnection, Reader } from '../config/types.generated.js';
import type { RecordProblem, SourceEntity, SourceRecord } from '../model/index.js';
import { ConfigError, MlError } from '../support/errors.js';
import type { PeopleSoftClient } from './client.js';
import { resolveNormalization, type NormalizeOptions } from './codes.js';
import { createRenamer, type ColumnMap } from './columns.js';
import { normalizeDepartment } from './normalize-department.js';
import { normalizeEmployee } from './normalize-employee.js';
import { normalizeVendor, vendorFromRows } from './normalize-vendor.js';
import { readCiItems, readQasPages, readRestPages, type ReadContext } from './readers.js';
import type { PsRow } from './rows.js';
import type { PlaceholderValues } from './urls.js';
import { parsePsDateTime } from './dates.js';
import type { ReadWindow } from './window.js';

export interface ReadOptions {
  signal?: AbortSignal;
  /** Canonical column → the query's column, for queries whose columns are named differently. */
  columns?: ColumnMap;
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

/** Consecutive rows with the same key, across pages. Rows of one key split by other keys are an error. */
async function* groupByKey(pages: AsyncIterable<PsRow[]>, keyOf: (r: PsRow) => string, rename: (r: PsRow) => PsRow, what: string): AsyncGenerator<{ key: string; rows: PsRow[]; index: number }> {
  const done = new Set<string>();
  let current: { key: string; rows: PsRow[]; index: number } | undefined;
  let index = 0;
  for await (const page of pages) {
    for (const raw of page) {
      index++;
      const row = rename(raw);
      const key = keyOf(row);
      if (key === '') {
        yield { key, rows: [row], index };
        continue;
      }
      if (current && current.key === key) {
        current.rows.push(row);
        continue;
      }
      if (current) {
        done.add(current.key);
        yield current;
      }
      if (done.has(key)) {
        throw new MlError('PS_ROWS_UNORDERED', `${what}: the rows of ${key} are not together; the answer must be ordered by its key`, {
          meta: { key },
          hint: 'Order the query (or service operation) by its key columns, e.g. EMPLID, EMPL_RCD, EFFDT, EFFSEQ.',
        });
      }
      current = { key, rows: [row], index };
    }
  }
  if (current) yield current;
}

export async function* readSourceRecords(
  client: PeopleSoftClient,
  conn: PeopleSoftConnection,
  entity: SourceEntity,
  window: ReadWindow,
  opts: ReadOptions = {},
): AsyncGenerator<SourceRecord | RecordProblem> {
  const reader = readerFor(conn, entity);
  const norm: NormalizeOptions = resolveNormalization(conn, window.asOf, reader.changeDetection?.cursorField ?? 'LASTUPDDTTM');
  const ctx: ReadContext = { values: placeholderValues(window, norm.timeZone), timeZone: norm.timeZone, signal: opts.signal };
  const started = Date.now();
  let records = 0;
  let problems = 0;
  const count = (r: SourceRecord | RecordProblem): SourceRecord | RecordProblem => {
    if ('hash' in r) records++;
    else problems++;
    return r;
  };

  if (reader.kind === 'ci') {
    if (entity !== 'vendors') {
      throw new ConfigError('PS_READER_UNSUPPORTED', `Connection ${conn.name}: a component interface reader can read vendors only`, {
        meta: { connection: conn.name, entity }, hint: `Read ${entity} with a qas or rest reader.`,
      });
    }
    for await (const item of readCiItems(client, reader, ctx)) {
      opts.signal?.throwIfAborted();
      yield count('input' in item ? normalizeVendor(item.input, norm) : { key: item.missing, code: 'SOURCE_MISSING', message: item.message, severity: 'warning' });
    }
  } else {
    const pages = reader.kind === 'qas' ? readQasPages(client, reader, ctx) : readRestPages(client, reader, ctx);
    const what = reader.kind === 'qas' ? `query ${reader.query}` : `operation ${reader.operation}`;
    for await (const group of groupByKey(pages, KEY_OF[entity], createRenamer(opts.columns ?? (reader.columns as ColumnMap | undefined)), what)) {
      opts.signal?.throwIfAborted();
      if (group.key === '') {
        const field = KEY_FIELDS[entity];
        yield count({ key: `row ${group.index}`, code: 'SOURCE_NO_KEY', field, message: `row ${group.index} of ${what} has no ${field}`, severity: 'error' });
        continue;
      }
      yield count(
        entity === 'employees' ? normalizeEmployee(group.rows, norm)
          : entity === 'departments' ? normalizeDepartment(group.rows, norm)
            : normalizeVendor(vendorFromRows(group.rows), norm),
      );
    }
  }
  client.logger.info('peoplesoft read done', { entity, mode: window.mode, records, problems, calls: client.calls, rows: client.rows, ms: Date.now() - started });
}
