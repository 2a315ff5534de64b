import type { ZohoConnection } from '../src/config/types.generated.js';
import { OffsetClock } from '../src/support/clock.js';
import { startZohoSimulator, type ZohoSimulator, type ZohoSimulatorOptions } from '../src/sim/zoho/index.js';
import { createZohoClient, type ZohoClient } from '../src/zoho/index.js';

/** A Zoho simulator plus a connection and client pointed at it, sharing one clock. */
export interface ZohoRig {
  sim: ZohoSimulator;
  clock: OffsetClock;
  conn: ZohoConnection;
  client: ZohoClient;
  close(): Promise<void>;
}

export function connectionFor(sim: ZohoSimulator, extra: Partial<ZohoConnection> = {}): ZohoConnection {
  return {
    apiVersion: 'ml-connector/v1',
    kind: 'ZohoConnection',
    name: 'zoho',
    region: 'us',
    accountsUrl: sim.accountsUrl,
    apiUrl: sim.apiDomain,
    edition: 'enterprise',
    auth: { type: 'refresh_token', clientId: sim.credentials.clientId, clientSecret: '${env:ZOHO_CLIENT_SECRET}', refreshToken: '${env:ZOHO_REFRESH_TOKEN}' },
    // Small delays keep the retry tests fast; the bounds are the same as in production.
    retry: { maxAttempts: 4, baseDelayMs: 20, maxDelayMs: 200 },
    ...extra,
  };
}

export async function startRig(o: { sim?: ZohoSimulatorOptions; conn?: Partial<ZohoConnection>; concurrency?: number } = {}): Promise<ZohoRig> {
  const clock = new OffsetClock();
  const sim = await startZohoSimulator({ clock, ...o.sim });
  const conn = connectionFor(sim, o.conn);
  const client = createZohoClient(conn, {
    credentials: { clientId: sim.credentials.clientId, clientSecret: sim.credentials.clientSecret, refreshToken: sim.credentials.refreshToken },
    clock,
    ...(o.concurrency ? { concurrency: o.concurrency } : {}),
  });
  return {
    sim,
    clock,
    conn,
    client,
    close: async () => {
      await client.close();
      await sim.close();
    },
  };
}

/** `n` contacts with PeopleSoft ids E00001..., valid for the simulator's Contacts module. */
export function contacts(n: number, from = 1): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => {
    const k = String(from + i).padStart(5, '0');
    return { PeopleSoft_Employee_ID: `E${k}`, First_Name: 'Test', Last_Name: `Person${k}`, Email: `p${k}@example.com`, Employment_Status: 'Active' };
  });
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
