/**
 * The three ways of reading rows, each an async generator of pages so a 100,000-row read never
 * holds more than one page (plus one record) at a time:
 * - qas: ExecuteQuery with keyset paging (reference §2.2: no offset, only maxrows, no "more" flag);
 * - rest: a service operation with optional page parameters;
 * - ci: a component interface's Find, then one Get per key with bounded concurrency.
 */
import type { CiReader, QasReader, RestReader } from '../config/types.generated.js';
import { MlError } from '../support/errors.js';
import type { PeopleSoftClient } from './client.js';
import { cleanRow, parseJsonAnswer, parseQasAnswer, pickPath, type PsRow } from './rows.js';
import { ciFindUrl, ciGetUrl, DEFAULT_MAX_ROWS, DEFAULT_PAGE_SIZE, qasUrl, restUrl, type PlaceholderValues } from './urls.js';
import type { VendorInput } from './normalize-vendor.js';

export interface ReadContext {
  values: PlaceholderValues;
  timeZone: string;
  signal?: AbortSignal | undefined;
  /** Overrides maxrows / page size (check uses 1). */
  pageSize?: number | undefined;
  /** Stop after the first page (check). */
  firstPageOnly?: boolean | undefined;
}

const keyText = (v: PsRow[string] | undefined): string => (v === null || v === undefined ? '' : String(v));

/**
 * QAS pages. A full page may end in the middle of one key's rows (an employee's JOB rows): those
 * rows are dropped and the next page starts after the previous key, so every key's rows arrive
 * together. A full page holding one key only cannot make progress: that is an error.
 */
export async function* readQasPages(client: PeopleSoftClient, reader: QasReader, ctx: ReadContext): AsyncGenerator<PsRow[]> {
  const conn = client.connection;
  const maxRows = ctx.pageSize ?? reader.maxRows ?? DEFAULT_MAX_ROWS;
  const keyset = reader.keyset;
  const usesAfter = (reader.prompts ?? []).some((p) => p.value.includes('{after}'));
  let after = '';
  const seen = new Set<string>(); // last key of each page: a repeat means paging would loop
  for (let page = 1; ; page++) {
    const url = qasUrl(conn, reader, { ...ctx.values, after }, maxRows, ctx.timeZone);
    // Fetch and parse in one step so the answer text is garbage before the rows are processed.
    const rows = await fetchQasRows(client, reader, url, ctx.signal);
    const full = rows.length >= maxRows;
    client.logger.debug('peoplesoft page', { query: reader.query, page, rows: rows.length, full, after });
    if (!full || ctx.firstPageOnly) {
      const lastKey = keyset && rows.length > 0 ? keyText(rows[rows.length - 1]![keyset]) : undefined;
      const shortPage = rows.length;
      yield rows;
      if (lastKey !== undefined && usesAfter && !ctx.firstPageOnly) await confirmEnd(client, reader, ctx, maxRows, lastKey, shortPage);
      return;
    }
    if (!keyset || !usesAfter) {
      throw new MlError('PS_TRUNCATED', `Query ${reader.query} returned a full page of ${maxRows} rows and has no keyset to continue from`, {
        meta: { query: reader.query, maxRows },
        hint: 'Rows beyond maxRows would be lost. Set `keyset` (e.g. EMPLID) and a prompt with the value {after} (a "greater than" criterion in the query), or raise maxRows.',
      });
    }
    const lastKey = keyText(rows[rows.length - 1]![keyset]);
    let cut = rows.length;
    while (cut > 0 && keyText(rows[cut - 1]![keyset]) === lastKey) cut--;
    if (cut === 0) {
      throw new MlError('PS_PAGE_TOO_SMALL', `Query ${reader.query}: a full page of ${maxRows} rows holds only ${keyset} ${lastKey}, so paging cannot continue`, {
        meta: { query: reader.query, maxRows, key: lastKey },
        hint: `Raise maxRows above the number of rows one ${keyset} can have (${maxRows} is too small).`,
      });
    }
    rows.length = cut;
    const kept = rows;
    const next = keyText(kept[kept.length - 1]![keyset]);
    // Compared for equality only: the database's collation, not JavaScript's, orders the keys.
    if (next === after || seen.has(next)) {
      throw new MlError('PS_KEYSET_ORDER', `Query ${reader.query} is not ordered by ${keyset} or ignores {after}: page ${page} ended at ${next} again`, {
        meta: { query: reader.query, keyset },
        hint: `Order the query by ${keyset} (ascending) and make the {after} prompt a "greater than" criterion.`,
      });
    }
    after = next;
    seen.add(next);
    yield kept;
  }
}

