import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startZohoSimulator, type ZohoSimulator } from '../src/sim/zoho/index.js';

/** The simulator's `POST /crm/v8/settings/fields` (create custom fields), over real HTTP. */
let sim: ZohoSimulator;
const tokens: Record<string, string> = {};

async function accessToken(scope?: string): Promise<string> {
  const c = sim.credentials;
  if (scope) {
    const code = sim.issueSelfClientCode([scope]);
    const res = await fetch(`${sim.accountsUrl}/oauth/v2/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', client_id: c.clientId, client_secret: c.clientSecret, code }) });
    return ((await res.json()) as { access_token: string }).access_token;
  }
  const res = await fetch(`${sim.accountsUrl}/oauth/v2/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', client_id: c.clientId, client_secret: c.clientSecret, refresh_token: c.refreshToken }) });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function post(module: string | null, body: unknown, token = tokens.all!): Promise<{ status: number; body: any }> {
  const res = await fetch(`${sim.apiDomain}/crm/v8/settings/fields${module ? `?module=${module}` : ''}`, { method: 'POST', headers: { authorization: `Zoho-oauthtoken ${token}` }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  sim = await startZohoSimulator({ customFields: false });
  tokens.all = await accessToken();
  tokens.read = await accessToken('ZohoCRM.settings.fields.READ');
});
afterAll(async () => sim.close());

describe('POST /crm/v8/settings/fields', () => {
  it('creates fields from labels (201), derives the API name, and GET settings/fields shows them', async () => {
    const res = await post('Contacts', { fields: [
      { field_label: 'PeopleSoft Employee ID', data_type: 'text', length: 50, unique: { case_sensitive: false } },
      { field_label: 'Employment Status', data_type: 'picklist', pick_list_values: [{ display_value: 'Active', actual_value: 'Active' }, { display_value: 'Terminated', actual_value: 'Terminated' }] },
    ] });
    expect(res.status).toBe(201);
    expect(res.body.fields).toEqual([
      { code: 'SUCCESS', details: { id: expect.stringMatching(/^\d{19}$/) }, message: 'field created', status: 'success' },
      { code: 'SUCCESS', details: { id: expect.stringMatching(/^\d{19}$/) }, message: 'field created', status: 'success' },
    ]);
    const fields = (await (await fetch(`${sim.apiDomain}/crm/v8/settings/fields?module=Contacts`, { headers: { authorization: `Zoho-oauthtoken ${tokens.all}` } })).json()) as { fields: Array<Record<string, any>> };
    expect(fields.fields.find((f) => f.api_name === 'PeopleSoft_Employee_ID')).toMatchObject({ field_label: 'PeopleSoft Employee ID', data_type: 'text', length: 50, custom_field: true, unique: { casesensitive: 'false' } });
    expect(fields.fields.find((f) => f.api_name === 'Employment_Status')?.pick_list_values.map((p: { actual_value: string }) => p.actual_value)).toEqual(['-None-', 'Active', 'Terminated']);
    // The new unique field is enforced on writes, like one created in Setup.
    const write = async (id: string): Promise<number> => (await fetch(`${sim.apiDomain}/crm/v8/Contacts`, { method: 'POST', headers: { authorization: `Zoho-oauthtoken ${tokens.all}` }, body: JSON.stringify({ data: [{ Last_Name: 'X', PeopleSoft_Employee_ID: id }] }) })).status;
    expect(await write('E1')).toBe(201);
    expect(await write('E1')).toBe(400);
  });

  it('answers 207 with one entry per field in order, and 400 when none could be created', async () => {
    const mixed = await post('Accounts', { fields: [{ field_label: 'Vendor Status', data_type: 'picklist', pick_list_values: [{ actual_value: 'Approved' }] }, { field_label: 'Bad', data_type: 'hologram' }] });
    expect(mixed.status).toBe(207);
    expect(mixed.body.fields[0].status).toBe('success');
    expect(mixed.body.fields[1]).toMatchObject({ code: 'INVALID_DATA', status: 'error', details: { api_name: 'data_type', json_path: '$.fields[1].data_type' } });
    const none = await post('Accounts', { fields: [{ field_label: 'Vendor Status', data_type: 'text' }, { data_type: 'text' }, { field_label: 'Too Long', data_type: 'text', length: 256 }, { field_label: 'Empty Picklist', data_type: 'picklist' }] });
    expect(none.status).toBe(400);
    expect(none.body.fields.map((f: { code: string }) => f.code)).toEqual(['DUPLICATE_DATA', 'MANDATORY_NOT_FOUND', 'INVALID_DATA', 'MANDATORY_NOT_FOUND']);
    expect(none.body.fields[2].details).toMatchObject({ api_name: 'length', range: { from: 1, to: 255 } });
  });

  it('refuses a missing or unknown module, a body without fields, and a token without the create scope', async () => {
    expect(await post(null, { fields: [] })).toMatchObject({ status: 400, body: { code: 'REQUIRED_PARAM_MISSING' } });
    expect(await post('Contact', { fields: [{ field_label: 'A', data_type: 'text' }] })).toMatchObject({ status: 400, body: { code: 'INVALID_MODULE' } });
    expect(await post('Contacts', { nope: 1 })).toMatchObject({ status: 400, body: { code: 'MANDATORY_NOT_FOUND' } });
    expect(await post('Contacts', { fields: Array.from({ length: 26 }, (_, i) => ({ field_label: `F${i}`, data_type: 'text' })) })).toMatchObject({ status: 400, body: { code: 'LIMIT_EXCEEDED' } });
    expect(await post('Contacts', { fields: [{ field_label: 'Hire Date', data_type: 'date' }] }, tokens.read)).toMatchObject({ status: 401, body: { code: 'OAUTH_SCOPE_MISMATCH' } });
  });
});
