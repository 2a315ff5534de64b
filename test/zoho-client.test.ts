import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { ZohoConnection } from '../src/config/types.generated.js';
import { isMlError } from '../src/support/errors.js';
import { createZohoClient } from '../src/zoho/index.js';
import { collect, contacts, startRig, type ZohoRig } from './zoho-harness.js';

let rig: ZohoRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const FIELDS = ['PeopleSoft_Employee_ID', 'Last_Name', 'Email', 'Employment_Status'];

describe('Zoho client: records over HTTP against the simulator', () => {
  it('upserts 101 records in two calls, then updates them by external id on a rerun', async () => {
    rig = await startRig();
    const input = contacts(101);
    const first = await rig.client.upsert('Contacts', input, { duplicateCheckFields: ['PeopleSoft_Employee_ID'] });
    expect(first).toHaveLength(101);
    expect(first.every((r, i) => r.ok && r.index === i && r.action === 'insert' && /^\d{18,19}$/.test(r.id ?? ''))).toBe(true);
    expect(rig.sim.requests.count({ kind: 'upsert' })).toBe(2);
    const body = rig.sim.requests.entries.filter((e) => e.kind === 'upsert').map((e) => e.records);
    expect(body.sort()).toEqual([1, 100]);

    const again = await rig.client.upsert('Contacts', input, { duplicateCheckFields: ['PeopleSoft_Employee_ID'] });
    expect(again.every((r) => r.ok && r.action === 'update' && r.duplicateField === 'PeopleSoft_Employee_ID')).toBe(true);
    expect(again.map((r) => r.id)).toEqual(first.map((r) => r.id));
    expect(rig.sim.records('Contacts')).toHaveLength(101);
    expect(rig.client.stats().credits).toBeGreaterThanOrEqual(2 * 11);
  });

  it('reports a 207 partial batch record by record, in input order', async () => {
    rig = await startRig();
    const input = contacts(3);
    input[1]!.Employment_Status = 'Fired';
    const res = await rig.client.upsert('Contacts', input, { duplicateCheckFields: ['PeopleSoft_Employee_ID'] });
    expect(rig.sim.requests.entries.find((e) => e.kind === 'upsert')?.status).toBe(207);
    expect(res.map((r) => r.ok)).toEqual([true, false, true]);
    expect(res[1]).toMatchObject({ index: 1, code: 'INVALID_DATA', field: 'Employment_Status' });
    expect(res[1]!.message).toMatch(/Employment_Status/);
  });

  it('reports a 400 all-failed batch per record without throwing', async () => {
    rig = await startRig();
    const input = contacts(2).map(({ Last_Name: _drop, ...rest }) => rest);
    const res = await rig.client.upsert('Contacts', input, { duplicateCheckFields: ['PeopleSoft_Employee_ID'] });
    expect(rig.sim.requests.entries.find((e) => e.kind === 'upsert')?.status).toBe(400);
    expect(res).toHaveLength(2);
    expect(res.every((r) => !r.ok && r.code === 'MANDATORY_NOT_FOUND' && r.field === 'Last_Name')).toBe(true);
  });

  it('lists 2,500 records: page for the first 2,000, then page_token', async () => {
    rig = await startRig();
    rig.sim.seed({ records: { Contacts: contacts(2500) } });
    const got = await collect(rig.client.listRecords('Contacts', FIELDS));
    expect(got).toHaveLength(2500);
    expect(new Set(got.map((r) => r.id)).size).toBe(2500);
    expect(got.every((r) => typeof r.id === 'string' && typeof r.Modified_Time === 'string' && r.Modified_Time !== '')).toBe(true);
    const lists = rig.sim.requests.entries.filter((e) => e.kind === 'list');
    expect(lists.filter((e) => e.query.page !== undefined)).toHaveLength(10);
    expect(lists.filter((e) => e.query.page_token !== undefined)).toHaveLength(3);
    expect(lists.every((e) => e.status === 200)).toBe(true);
  });

  it('answers an unchanged incremental read with 304 and no records, then sees a later edit', async () => {
    rig = await startRig();
    const written = await rig.client.upsert('Contacts', contacts(5), { duplicateCheckFields: ['PeopleSoft_Employee_ID'] });
    const all = await collect(rig.client.listRecords('Contacts', FIELDS));
    const since = all.map((r) => r.Modified_Time).sort((a, b) => Date.parse(b) - Date.parse(a))[0]!;
    rig.clock.advance(5_000);
    expect(await collect(rig.client.listRecords('Contacts', FIELDS, { modifiedSince: since }))).toEqual([]);
    expect(rig.sim.requests.entries.at(-1)).toMatchObject({ kind: 'list', status: 304 });

    rig.sim.editRecord('Contacts', written[2]!.id!, { Last_Name: 'Changed' });
    const changed = await collect(rig.client.listRecords('Contacts', FIELDS, { modifiedSince: since }));
    expect(changed.map((r) => r.Last_Name)).toEqual(['Changed']);
  });

  it('splits the fields into several calls past the per-call limit and merges them by id', async () => {
    rig = await startRig();
    await rig.client.upsert('Contacts', contacts(3), { duplicateCheckFields: ['PeopleSoft_Employee_ID'] });
    // The simulator's Contacts has fewer than 50 fields, so the limit is lowered to show the split.
    const got = await collect(rig.client.listRecords('Contacts', FIELDS, { fieldsPerCall: 2 }));
    expect(got).toHaveLength(3);
    expect(got.every((r) => r.Modified_Time && r.PeopleSoft_Employee_ID && r.Last_Name && r.Email && r.Employment_Status === 'Active')).toBe(true);
    const lists = rig.sim.requests.entries.filter((e) => e.kind === 'list');
    expect(lists).toHaveLength(3);
    expect(lists.every((e) => (e.query.fields ?? '').split(',').length <= 2)).toBe(true);
  });

  it('gets by id, by external id (X-EXTERNAL) and by search; unknown ones are undefined', async () => {
    rig = await startRig();
    const [w] = await rig.client.upsert('Contacts', contacts(12), { duplicateCheckFields: ['PeopleSoft_Employee_ID'] });
    expect((await rig.client.getRecord('Contacts', w!.id!, FIELDS))?.PeopleSoft_Employee_ID).toBe('E00001');
    expect(await rig.client.getRecord('Contacts', '5725767000009999999')).toBeUndefined();
    expect((await rig.client.getByExternalId('Contacts', 'PeopleSoft_Employee_ID', 'E00001', FIELDS))?.id).toBe(w!.id);
    expect(await rig.client.getByExternalId('Contacts', 'PeopleSoft_Employee_ID', 'NOPE')).toBeUndefined();
    const ids = contacts(12).map((c) => String(c.PeopleSoft_Employee_ID));
    const found = await rig.client.searchByField('Contacts', 'PeopleSoft_Employee_ID', [...ids, 'E(odd),x'], FIELDS);
    expect(found.map((r) => r.PeopleSoft_Employee_ID).sort()).toEqual(ids);
    expect(rig.sim.requests.count({ kind: 'search' })).toBe(2);
  });

  it('deletes only the ids it is given', async () => {
    rig = await startRig();
    const w = await rig.client.upsert('Contacts', contacts(3), { duplicateCheckFields: ['PeopleSoft_Employee_ID'] });
    const del = await rig.client.deleteRecords('Contacts', [w[0]!.id!]);
    expect(del).toEqual([expect.objectContaining({ ok: true, action: 'delete', id: w[0]!.id })]);
    expect(rig.sim.records('Contacts')).toHaveLength(2);
  });

  it('throws a coded error for a module the edition lacks, naming what to do', async () => {
    rig = await startRig({ sim: { vendorsModule: false } });
    const err = await rig.client.upsert('Vendors', [{ Vendor_Name: 'X', PeopleSoft_Vendor_ID: 'V1' }], { duplicateCheckFields: ['PeopleSoft_Vendor_ID'] }).catch((e: unknown) => e);
    expect(isMlError(err) && err.code).toBe('ZOHO_INVALID_MODULE');
    expect(isMlError(err) && err.hint).toMatch(/Professional/);
  });
});

