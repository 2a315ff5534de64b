import { pathToFileURL } from 'node:url';
import type { ZohoConnection } from '../config/types.generated.js';
import { startZohoSimulator } from '../sim/zoho/index.js';
import { OffsetClock } from '../support/clock.js';
import { createZohoClient } from '../zoho/index.js';

export interface ZohoUpsertBench {
  records: number;
  /** CRM API requests the simulator saw (fields + upserts + retries), token requests excluded. */
  calls: number;
  writeCalls: number;
  /** ceil(n / 100): the fewest write calls Zoho's 100-record limit allows. */
  lowerBound: number;
  /** Credits the simulator charged (documented costs: 1 per 10 records written, 1 per other call). */
  credits: number;
  tokenRequests: number;
  ms: number;
}

/**
 * An initial upsert of `n` contacts (none exist yet) through the client, as an apply would do it:
 * read the module's fields once, then upsert by the external id in batches of 100, concurrently
 * up to the edition's limit. `latencyMs` is added by the simulator to every API answer.
 */
export async function benchZohoUpsert(n: number, latencyMs = 0): Promise<ZohoUpsertBench> {
  const clock = new OffsetClock();
  const sim = await startZohoSimulator({ clock, latencyMs, dailyCredits: 10_000_000 });
  try {
    const conn: ZohoConnection = {
      apiVersion: 'ml-connector/v1',
      kind: 'ZohoConnection',
      name: 'zoho',
      region: 'us',
      accountsUrl: sim.accountsUrl,
      apiUrl: sim.apiDomain,
      edition: 'enterprise',
      auth: { type: 'refresh_token', clientId: sim.credentials.clientId, clientSecret: '${env:X}', refreshToken: '${env:Y}' },
    };
    const client = createZohoClient(conn, { credentials: { ...sim.credentials }, clock });
    const records = Array.from({ length: n }, (_, i) => {
      const k = String(i + 1).padStart(6, '0');
      return { PeopleSoft_Employee_ID: `E${k}`, First_Name: 'Bench', Last_Name: `Person ${k}`, Email: `bench.${k}@example.com`, Employment_Status: 'Active', Hire_Date: '2020-01-15' };
    });
    const started = performance.now();
    await client.getFields('Contacts');
    const results = await client.upsert('Contacts', records, { duplicateCheckFields: ['PeopleSoft_Employee_ID'] });
    const ms = Math.round(performance.now() - started);
    await client.close();
    const failed = results.filter((r) => !r.ok);
    if (failed.length) throw new Error(`bench: ${failed.length} records failed, e.g. ${failed[0]?.code} ${failed[0]?.message}`);
    const api = sim.requests.entries.filter((e) => e.kind !== 'token' && e.kind !== 'auth' && e.kind !== 'notify');
    return {
      records: n,
      calls: api.length,
      writeCalls: api.filter((e) => e.kind === 'upsert').length,
      lowerBound: Math.ceil(n / 100),
      credits: sim.creditsUsed(),
      tokenRequests: sim.requests.count({ kind: 'token' }),
      ms,
    };
  } finally {
    await sim.close();
  }
}

// `node dist/bench/zoho.js [n] [latencyMs]` prints one JSON line.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = Number(process.argv[2] ?? 10_000);
  const latency = Number(process.argv[3] ?? 0);
  benchZohoUpsert(n, latency).then(
    (r) => process.stdout.write(JSON.stringify(r) + '\n'),
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
