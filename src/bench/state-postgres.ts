/**
 * The state bench on PostgreSQL, run by `npm run bench` only when ML_CONNECTOR_BENCH_POSTGRES_URL
 * names a server (the default bench stays SQLite-only and needs nothing). The same shape as the
 * SQLite stage (src/bench/state.ts), in a schema of its own that is dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { postgresTarget } from '../state/index.js';
import { benchState, type StateBenchResult } from './state.js';

export const BENCH_POSTGRES_ENV = 'ML_CONNECTOR_BENCH_POSTGRES_URL';

export async function benchStatePostgres(url = process.env[BENCH_POSTGRES_ENV]): Promise<StateBenchResult | { skipped: string }> {
  if (!url) return { skipped: `set ${BENCH_POSTGRES_ENV}=postgres://… to measure PostgreSQL` };
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  try {
    return await benchState({ target: postgresTarget(url, { schema }) });
  } finally {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => admin.end());
  }
}

/** The line main.ts prints for this stage. */
export function describePostgresBench(r: StateBenchResult | { skipped: string }): string {
  if ('skipped' in r) return `state on PostgreSQL: skipped (${r.skipped})`;
  return `state on PostgreSQL: ${r.linkUpserts.toLocaleString('en-US')} link upserts in ${r.ms} ms (${r.perSecond.toLocaleString('en-US')}/s, ${r.batches} transactions, ${r.cpuMs} ms CPU); read back in ${r.readMs} ms; commitBatch of 100: ${r.batchCommit.perSecond.toLocaleString('en-US')} records/s`;
}