/**
 * A short page normally ends the read, but a user's query profile ("max rows fetched") can cap
 * what QAS returns below `maxrows` without saying so (reference §2.2, UNCONFIRMED for QAS). One
 * call after the last key tells the two apart: rows there mean the answer was capped, and the run
 * fails instead of silently missing people.
 */
async function confirmEnd(client: PeopleSoftClient, reader: QasReader, ctx: ReadContext, maxRows: number, after: string, shortPage: number): Promise<void> {
  const more = await fetchQasRows(client, reader, qasUrl(client.connection, reader, { ...ctx.values, after }, maxRows, ctx.timeZone), ctx.signal);
  if (more.length === 0) return;
  if (more.some((r) => keyText(r[reader.keyset!]) === after)) {
    throw new MlError('PS_KEYSET_ORDER', `Query ${reader.query} ignores the {after} prompt: asked for keys after ${after}, got ${after} again`, {
      meta: { query: reader.query, keyset: reader.keyset },
      hint: `Make the {after} prompt a "${reader.keyset} greater than" criterion of the query, ordered by ${reader.keyset}.`,
    });
  }
  throw new MlError('PS_ROW_CAP', `Query ${reader.query} returned ${shortPage} rows when ${maxRows} were asked for, yet more rows follow: PeopleSoft capped the answer`, {
    meta: { query: reader.query, maxRows, returned: shortPage },
    hint: `The user's query profile probably limits "max rows fetched" to ${shortPage}: set maxRows to ${shortPage} or less, or raise the limit in the profile.`,
  });
}

async function fetchQasRows(client: PeopleSoftClient, reader: QasReader, url: string, signal: AbortSignal | undefined): Promise<PsRow[]> {
  const res = await client.get(url, { accept: reader.format === 'xmlp' ? 'application/xml' : 'application/json', signal });
  const { rows } = parseQasAnswer(res.body, `query ${reader.query}`);
  client.countRows(rows.length);
  return rows;
}

/** REST service operation pages: by page number until `moreField` says no or a short page. */
export async function* readRestPages(client: PeopleSoftClient, reader: RestReader, ctx: ReadContext): AsyncGenerator<PsRow[]> {
  const conn = client.connection;
  const size = ctx.pageSize ?? reader.paging?.pageSize ?? DEFAULT_PAGE_SIZE;
  for (let page = 1; ; page++) {
    const url = restUrl(conn, reader, ctx.values, reader.paging ? { number: page, size } : undefined, ctx.timeZone);
    const res = await client.get(url, { signal: ctx.signal });
    const doc = parseJsonAnswer(res.body, `operation ${reader.operation}`);
    const raw = pickPath(doc, reader.rowsPath);
    // A missing rows path is not "no rows": an error body read as empty would look like everyone left.
    if (raw === undefined || (raw !== null && !Array.isArray(raw) && typeof raw !== 'object')) {
      throw new MlError('PS_BAD_ANSWER', `Operation ${reader.operation}: the answer has no list of rows at ${reader.rowsPath} (${JSON.stringify(doc).slice(0, 120)})`, {
        meta: { operation: reader.operation, rowsPath: reader.rowsPath },
        hint: 'Set rowsPath to the dot path of the array of rows in the answer.',
      });
    }
    const list = Array.isArray(raw) ? raw : raw ? [raw] : [];
    const rows = list.map((r) => cleanRow(r as Record<string, unknown>));
    client.countRows(rows.length);
    client.logger.debug('peoplesoft page', { operation: reader.operation, page, rows: rows.length });
    yield rows;
    if (!reader.paging || ctx.firstPageOnly || rows.length === 0) return;
    const more = reader.paging.moreField ? pickPath(doc, reader.paging.moreField) : undefined;
    if (more === false || (more === undefined && rows.length < size)) return;
  }
}

