/**
 * Hand-made records in the Zoho simulator, over real HTTP: what a person typed into Zoho before
 * ml-connector (owned and created by the UI user, no external id, typed as people type), added
 * through the start option or the simulator's control route, and the firm's dozen as its story says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileMatchRules } from '../src/mapping/index.js';
import type { Mapping } from '../src/config/types.generated.js';
import { firmHandMadeRecords, generateDataset, manyHandMadeContacts, startZohoSimulator, type ZohoSimulator } from '../src/sim/index.js';

const SAM = '5725767000000411017';
let sim: ZohoSimulator;
let token: string;

async function api(path: string): Promise<any> {
  const res = await fetch(`${sim.apiDomain}/crm/v8${path}`, { headers: { authorization: `Zoho-oauthtoken ${token}` } });
  return res.status === 204 ? undefined : res.json();
}

beforeAll(async () => {
  sim = await startZohoSimulator({
    handMade: { Contacts: [{ First_Name: 'ann', Last_Name: 'LEE', Email: 'Ann.Lee@Example.com', Phone: '(312) 555-0100', Created_Time: '2024-05-01T09:00:00+00:00' }] },
  });
  const c = sim.credentials;
  const res = await fetch(`${sim.accountsUrl}/oauth/v2/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: c.clientId, client_secret: c.clientSecret, refresh_token: c.refreshToken }),
  });
  token = ((await res.json()) as { access_token: string }).access_token;
});
afterAll(() => sim.close());

describe('hand-made records', () => {
  it('start with the org: created and owned by the UI user, as typed, with no external id', async () => {
    const [rec] = (await api('/Contacts?fields=First_Name,Last_Name,Email,Phone,Owner,Created_By,Created_Time,PeopleSoft_Employee_ID')).data;
    expect(rec).toMatchObject({ First_Name: 'ann', Last_Name: 'LEE', Email: 'Ann.Lee@Example.com', Phone: '(312) 555-0100', PeopleSoft_Employee_ID: null });
    expect([rec.Owner.id, rec.Created_By.id]).toEqual([SAM, SAM]);
    expect(Date.parse(rec.Created_Time)).toBe(Date.parse('2024-05-01T09:00:00Z'));
  });

  it('are added over HTTP by POST /sim/hand-made, all or nothing', async () => {
    const post = (body: unknown) => fetch(`${sim.url}/sim/hand-made`, { method: 'POST', body: JSON.stringify(body) });
    const ok = await post({ records: { Accounts: [{ Account_Name: 'Acme, Inc.' }], Contacts: [{ Last_Name: 'Okafor', Mobile: '212.555.0177' }] } });
    expect(ok.status).toBe(201);
    const { ids } = (await ok.json()) as { ids: Record<string, string[]> };
    expect(ids.Accounts).toHaveLength(1);
    expect((await api(`/Accounts/${ids.Accounts![0]}`)).data[0]).toMatchObject({ Account_Name: 'Acme, Inc.', Created_By: { id: SAM } });

    // A record Zoho would refuse (no Last_Name) fails the request and adds nothing, not even the good one.
    const before = sim.records('Contacts').length;
    const bad = await post({ records: { Contacts: [{ Last_Name: 'Fine' }, { First_Name: 'No last name' }] } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/MANDATORY_NOT_FOUND.*Last_Name/);
    expect(sim.records('Contacts')).toHaveLength(before);
    expect((await post({ nothing: true })).status).toBe(400);
    expect((await fetch(`${sim.url}/sim/elsewhere`, { method: 'POST' })).status).toBe(404);
    // Control routes are not Zoho's API: no token needed, and the API never serves them.
    expect((await fetch(`${sim.apiDomain}/crm/v8/sim/hand-made`, { method: 'POST', headers: { authorization: `Zoho-oauthtoken ${token}` } })).status).not.toBe(201);
  });
});

describe("the firm's hand-made org", () => {
  const data = generateDataset({ preset: 'firm', seed: 1, asOf: '2026-03-02' });
  const org = firmHandMadeRecords(data);
  const contacts: Mapping = {
    apiVersion: 'ml-connector/v1', kind: 'Mapping', name: 'employees-to-contacts',
    source: { connection: 'hcm', entity: 'employees' }, target: { connection: 'zoho', module: 'Contacts' },
    externalId: { field: 'PeopleSoft_Employee_ID' },
    fields: [{ to: 'First_Name', from: 'FIRST_NAME' }, { to: 'Last_Name', from: 'LAST_NAME' }, { to: 'Email', from: 'EMAIL', transforms: ['email'] }, { to: 'Phone', from: 'PHONE_BUSN', transforms: ['phone'] }],
    match: [{ fields: ['Email'] }, { fields: ['First_Name', 'Last_Name', 'Phone'] }],
  };
  const [byEmail, byNamePhone] = compileMatchRules(contacts);

  it('holds a dozen records with every hard case, and is the same for the same dataset', () => {
    expect(org.records.Contacts!.length + org.records.Accounts!.length).toBe(12);
    expect(new Set(org.notes.map((n) => n.case))).toEqual(new Set(['email-case', 'name-phone', 'ambiguous', 'foreign-id', 'former-employee', 'contractor', 'customer', 'vendor-name', 'vendor-name-postal']));
    expect(org.notes.filter((n) => n.expect === 'adopt')).toHaveLength(6);
    expect(JSON.stringify(firmHandMadeRecords(generateDataset({ preset: 'firm', seed: 1, asOf: '2026-03-02' })))).toBe(JSON.stringify(org));
  });

  it("matches the people it is about through the mapping's rules, the way they were typed", () => {
    const employee = (emplid: string) => data.employees.find((e) => e.EMPLID === emplid)!;
    for (const note of org.notes.filter((n) => n.module === 'Contacts' && n.sourceKey !== undefined)) {
      const typed = org.records.Contacts![note.index]!;
      const e = employee(note.sourceKey!);
      const email = (e.emails.find((m) => m.PREF_EMAIL_FLAG === 'Y') ?? e.emails[0])?.EMAIL_ADDR;
      const desired = { First_Name: e.FIRST_NAME, Last_Name: e.LAST_NAME, Email: email?.toLowerCase() ?? null, Phone: e.phones.find((p) => p.PHONE_TYPE === 'BUSN')?.PHONE ?? null };
      const rule = note.case === 'name-phone' ? byNamePhone! : byEmail!;
      expect(rule.key(typed as Record<string, string>), `${note.case} ${note.sourceKey}`).toBe(rule.key(desired));
      if (note.case === 'email-case') expect(typed.Email).not.toBe(desired.Email);
    }
    // The ambiguous pair: two Zoho records, one employee.
    const pair = org.notes.filter((n) => n.case === 'ambiguous');
    expect(pair).toHaveLength(2);
    expect(pair[0]!.sourceKey).toBe(pair[1]!.sourceKey);
    // The record with a foreign external id carries one that PeopleSoft does not have.
    const foreign = org.records.Contacts![org.notes.find((n) => n.case === 'foreign-id')!.index]!;
    expect(data.employees.some((e) => e.EMPLID === foreign.PeopleSoft_Employee_ID)).toBe(false);
  });

  it('loads into the simulator: Zoho accepts every record as typed', async () => {
    const z = await startZohoSimulator({ handMade: org.records });
    try {
      expect(z.records('Contacts')).toHaveLength(org.records.Contacts!.length);
      expect(z.records('Accounts').map((a) => a.Account_Name)).toContain('Harborview Capital Partners');
      expect(z.records('Contacts').filter((c) => c.PeopleSoft_Employee_ID)).toHaveLength(1);
    } finally {
      await z.close();
    }
  });
});

describe('many hand-made contacts (for the bench)', () => {
  it('gives the count asked for, half of them for real employees, the same for the same seed', () => {
    const data = generateDataset({ employees: 2000, vendors: 10, seed: 5, asOf: '2026-03-02' });
    const contacts = manyHandMadeContacts(data, 1000);
    expect(contacts).toHaveLength(1000);
    const emails = new Set(data.employees.flatMap((e) => e.emails.map((m) => m.EMAIL_ADDR.trim().toLowerCase())));
    const lastNames = new Set(data.employees.map((e) => e.LAST_NAME));
    const forEmployees = contacts.filter((c) => (typeof c.Email === 'string' && emails.has(c.Email.toLowerCase())) || (c.Email === undefined && lastNames.has(String(c.Last_Name))));
    expect(forEmployees).toHaveLength(500);
    expect(JSON.stringify(manyHandMadeContacts(data, 1000))).toBe(JSON.stringify(contacts));
  });
});
