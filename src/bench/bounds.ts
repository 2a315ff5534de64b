/**
 * The lower bounds the bench compares the product with. Pure: counts in, figures out.
 *
 * Write calls: Zoho takes at most 100 records per write call, so a module whose plan writes n
 * records by upsert, a by update (adoptions) and d by delete needs at least
 * ceil(n/100) + ceil(a/100) + ceil(d/100) calls.
 *
 * Latency bound of a run, the least wall time any reconciler of this design could take against
 * these latencies, ignoring all computation:
 *   bound = max(PeopleSoft read, Zoho read) + writes
 * - PeopleSoft read: the pages of every reader one after another (keyset paging: a page's start is
 *   the last key of the one before), floor(rows / maxRows) + 1 pages per reader (a short page ends
 *   the read), each costing the PeopleSoft latency. Rows are those the run's read windows return.
 * - Zoho read: per module, one call per 2,000 records that the run must read (COQL's largest
 *   LIMIT), at least one; pages one after another. In the bench nobody but the product edits Zoho,
 *   so that is one call per module in every scenario (an empty module; changes that are all the
 *   product's own, which a query can exclude).
 * - The two reads overlap; a plan is complete before its first write (it is reviewed, and guards
 *   need the whole of it), so writes start after both.
 * - Writes: the lower-bound write calls, min(concurrency, 10) at a time (Zoho's sub-concurrency of
 *   10 for writes of more than 10 records), each costing the Zoho latency.
 * Token and field-metadata calls are left out, which makes the bound lower, not higher.
 */
import { SUB_CONCURRENCY, WRITE_BATCH } from '../zoho/credits.js';

export interface WriteCounts {
  /** Records written by upsert: create, update, deactivate, reactivate. */
  upsert: number;
  /** Records written by update by id: adoptions. */
  update: number;
  delete: number;
}

/** The fewest write calls Zoho's 100-record limit allows for one mapping's writes. */
export function writeCallsLowerBound(c: WriteCounts): number {
  return Math.ceil(c.upsert / WRITE_BATCH) + Math.ceil(c.update / WRITE_BATCH) + Math.ceil(c.delete / WRITE_BATCH);
}

/** Pages a keyset read of `rows` rows needs at `maxRows` per page: the last one is short (maybe empty). */
export function peopleSoftPages(rows: number, maxRows: number): number {
  return Math.floor(rows / maxRows) + 1;
}

/** Zoho read calls a module needs when the run must read `records` records of it. */
export function zohoReadCalls(records: number): number {
  return Math.max(1, Math.ceil(records / 2000));
}

export interface BoundInput {
  /** Rows each PeopleSoft reader returned in this run. */
  peoplesoftRows: readonly number[];
  maxRows: number;
  /** Per Zoho module the mappings write: records the run must read (0: one call to learn nothing changed). */
  zohoRecordsToRead: readonly number[];
  /** Lower-bound write calls, all modules. */
  writeCalls: number;
  /** The connection's concurrency. */
  concurrency: number;
  peoplesoftLatencyMs: number;
  zohoLatencyMs: number;
}

export interface LatencyBound {
  peoplesoftMs: number;
  zohoReadMs: number;
  writesMs: number;
  totalMs: number;
}

export function latencyBound(i: BoundInput): LatencyBound {
  const peoplesoftMs = i.peoplesoftRows.reduce((ms, rows) => ms + peopleSoftPages(rows, i.maxRows) * i.peoplesoftLatencyMs, 0);
  const zohoReadMs = i.zohoRecordsToRead.reduce((ms, n) => ms + zohoReadCalls(n) * i.zohoLatencyMs, 0);
  const writesMs = Math.ceil(i.writeCalls / Math.max(1, Math.min(i.concurrency, SUB_CONCURRENCY))) * i.zohoLatencyMs;
  return { peoplesoftMs, zohoReadMs, writesMs, totalMs: Math.max(peoplesoftMs, zohoReadMs) + writesMs };
}

/** The target for the first run after an apply of n records to a module: at most ceil(n/200) + 1 read calls. */
export function readsAfterApplyTarget(n: number): number {
  return Math.ceil(n / 200) + 1;
}
