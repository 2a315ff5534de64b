/**
 * QAS ExecuteQuery pages with keyset paging (reference §2.2: no offset, only maxrows, no "more"
 * flag). A read is complete or it fails: a page that contradicts itself (`numrows` ≠ its rows),
 * comes back empty in the middle of paging, or goes back to keys already read is read again (at
 * most twice) and then fails with a coded error; a short page is confirmed by one call after its
 * last key, so a capped or truncated answer never passes for the end of the data.
 */
import type { QasReader } from '../config/types.generated.js';
import { MlError } from '../support/errors.js';
import type { PeopleSoftClient } from './client.js';
import { parseQasAnswer, type PsRow } from './rows.js';
import { DEFAULT_MAX_ROWS, qasUrl } from './urls.js';
import type { ReadContext } from './read-context.js';

/** Extra reads of one page that contradicted itself, before the read fails. */
export const MAX_REREADS = 2;

const keyText = (v: PsRow[string] | undefined): string => (v === null || v === undefined ? '' : String(v));

interface Page {
  rows: PsRow[];
  numrows: number;
}

/**
 * QAS pages. A full page may end in the middle of one key's rows (an employee's JOB rows): those
 * rows are dropped and the next page starts after the previous key, so every key's rows arrive
 * together. A full page holding one key only cannot make progress: that is an error.
 */
export async function* readQasPages(client: PeopleSoftClient, reader: QasReader, ctx: ReadContext): AsyncGenerator<PsRow[]> {
  const maxRows = ctx.pageSize ?? reader.maxRows ?? DEFAULT_MAX_ROWS;
  const keyset = reader.keyset;
  const usesAfter = (reader.prompts ?? []).some((p) => p.value.includes('{after}'));
  const paged = keyset !== undefined && usesAfter;
  const fetch = (after: string): Promise<Page> => fetchQasPage(client, reader, qasUrl(client.connection, reader, { ...ctx.values, after }, maxRows, ctx.timeZone), ctx.signal);
  // First and last keys of earlier pages: a page starting at one of them went back (equality only:
  // the database's collation, not JavaScript's, orders the keys).
  const boundaries = new Set<string>();
  const meta = (page: number, after: string): Record<string, unknown> => ({ query: reader.query, page, ...(after ? { after } : {}) });

  /** One page, read again when it contradicts itself or the paging so far. */
  async function readPage(page: number, after: string): Promise<PsRow[]> {
    let problem: MlError | undefined;
    for (let attempt = 0; attempt <= MAX_REREADS; attempt++) {
      if (problem) client.logger.warn('peoplesoft page incomplete, reading it again', { query: reader.query, page, code: problem.code, attempt });
      const { rows, numrows } = await fetch(after);
      problem = pageProblem(rows, numrows, page, after);
      if (!problem) return rows;
    }
    throw problem!;
  }

  function pageProblem(rows: PsRow[], numrows: number, page: number, after: string): MlError | undefined {
    if (numrows !== rows.length) {
      return new MlError('PS_NUMROWS_MISMATCH', `Query ${reader.query}: page ${page} says numrows ${numrows} but holds ${rows.length} rows (after ${MAX_REREADS + 1} reads); the read is incomplete`, {
        meta: { ...meta(page, after), numrows, rows: rows.length },
        hint: 'Rows were lost between PeopleSoft and ml-connector (a proxy cutting answers, or a gateway fault). Rerun; if it persists, lower maxRows and check the Integration Gateway log.',
      });
    }
    if (!paged || after === '') return undefined;
    if (rows.length === 0) {
      return new MlError('PS_EMPTY_PAGE', `Query ${reader.query}: page ${page} came back empty (after ${MAX_REREADS + 1} reads) although page ${page - 1} was full and ended inside a ${keyset}; the read is incomplete`, {
        meta: meta(page, after),
        hint: 'PeopleSoft answered no rows in the middle of paging. Rerun; if it persists, check the query (its {after} prompt must be a "greater than" criterion on the keyset column) and the gateway log.',
      });
    }
    const first = keyText(rows[0]![keyset!]);
    if (first === after || boundaries.has(first)) {
      return new MlError('PS_KEYSET_ORDER', `Query ${reader.query}: page ${page} starts at ${keyset} ${first}, which an earlier page already held: the keys went backwards (after ${MAX_REREADS + 1} reads)`, {
        meta: { ...meta(page, after), keyset, key: first },
        hint: `Order the query by ${keyset} (ascending) and make the {after} prompt a "${keyset} greater than" criterion.`,
      });
    }
    return undefined;
  }

  let after = '';
  for (let page = 1; ; page++) {
    let rows = await readPage(page, after);
    client.logger.debug('peoplesoft page', { query: reader.query, page, rows: rows.length, after });
    if (ctx.firstPageOnly) {
      yield rows;
      return;
    }
    if (rows.length < maxRows) {
      if (rows.length === 0 || !paged) {
        yield rows;
        return;
      }
      const full = await confirmShortPage(client, reader, rows, page, after, maxRows, fetch);
      if (full === undefined) {
        yield rows;
        return;
      }
      rows = full;
    }
    if (!paged) {
      throw new MlError('PS_TRUNCATED', `Query ${reader.query} returned a full page of ${maxRows} rows and has no keyset to continue from`, {
        meta: { query: reader.query, maxRows },
        hint: 'Rows beyond maxRows would be lost. Set `keyset` (e.g. EMPLID) and a prompt with the value {after} (a "greater than" criterion in the query), or raise maxRows.',
      });
    }
    const lastKey = keyText(rows[rows.length - 1]![keyset!]);
    let cut = rows.length;
    while (cut > 0 && keyText(rows[cut - 1]![keyset!]) === lastKey) cut--;
    if (cut === 0) {
      throw new MlError('PS_PAGE_TOO_SMALL', `Query ${reader.query}: a full page of ${maxRows} rows holds only ${keyset} ${lastKey}, so paging cannot continue`, {
        meta: { query: reader.query, maxRows, key: lastKey },
        hint: `Raise maxRows above the number of rows one ${keyset} can have (${maxRows} is too small).`,
      });
    }
    rows.length = cut;
    const next = keyText(rows[cut - 1]![keyset!]);
    if (next === after || boundaries.has(next)) {
      throw new MlError('PS_KEYSET_ORDER', `Query ${reader.query} is not ordered by ${keyset} or ignores {after}: page ${page} ended at ${next} again`, {
        meta: { query: reader.query, keyset, page },
        hint: `Order the query by ${keyset} (ascending) and make the {after} prompt a "greater than" criterion.`,
      });
    }
    boundaries.add(keyText(rows[0]![keyset!]));
    boundaries.add(next);
    after = next;
    yield rows;
  }
}

