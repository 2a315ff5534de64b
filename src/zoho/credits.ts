import type { ZohoConnection } from '../config/types.generated.js';

/** Kinds of Zoho calls, for counting and for the planner's cost line. */
export type ZohoCallKind =
  | 'list'
  | 'get'
  | 'search'
  | 'upsert'
  | 'insert'
  | 'update'
  | 'delete'
  | 'fields'
  | 'modules'
  | 'users'
  | 'org'
  | 'watch'
  | 'coql';

/** Concurrent calls allowed per edition (per org and connected app). */
export const EDITION_CONCURRENCY: Record<NonNullable<ZohoConnection['edition']>, number> = {
  free: 5,
  standard: 10,
  professional: 15,
  enterprise: 20,
  ultimate: 25,
};

/** Heavy calls (search, writes of more than 10 records, sorted lists) share 10 slots in every edition. */
export const SUB_CONCURRENCY = 10;

/** Largest write batch Zoho takes. */
export const WRITE_BATCH = 100;

/** The connection's concurrency: explicit, else the edition's (Enterprise when unset). */
export function concurrencyOf(conn: Pick<ZohoConnection, 'concurrency' | 'edition'>): number {
  return conn.concurrency ?? EDITION_CONCURRENCY[conn.edition ?? 'enterprise'];
}

/**
 * Credits one call costs (reference §4.2, from Zoho's api-limits page as summarised by third
 * parties): insert/update/upsert 1 per 10 records, delete 1 per 100, anything else 1.
 */
export function callCredits(kind: ZohoCallKind, records = 1): number {
  // COQL: by the query's LIMIT, passed as `records` (1 credit up to 200, 2 up to 1,000, 3 up to 2,000).
  if (kind === 'coql') return records <= 200 ? 1 : records <= 1000 ? 2 : 3;
  if (kind === 'insert' || kind === 'update' || kind === 'upsert') return Math.max(1, Math.ceil(records / 10));
  if (kind === 'delete') return Math.max(1, Math.ceil(records / 100));
  return 1;
}

/**
 * Documented credits for `count` records of work of one kind, batched as the client batches
 * them (writes and deletes by 100, reads by 200 per page, search by 10 values per call).
 */
export function estimateCredits(kind: ZohoCallKind, count: number): number {
  if (count <= 0) return 0;
  if (kind === 'insert' || kind === 'update' || kind === 'upsert' || kind === 'delete') {
    const full = Math.floor(count / WRITE_BATCH);
    const rest = count % WRITE_BATCH;
    return full * callCredits(kind, WRITE_BATCH) + (rest > 0 ? callCredits(kind, rest) : 0);
  }
  if (kind === 'list') return Math.ceil(count / 200);
  if (kind === 'search') return Math.ceil(count / 10);
  return count;
}