/** The first object under a `...Response` root (CIRT answers mirror the SOAP element names). */
function responseBody(doc: unknown, component: string, verb: 'Find' | 'Get'): Record<string, unknown> | undefined {
  if (doc === null || typeof doc !== 'object') return undefined;
  const d = doc as Record<string, unknown>;
  const root = d[`${verb}__CompIntfc__${component}Response`] ?? Object.entries(d).find(([k]) => k.endsWith('Response'))?.[1];
  return root && typeof root === 'object' ? (root as Record<string, unknown>) : undefined;
}

/** The key rows a CI Find returned. */
export async function readCiKeys(client: PeopleSoftClient, reader: CiReader, signal?: AbortSignal): Promise<PsRow[]> {
  const res = await client.get(ciFindUrl(client.connection, reader), { signal });
  const body = responseBody(parseJsonAnswer(res.body, `CI ${reader.component} Find`), reader.component, 'Find');
  if (!body) {
    throw new MlError('PS_BAD_ANSWER', `CI ${reader.component} Find answered without a Find__CompIntfc__${reader.component}Response (${res.body.slice(0, 120)})`, {
      meta: { component: reader.component },
      hint: `Check the CI REST service CIRT_${reader.component} is published with its Find operation (CIRT_${reader.component}_F_GET) on this node.`,
    });
  }
  const raw = body[reader.component] ?? Object.values(body).find(Array.isArray);
  const list = Array.isArray(raw) ? raw : raw && typeof raw === 'object' ? [raw] : [];
  return list.map((r) => cleanRow(r as Record<string, unknown>));
}

export type CiItem = { input: VendorInput } | { missing: string; message: string };

export const CI_COLLECTIONS = { addresses: 'VENDOR_ADDR', locations: 'VENDOR_LOC', contacts: 'VENDOR_CNTCT' } as const;

/** A CI Get answer → header fields and child collections (cleaned). */
export function vendorFromCi(body: Record<string, unknown>): VendorInput {
  const header: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!Array.isArray(v) && (v === null || typeof v !== 'object')) header[k] = v;
  const child = (name: string): PsRow[] => {
    const v = body[name];
    const list = Array.isArray(v) ? v : v && typeof v === 'object' ? [v] : [];
    return list.map((r) => cleanRow(r as Record<string, unknown>));
  };
  return {
    header: cleanRow(header),
    addresses: child(CI_COLLECTIONS.addresses),
    locations: child(CI_COLLECTIONS.locations),
    contacts: child(CI_COLLECTIONS.contacts),
  };
}

/**
 * Find, then Get each key with at most `concurrency` calls in flight, yielding in Find order.
 * A key that vanished between Find and Get (404) becomes a `missing` item, not a failed run.
 */
export async function* readCiItems(client: PeopleSoftClient, reader: CiReader, ctx: ReadContext): AsyncGenerator<CiItem> {
  const keys = await readCiKeys(client, reader, ctx.signal);
  const limit = ctx.firstPageOnly ? Math.min(keys.length, 1) : keys.length;
  const concurrency = Math.max(1, client.connection.concurrency ?? 4);
  const getOne = async (k: PsRow): Promise<CiItem> => {
    const values = reader.getKeys.map((name) => keyText(k[name]));
    const label = values.join('-');
    try {
      const res = await client.get(ciGetUrl(client.connection, reader, values), { signal: ctx.signal });
      const body = responseBody(parseJsonAnswer(res.body, `CI ${reader.component} Get ${label}`), reader.component, 'Get');
      if (!body) return { missing: label, message: `CI ${reader.component} Get ${label} answered without a Get__CompIntfc__${reader.component}Response` };
      client.countRows(1);
      return { input: vendorFromCi(body) };
    } catch (err) {
      if (err instanceof MlError && err.code === 'PS_NOT_FOUND') return { missing: label, message: `CI ${reader.component} Get ${label}: not found (deleted since Find?)` };
      throw err;
    }
  };
  // Settle every call into a value so a failure cannot leave other in-flight calls rejecting unobserved.
  const start = (k: PsRow): Promise<CiItem | { error: unknown }> => getOne(k).catch((error: unknown) => ({ error }));
  const inFlight: Promise<CiItem | { error: unknown }>[] = [];
  let next = 0;
  while (next < limit && inFlight.length < concurrency) inFlight.push(start(keys[next++]!));
  while (inFlight.length > 0) {
    const item = await inFlight.shift()!;
    if ('error' in item) throw item.error;
    if (next < limit) inFlight.push(start(keys[next++]!));
    yield item;
  }
}