describe('Zoho upsert bench', () => {
  it('writes n records in exactly ceil(n/100) upsert calls and 1 credit per 10 records', async () => {
    const { benchZohoUpsert } = await import('../src/bench/zoho.js');
    const r = await benchZohoUpsert(250);
    expect(r).toMatchObject({ records: 250, writeCalls: 3, lowerBound: 3, calls: 4, credits: 26, tokenRequests: 1 });
  });
});

describe('Zoho client: the If-Modified-Since it sends', () => {
  it('is in the documented form (whole seconds, numeric offset), whatever ISO text it was given', async () => {
    // A bare loopback server playing both accounts server and API, to see the header as sent.
    const seen: string[] = [];
    const server = createServer((req, res) => {
      if (req.url?.startsWith('/oauth/v2/token')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: '1000.fake.token', api_domain: base, token_type: 'Bearer', expires_in: 3600 }));
        return;
      }
      seen.push(String(req.headers['if-modified-since']));
      res.writeHead(304).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const conn = { apiVersion: 'ml-connector/v1', kind: 'ZohoConnection', name: 'zoho', region: 'us', accountsUrl: base, apiUrl: base, edition: 'enterprise', auth: { type: 'refresh_token', clientId: 'c', clientSecret: 's', refreshToken: 'r' } } as ZohoConnection;
    const client = createZohoClient(conn, { credentials: { clientId: 'c', clientSecret: 's', refreshToken: '1000.r.r' } });
    try {
      expect(await collect(client.listRecords('Contacts', FIELDS, { modifiedSince: '2026-11-27T02:51:41.250Z' }))).toEqual([]);
      expect(await collect(client.listRecords('Contacts', FIELDS, { modifiedSince: '2026-11-26T19:51:41-07:00' }))).toEqual([]);
    } finally {
      await client.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
    expect(seen).toEqual(['2026-11-27T02:51:41+00:00', '2026-11-27T02:51:41+00:00']);
  });
});
