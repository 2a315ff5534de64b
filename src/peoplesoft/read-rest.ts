/**
 * Pages of a REST service operation, by page number until `moreField` says no or a short page.
 * As for QAS, the end must be the end: an empty page while the answer says more follow is read
 * again and then fails the read, and without `moreField` a short page is confirmed by asking for
 * the next one (rows there fail the read rather than pass for the end of the data).
 */
import type { RestReader } from '../config/types.generated.js';
import { MlError } from '../support/errors.js';
import type { PeopleSoftClient } from './client.js';
import type { ReadContext } from './read-context.js';
import { MAX_REREADS } from './read-qas.js';
import { cleanRow, parseJsonAnswer, pickPath, type PsRow } from './rows.js';
import { DEFAULT_PAGE_SIZE, restUrl } from './urls.js';

interface RestPage {
  rows: PsRow[];
  /** The answer's `moreField`, when configured and present. */
  more: boolean | undefined;
}

async function fetchRestPage(client: PeopleSoftClient, reader: RestReader, ctx: ReadContext, page: number, size: number): Promise<RestPage> {
  const url = restUrl(client.connection, reader, ctx.values, reader.paging ? { number: page, size } : undefined, ctx.timeZone);
  const res = await client.get(url, { signal: ctx.signal });
  const doc = parseJsonAnswer(res.body, `operation ${reader.operation}`);
  const raw = pickPath(doc, reader.rowsPath);
  // A missing rows path is not "no rows": an error body read as empty would look like everyone left.
  if (raw === undefined || (raw !== null && typeof raw !== 'object') || (Array.isArray(raw) && raw.some((r) => r === null || typeof r !== 'object'))) {
    throw new MlError('PS_BAD_ANSWER', `Operation ${reader.operation}: the answer has no list of rows at ${reader.rowsPath} (${JSON.stringify(doc).slice(0, 120)})`, {
      meta: { operation: reader.operation, rowsPath: reader.rowsPath, page },
      hint: 'Set rowsPath to the dot path of the array of rows in the answer.',
    });
  }
  const list = Array.isArray(raw) ? raw : raw ? [raw] : [];
  const rows = list.map((r) => cleanRow(r as Record<string, unknown>));
  client.countRows(rows.length);
  const more = reader.paging?.moreField ? pickPath(doc, reader.paging.moreField) : undefined;
  return { rows, more: typeof more === 'boolean' ? more : undefined };
}

export async function* readRestPages(client: PeopleSoftClient, reader: RestReader, ctx: ReadContext): AsyncGenerator<PsRow[]> {
  const size = ctx.pageSize ?? reader.paging?.pageSize ?? DEFAULT_PAGE_SIZE;
  const fetch = (page: number): Promise<RestPage> => fetchRestPage(client, reader, ctx, page, size);
  let promised = false; // the previous page said more follow
  for (let page = 1; ; page++) {
    let current = await fetch(page);
    // An empty page after (or while) the answer says more follow contradicts itself: read it again before believing either.
    const lies = (p: RestPage): boolean => p.rows.length === 0 && (p.more === true || promised);
    for (let attempt = 1; lies(current) && attempt <= MAX_REREADS; attempt++) {
      client.logger.warn('peoplesoft page empty but more follow, reading it again', { operation: reader.operation, page, attempt });
      current = await fetch(page);
    }
    client.logger.debug('peoplesoft page', { operation: reader.operation, page, rows: current.rows.length });
    if (lies(current)) {
      throw new MlError('PS_EMPTY_PAGE', `Operation ${reader.operation}: page ${page} came back empty (after ${MAX_REREADS + 1} reads) although the answers say more pages follow; the read is incomplete`, {
        meta: { operation: reader.operation, page },
        hint: 'The service operation answered no rows in the middle of paging. Rerun; if it persists, check the handler and the Integration Broker monitor.',
      });
    }
    if (!reader.paging || ctx.firstPageOnly || current.rows.length === 0) {
      yield current.rows;
      return;
    }
    if (current.more === false || (current.more === undefined && current.rows.length < size && !(await moreFollow(page)))) {
      yield current.rows;
      return;
    }
    promised = current.more === true;
    yield current.rows;
  }

  /** Without a `moreField`, a short page ends the read only when the next page is empty. */
  async function moreFollow(page: number): Promise<boolean> {
    if (reader.paging?.moreField) return false; // the answer lacked its more flag: trust the short page
    const next = await fetch(page + 1);
    if (next.rows.length === 0) return false;
    throw new MlError('PS_INCOMPLETE_READ', `Operation ${reader.operation}: page ${page} held fewer rows than the page size ${size}, yet page ${page + 1} has rows: the read is incomplete`, {
      meta: { operation: reader.operation, page, pageSize: size },
      hint: 'The operation cut a page short (or caps its page size below `paging.pageSize`): set pageSize to what the operation returns, or add a moreField.',
    });
  }
}