/**
 * A short page normally ends the read, but a user's query profile ("max rows fetched") can cap
 * what QAS returns below `maxrows` without saying so (reference §2.2, UNCONFIRMED for QAS), and a
 * page can be cut short on its way. One call after the last key tells: no rows there, and the
 * short page was the end (undefined). Rows there: the page is read again; a full page then means
 * the short one was a passing fault (the full page is returned and paging goes on), the same
 * short count means a cap (PS_ROW_CAP), anything else fails the read (PS_INCOMPLETE_READ).
 */
async function confirmShortPage(
  client: PeopleSoftClient, reader: QasReader, rows: PsRow[], page: number, after: string, maxRows: number,
  fetch: (after: string) => Promise<Page>,
): Promise<PsRow[] | undefined> {
  const keyset = reader.keyset!;
  const lastKey = keyText(rows[rows.length - 1]![keyset]);
  const more = (await fetch(lastKey)).rows;
  if (more.length === 0) return undefined;
  if (more.some((r) => keyText(r[keyset]) === lastKey)) {
    throw new MlError('PS_KEYSET_ORDER', `Query ${reader.query} ignores the {after} prompt: asked for keys after ${lastKey}, got ${lastKey} again`, {
      meta: { query: reader.query, keyset },
      hint: `Make the {after} prompt a "${keyset} greater than" criterion of the query, ordered by ${keyset}.`,
    });
  }
  client.logger.warn('peoplesoft short page followed by more rows, reading it again', { query: reader.query, page, rows: rows.length });
  const again = (await fetch(after)).rows;
  if (again.length >= maxRows) return again;
  if (again.length === rows.length) {
    throw new MlError('PS_ROW_CAP', `Query ${reader.query} returned ${rows.length} rows when ${maxRows} were asked for, yet more rows follow: PeopleSoft capped the answer`, {
      meta: { query: reader.query, maxRows, returned: rows.length },
      hint: `The user's query profile probably limits "max rows fetched" to ${rows.length}: set maxRows to ${rows.length} or less, or raise the limit in the profile.`,
    });
  }
  throw new MlError('PS_INCOMPLETE_READ', `Query ${reader.query}: page ${page} held ${rows.length} rows, then ${again.length}, of ${maxRows} asked for, and more rows follow: the read is incomplete`, {
    meta: { query: reader.query, page, maxRows, returned: [rows.length, again.length] },
    hint: 'PeopleSoft (or something between) cut the answer short. Rerun; if it persists, lower maxRows and check the gateway and proxy logs.',
  });
}

async function fetchQasPage(client: PeopleSoftClient, reader: QasReader, url: string, signal: AbortSignal | undefined): Promise<Page> {
  // Fetch and parse in one step so the answer text is garbage before the rows are processed.
  const res = await client.get(url, { accept: reader.format === 'xmlp' ? 'application/xml' : 'application/json', signal });
  const page = parseQasAnswer(res.body, `query ${reader.query}`);
  client.countRows(page.rows.length);
  return page;
}
