/**
 * `ml-connector fields peoplesoft --reader NAME`: the columns a reader's query, service
 * operation or component interface answers with, read from one row (maxrows=1, a one-row page,
 * or one CI Get), compared with the columns the normalizer reads. Column names and kinds only:
 * the row's values (names, emails) are never returned.
 */
import type { PeopleSoftConnection } from '../config/types.generated.js';
import { SOURCE_FIELDS } from '../config/source-fields.js';
import type { SourceEntity } from '../model/index.js';
import type { Clock } from '../support/clock.js';
import { MlError } from '../support/errors.js';
import type { Logger } from '../support/log.js';
import type { PsCredentials } from './auth.js';
import { createPeopleSoftClient } from './client.js';
import { DEFAULT_DEPARTMENT_COLUMNS, DEFAULT_EMPLOYEE_COLUMNS, DEFAULT_VENDOR_COLUMNS } from './columns.js';
import { placeholderValues } from './read.js';
import { readCiItems } from './read-ci.js';
import { readQasPages } from './read-qas.js';
import { readRestPages } from './read-rest.js';
import type { PsRow, PsValue } from './rows.js';
import { computeReadWindow } from './window.js';

export interface ReaderColumn {
  name: string;
  /** `text`, `number`, `date`, `datetime`, `boolean` or `empty` (blank in the row read). */
  kind: string;
  /** For a CI: the collection it belongs to (VENDOR_ADDR, ...); absent for the top level. */
  collection?: string;
  /** The canonical column it feeds (after the reader's `columns` renames), when it feeds one. */
  canonical?: string;
}

export interface ReaderDescription {
  connection: string;
  reader: SourceEntity;
  kind: 'qas' | 'rest' | 'ci';
  /** What was called: `query ML_EMPLOYEES (maxrows=1)`. */
  call: string;
  columns: ReaderColumn[];
  /** Canonical columns the normalizer reads that the answer lacks. */
  missing: string[];
  /** What a mapping may read from this reader's records (`from:`, templates, conditions). */
  sourceFields: readonly string[];
}

function kindOf(v: PsValue): string {
  if (v === null || (typeof v === 'string' && v.trim() === '')) return 'empty';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return 'date';
  if (/^\d{4}-\d{2}-\d{2}[T-]\d{2}[.:]\d{2}/.test(v)) return 'datetime';
  if (/^-?\d+(\.\d+)?$/.test(v)) return 'number';
  return 'text';
}

/** Strip `A.` alias prefixes (multi-record queries) the way the readers do. */
const bare = (name: string): string => name.replace(/^[A-Z]\./, '');

export async function describeReader(conn: PeopleSoftConnection, entity: SourceEntity, ctx: { credentials: PsCredentials; clock?: Clock; logger?: Logger }): Promise<ReaderDescription> {
  const reader = conn.readers[entity];
  if (!reader) {
    throw new MlError('PS_READER_UNKNOWN', `Connection ${conn.name} has no ${entity} reader.`, {
      meta: { connection: conn.name, reader: entity },
      hint: `Its readers: ${Object.keys(conn.readers).join(', ') || 'none'}.`,
    });
  }
  const client = createPeopleSoftClient(conn, { credentials: ctx.credentials, ...(ctx.clock ? { clock: ctx.clock } : {}), ...(ctx.logger ? { logger: ctx.logger } : {}) });
  const renames = new Map(Object.entries((reader.kind === 'ci' ? undefined : reader.columns) ?? {}).map(([canonical, source]) => [source ?? canonical, canonical]));
  const expected: readonly string[] = entity === 'employees' ? DEFAULT_EMPLOYEE_COLUMNS : entity === 'departments' ? DEFAULT_DEPARTMENT_COLUMNS : DEFAULT_VENDOR_COLUMNS;
  const columns: ReaderColumn[] = [];
  const add = (row: PsRow, collection?: string): void => {
    for (const [name, value] of Object.entries(row)) {
      const canonical = renames.get(bare(name)) ?? bare(name);
      columns.push({ name, kind: kindOf(value), ...(collection ? { collection } : {}), ...(expected.includes(canonical) || /^(EMAIL|PHONE)_[A-Z]+$/.test(canonical) ? { canonical } : {}) });
    }
  };
  let call: string;
  try {
    const now = ctx.clock?.now() ?? Date.now();
    const timeZone = conn.normalization?.serverTimezone ?? 'UTC';
    const rctx = { values: placeholderValues(computeReadWindow({ now, full: true }), timeZone), timeZone, pageSize: 1, firstPageOnly: true };
    if (reader.kind === 'ci') {
      call = `CI ${reader.component} Find, then Get of the first key`;
      for await (const item of readCiItems(client, reader, rctx)) {
        if ('input' in item) {
          add(item.input.header);
          const firsts: Array<[string, PsRow | undefined]> = [['VENDOR_ADDR', item.input.addresses[0]], ['VENDOR_LOC', item.input.locations[0]], ['VENDOR_CNTCT', item.input.contacts[0]]];
          for (const [name, row] of firsts) if (row) add(row, name);
        }
        break;
      }
    } else {
      call = reader.kind === 'qas' ? `query ${reader.query} (maxrows=1)` : `operation ${reader.operation} (page size 1)`;
      const pages = reader.kind === 'qas' ? readQasPages(client, reader, rctx) : readRestPages(client, reader, rctx);
      for await (const page of pages) {
        if (page[0]) add(page[0]);
        break;
      }
    }
  } finally {
    await client.close();
  }
  if (columns.length === 0) {
    throw new MlError('PS_READER_EMPTY', `${conn.name} ${entity}: the ${call} returned no row, so its columns cannot be shown.`, {
      meta: { connection: conn.name, reader: entity },
      hint: 'Row-level security may hide every row from the integration user, or the query selects nothing: `ml-connector check` says more.',
    });
  }
  const seen = new Set(columns.map((c) => c.canonical).filter((c): c is string => c !== undefined));
  // Vendors read through a CI carry the address fields in VENDOR_ADDR, under their own names.
  const missing = expected.filter((c) => !seen.has(c) && !(reader.kind === 'ci' && /^ADDR_|ADDRESS_SEQ_NUM/.test(c)));
  return { connection: conn.name, reader: entity, kind: reader.kind, call, columns, missing, sourceFields: SOURCE_FIELDS[entity] };
}
