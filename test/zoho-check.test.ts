import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startZohoSimulator, type ZohoSimulator } from '../src/sim/zoho/index.js';
import { checkZohoConnection } from '../src/zoho/check.js';
import { connectionFor } from './zoho-harness.js';

/** `check` (Zoho part) when Zoho cannot be reached: a diagnosis that says where to look, no secret. */

let sim: ZohoSimulator;
beforeAll(async () => {
  sim = await startZohoSimulator();
});
afterAll(async () => {
  await sim?.close();
});

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('check (Zoho) without a way to Zoho', () => {
  it('says to check the region or URL overrides and the network path, and shows no secret', async () => {
    const conn = connectionFor(sim, { accountsUrl: `http://127.0.0.1:${await closedPort()}`, retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 } });
    const credentials = { clientId: sim.credentials.clientId, clientSecret: sim.credentials.clientSecret, refreshToken: sim.credentials.refreshToken };
    const results = await checkZohoConnection(conn, [], { credentials });
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ target: 'zoho/auth', status: 'error', details: { code: 'ZOHO_TOKEN_UNAVAILABLE' } });
    expect(results[0]!.summary).toMatch(/ECONNREFUSED/);
    expect(results[0]!.diagnosis).toMatch(/region.*firewall/s);
    const text = JSON.stringify(results);
    expect(text).not.toContain(sim.credentials.clientSecret);
    expect(text).not.toContain(sim.credentials.refreshToken);
  });
});
