/**
 * A component interface over CI REST: Find for the keys, then one Get per key with bounded
 * concurrency. The Find is the read's "page": if it fails, the read fails. A Get that fails (an
 * IB error for that key, a 5xx or timeout after retries, a broken document) fails only that
 * record: it becomes a `failed` item carrying the key and the call, and the other keys go on.
 * Errors that make every Get untrustworthy (auth, DNS, a refused connection, TLS) stop the read,
 * and so does a run of failures long enough to say PeopleSoft itself is failing.
 */
import type { CiReader } from '../config/types.generated.js';
import { isMlError, MlError } from '../support/errors.js';
import type { PeopleSoftClient } from './client.js';
import type { VendorInput } from './normalize-vendor.js';
import type { ReadContext } from './read-context.js';
import { cleanRow, parseJsonAnswer, type PsRow } from './rows.js';
import { ciFindUrl, ciGetUrl } from './urls.js';

/** Codes that mean no Get can be trusted, whichever key it is for. */
const SYSTEMIC = new Set(['PS_UNAUTHORIZED', 'PS_OAUTH_FAILED', 'PS_DNS', 'PS_REFUSED', 'PS_TLS', 'PS_AUTH_CONFIG']);

/** Consecutive failed Gets after which the read stops: PeopleSoft is failing, not one record. */
export const MAX_CONSECUTIVE_FAILURES = 20;

const keyText = (v: PsRow[string] | undefined): string => (v === null || v === undefined ? '' : String(v));

/** `GET /PSIGW/…/CIRT_X_G_GET.v1/K1/K2`: method and path only, so no host, query or secret. */
export function callOf(url: string): string {
  try {
    return `GET ${new URL(url).pathname}`;
  } catch {
    return 'GET';
  }
}

/** The first object under a `...Response` root (CIRT answers mirror the SOAP element names). */
function responseBody(doc: unknown, component: string, verb: 'Find' | 'Get'): Record<string, unknown> | undefined {
  if (doc === null || typeof doc !== 'object') return undefined;
  const d = doc as Record<string, unknown>;
  const root = d[`${verb}__CompIntfc__${component}Response`] ?? Object.entries(d).find(([k]) => k.endsWith('Response'))?.[1];
  return root && typeof root === 'object' && !Array.isArray(root) ? (root as Record<string, unknown>) : undefined;
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

export const CI_COLLECTIONS = { addresses: 'VENDOR_ADDR', locations: 'VENDOR_LOC', contacts: 'VENDOR_CNTCT' } as const;

/** A CI Get answer → header fields and child collections (cleaned). */
export function vendorFromCi(body: Record<string, unknown>): VendorInput {
  const header: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!Array.isArray(v) && (v === null || typeof v !== 'object')) header[k] = v;
  const child = (name: string): PsRow[] => {
    const v = body[name];
    const list = Array.isArray(v) ? v : v && typeof v === 'object' ? [v] : [];
    return list.filter((r) => r !== null && typeof r === 'object').map((r) => cleanRow(r as Record<string, unknown>));
  };
  return {
    header: cleanRow(header),
    addresses: child(CI_COLLECTIONS.addresses),
    locations: child(CI_COLLECTIONS.locations),
    contacts: child(CI_COLLECTIONS.contacts),
  };
}

export type CiItem =
  | { input: VendorInput }
  /** The key is gone since Find (404): reported, not a failure. */
  | { missing: string; message: string; call: string }
  /** The Get for this key failed: this record is a problem, retried next run. */
  | { failed: string; code: string; message: string; call: string };

/**
 * Find, then Get each key with at most `concurrency` calls in flight, yielding in Find order.
 */
export async function* readCiItems(client: PeopleSoftClient, reader: CiReader, ctx: ReadContext): AsyncGenerator<CiItem> {
  const keys = await readCiKeys(client, reader, ctx.signal);
  const limit = ctx.firstPageOnly ? Math.min(keys.length, 1) : keys.length;
  const concurrency = Math.max(1, client.connection.concurrency ?? 4);
  const getOne = async (k: PsRow): Promise<CiItem> => {
    const values = reader.getKeys.map((name) => keyText(k[name]));
    const label = values.join('-');
    const url = ciGetUrl(client.connection, reader, values);
    const call = callOf(url);
    const where = `CI ${reader.component} Get ${label}`;
    try {
      const res = await client.get(url, { signal: ctx.signal });
      const body = responseBody(parseJsonAnswer(res.body, where), reader.component, 'Get');
      if (!body) {
        return { failed: label, code: 'PS_BAD_ANSWER', message: `${where} answered without a Get__CompIntfc__${reader.component}Response`, call };
      }
      client.countRows(1);
      return { input: vendorFromCi(body) };
    } catch (err) {
      if (ctx.signal?.aborted || !isMlError(err) || SYSTEMIC.has(err.code)) throw err;
      if (err.code === 'PS_NOT_FOUND') return { missing: label, message: `${where}: not found (deleted since Find?)`, call };
      return { failed: label, code: err.code, message: err.message.startsWith(where) ? err.message : `${where}: ${err.message}`, call };
    }
  };
  // Settle every call into a value so a failure cannot leave other in-flight calls rejecting unobserved.
  const start = (k: PsRow): Promise<CiItem | { error: unknown }> => getOne(k).catch((error: unknown) => ({ error }));
  const inFlight: Promise<CiItem | { error: unknown }>[] = [];
  let next = 0;
  let failedInARow = 0;
  while (next < limit && inFlight.length < concurrency) inFlight.push(start(keys[next++]!));
  while (inFlight.length > 0) {
    const item = await inFlight.shift()!;
    if ('error' in item) {
      await Promise.allSettled(inFlight);
      throw item.error;
    }
    failedInARow = 'failed' in item ? failedInARow + 1 : 0;
    if (failedInARow >= MAX_CONSECUTIVE_FAILURES) {
      await Promise.allSettled(inFlight);
      throw new MlError('PS_TOO_MANY_FAILURES', `CI ${reader.component}: ${failedInARow} Gets in a row failed (the last: ${'failed' in item ? item.message : ''}); PeopleSoft is failing, not one record`, {
        meta: { component: reader.component, failed: failedInARow, lastCode: 'failed' in item ? item.code : undefined },
        hint: 'Check the application server and the Integration Broker monitor, then rerun. Records failed before this are retried then.',
      });
    }
    if (next < limit) inFlight.push(start(keys[next++]!));
    yield item;
  }
}
