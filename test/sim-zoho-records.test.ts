import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/support/clock.js';
import { startZohoSimulator, type ZohoSimulator } from '../src/sim/zoho/index.js';

/** The records API v8 over real HTTP: statuses, per-record results, validation shapes, reads. */

let sim: ZohoSimulator;
let token: string;
const clock = new ManualClock(Date.parse('2026-03-02T17:00:00Z'));

async function accessToken(s: ZohoSimulator): Promise<string> {
  const c = s.credentials;
  const res = await fetch(`${s.accountsUrl}/oauth/v2/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: c.clientId, client_secret: c.clientSecret, refresh_token: c.refreshToken }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

interface Answer {
  status: number;
  body: any;
  raw: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A raw call; JSON bodies are sent without Content-Type, as the official SDK does. */
async function call(method: string, path: string, opts: { body?: unknown; headers?: Record<string, string>; auth?: string | null } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.auth !== null) headers.authorization = opts.auth ?? `Zoho-oauthtoken ${token}`;
  const res = await request(`${sim.apiDomain}${path}`, {
    method: method as 'GET',
    headers,
    body: opts.body === undefined ? null : JSON.stringify(opts.body),
  });
  const raw = await res.body.text();
  return { status: res.statusCode, body: raw ? JSON.parse(raw) : undefined, raw, headers: res.headers };
}

const contact = (n: number, extra: Record<string, unknown> = {}) => ({
  First_Name: `First${n}`,
  Last_Name: `Last${n}`,
  Email: `person${n}@example.com`,
  PeopleSoft_Employee_ID: `E${String(n).padStart(4, '0')}`,
  ...extra,
});

beforeAll(async () => {
  sim = await startZohoSimulator({ clock });
  token = await accessToken(sim);
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.seed({ records: {} });
});

describe('Zoho API v8: auth and routing', () => {
  it('rejects a missing header, a Bearer prefix and an unknown token with 401', async () => {
    expect(await call('GET', '/crm/v8/org', { auth: null })).toMatchObject({ status: 401, body: { code: 'AUTHENTICATION_FAILURE', status: 'error' } });
    expect((await call('GET', '/crm/v8/org', { auth: `Bearer ${token}` })).status).toBe(401);
    const bad = await call('GET', '/crm/v8/org', { auth: 'Zoho-oauthtoken 1000.nope.nope' });
    expect(bad).toMatchObject({ status: 401, body: { code: 'INVALID_TOKEN', details: {}, message: 'invalid oauth token', status: 'error' } });
    expect(bad.headers['content-type']).toBe('application/json;charset=UTF-8');
  });

  it('answers bad URLs with 404 INVALID_URL_PATTERN, bad modules with 400 INVALID_MODULE, bad methods with INVALID_REQUEST_METHOD', async () => {
    for (const path of ['/crm/v8/Contacts/', '/crm/v2/Contacts?fields=Last_Name', '/crm/v8/', '/nothing', '/crm/v8/Contacts/%E0%A4%A']) {
      expect(await call('GET', path)).toMatchObject({ status: 404, body: { code: 'INVALID_URL_PATTERN', message: 'Please check if the URL trying to access is a correct one' } });
    }
    expect(await call('GET', '/crm/v8/contacts?fields=Last_Name')).toMatchObject({
      status: 400,
      body: { code: 'INVALID_MODULE', message: 'the module name given seems to be invalid', details: { resource_path_index: 0 } },
    });
    expect((await call('PATCH', '/crm/v8/Contacts', { body: { data: [] } })).body.code).toBe('INVALID_REQUEST_METHOD');
  });

  it('serves field metadata, modules, the current user and the org', async () => {
    const fields = await call('GET', '/crm/v8/settings/fields?module=Contacts');
    expect(fields.status).toBe(200);
    const byName = new Map((fields.body.fields as any[]).map((f) => [f.api_name, f]));
    expect(byName.get('Last_Name')).toMatchObject({ data_type: 'text', json_type: 'string', length: 80, system_mandatory: true, custom_field: false, read_only: false });
    expect(byName.get('PeopleSoft_Employee_ID')).toMatchObject({ custom_field: true, length: 20, unique: { casesensitive: 'false' }, external: { show: true, type: 'org' } });
    expect(byName.get('Account_Name')).toMatchObject({ data_type: 'lookup', json_type: 'jsonobject', lookup: { module: { api_name: 'Accounts' } } });
    expect(byName.get('Employment_Status').pick_list_values.map((v: any) => v.actual_value)).toEqual(['-None-', 'Active', 'On Leave', 'Terminated', 'Retired']);
    expect(byName.get('Modified_Time')).toMatchObject({ data_type: 'datetime', read_only: true });
    expect(byName.get('Owner')).toMatchObject({ data_type: 'ownerlookup' });

    expect((await call('GET', '/crm/v8/settings/fields')).body).toMatchObject({ code: 'REQUIRED_PARAM_MISSING', details: { param_name: 'module' } });
    const modules = await call('GET', '/crm/v8/settings/modules');
    expect(modules.body.modules.map((m: any) => m.api_name)).toEqual(['Contacts', 'Accounts', 'Vendors']);
    const since = modules.body.modules[0].modified_time;
    expect((await call('GET', '/crm/v8/settings/modules', { headers: { 'If-Modified-Since': since } })).status).toBe(304);

    const me = await call('GET', '/crm/v8/users?type=CurrentUser');
    expect(me.body.users).toHaveLength(1);
    expect(me.body.users[0]).toMatchObject({ email: 'patricia.boyle@example.com' });
    expect((await call('GET', '/crm/v8/org')).body.org[0].id).toBe(sim.credentials.orgId);
  });

  it('leaves Vendors out of editions without it (free and standard by default)', async () => {
    const s = await startZohoSimulator({ edition: 'standard' });
    try {
      token = await accessToken(s);
      const saved = sim;
      sim = s;
      expect((await call('GET', '/crm/v8/settings/modules')).body.modules.map((m: any) => m.api_name)).toEqual(['Contacts', 'Accounts']);
      expect((await call('GET', '/crm/v8/Vendors?fields=Vendor_Name')).body.code).toBe('INVALID_MODULE');
      expect((await call('GET', '/crm/v8/settings/fields?module=Vendors')).status).toBe(400);
      expect((await call('GET', '/crm/v8/org')).body.org[0].license_details.paid_type).toBe('standard');
      sim = saved;
    } finally {
      await s.close();
      token = await accessToken(sim);
    }
  });
});

describe('Zoho API v8: writes', () => {
  it('inserts with 201 and Zoho-shaped details: 19-digit string ids, offset times, user objects', async () => {
    const r = await call('POST', '/crm/v8/Contacts', { body: { data: [contact(1), contact(2)] } });
    expect(r.status).toBe(201);
    expect(r.headers['content-type']).toBe('application/json;charset=UTF-8');
    const [first] = r.body.data;
    expect(first).toMatchObject({ code: 'SUCCESS', message: 'record added', status: 'success' });
    expect(first).not.toHaveProperty('action');
    expect(first.details.id).toMatch(/^\d{19}$/);
    expect(Number(first.details.id) > Number.MAX_SAFE_INTEGER).toBe(true);
    expect(first.details.Created_Time).toBe('2026-03-02T10:00:00-07:00');
    expect(first.details.Modified_By).toEqual({ name: 'Patricia Boyle', id: '5725767000000411001' });
    // The raw id in the JSON text is a string, never a number.
    expect(r.raw).toMatch(/"id":"\d{19}"/);
  });

  it('reports each record in input order: 207 when mixed, 400 when all fail, with the documented error shapes', async () => {
    const mixed = await call('POST', '/crm/v8/Contacts', {
      body: {
        data: [
          contact(1),
          { First_Name: 'No last name' },
          contact(3, { Last_Name: 'x'.repeat(81) }),
          contact(4, { Email: 'not-an-email' }),
          contact(5, { Employment_Status: 'Fired' }),
          contact(6, { Account_Name: { id: '5725767000000999999' } }),
          contact(7, { Favourite_Colour: 'teal' }),
          contact(8, { Hire_Date: '2026-02-30' }),
          contact(9, { PeopleSoft_Employee_ID: 'E0001' }),
        ],
      },
    });
    expect(mixed.status).toBe(207);
    const d = mixed.body.data;
    expect(d).toHaveLength(9);
    expect(d[0].code).toBe('SUCCESS');
    expect(d[1]).toEqual({ code: 'MANDATORY_NOT_FOUND', details: { api_name: 'Last_Name', json_path: '$.data[1].Last_Name' }, message: 'required field not found', status: 'error' });
    expect(d[2]).toEqual({ code: 'INVALID_DATA', details: { maximum_length: 80, api_name: 'Last_Name', json_path: '$.data[2].Last_Name' }, message: 'invalid data', status: 'error' });
    expect(d[3]).toMatchObject({ code: 'INVALID_DATA', details: { expected_data_type: 'email', api_name: 'Email', json_path: '$.data[3].Email' } });
    expect(d[4]).toMatchObject({ code: 'INVALID_DATA', details: { api_name: 'Employment_Status', supported_values: ['Active', 'On Leave', 'Terminated', 'Retired'] } });
    expect(d[5]).toMatchObject({ code: 'INVALID_DATA', message: 'the id given seems to be invalid', details: { api_name: 'Account_Name' } });
    expect(d[6]).toMatchObject({ code: 'INVALID_DATA', message: 'the field api name given seems to be invalid', details: { api_name: 'Favourite_Colour' } });
    expect(d[7]).toMatchObject({ code: 'INVALID_DATA', details: { expected_data_type: 'date', api_name: 'Hire_Date' } });
    expect(d[8]).toMatchObject({
      code: 'DUPLICATE_DATA',
      message: 'duplicate data',
      details: { api_name: 'PeopleSoft_Employee_ID', json_path: '$.data[8].PeopleSoft_Employee_ID', more_records: false, duplicate_record: { id: d[0].details.id, module: { api_name: 'Contacts' } } },
    });
    expect(sim.records('Contacts')).toHaveLength(1);

    const none = await call('POST', '/crm/v8/Contacts', { body: { data: [{ Email: 'x@example.com' }] } });
    expect(none.status).toBe(400);
    expect(none.body.data[0].code).toBe('MANDATORY_NOT_FOUND');
  });

  it('reports several bad fields of one record as MULTIPLE_OR_MULTI_ERRORS when switched on', async () => {
    const s = await startZohoSimulator({ quirks: { multipleErrors: 'combined' } });
    const saved = { sim, token };
    try {
      sim = s;
      token = await accessToken(s);
      const r = await call('POST', '/crm/v8/Contacts', { body: { data: [contact(1, { Email: 'bad', Hire_Date: 'soon' }), contact(2, { Email: 'bad' })] } });
      expect(r.status).toBe(400);
      expect(r.body.data[0]).toEqual({
        code: 'MULTIPLE_OR_MULTI_ERRORS',
        details: {
          errors: [
            { code: 'INVALID_DATA', details: { expected_data_type: 'email', api_name: 'Email', json_path: '$.data[0].Email' }, message: 'invalid data' },
            { code: 'INVALID_DATA', details: { expected_data_type: 'date', api_name: 'Hire_Date', json_path: '$.data[0].Hire_Date' }, message: 'invalid data' },
          ],
        },
        message: 'multiple errors occurred',
        status: 'error',
      });
      expect(r.body.data[1].code).toBe('INVALID_DATA');
    } finally {
      ({ sim, token } = saved);
      await s.close();
    }
  });

  it('links lookups by {"id"} and shows them as {name, id}', async () => {
    const acc = await call('POST', '/crm/v8/Accounts', { body: { data: [{ Account_Name: 'Acme Freight', Vendor_Status: 'Approved', PeopleSoft_Vendor_ID: 'SHARE-0001' }] } });
    const accountId = acc.body.data[0].details.id;
    const c = await call('POST', '/crm/v8/Contacts', { body: { data: [contact(1, { Account_Name: { id: accountId } })] } });
    expect(c.status).toBe(201);
    const got = await call('GET', `/crm/v8/Contacts/${c.body.data[0].details.id}`);
    expect(got.body.data[0].Account_Name).toEqual({ name: 'Acme Freight', id: accountId });
    expect(got.body.data[0].Owner).toEqual({ name: 'Patricia Boyle', id: '5725767000000411001', email: 'patricia.boyle@example.com' });
    expect(got.body.data[0].Full_Name).toBe('First1 Last1');
    expect(got.body.data[0].Mobile).toBeNull();
    const wrong = await call('POST', '/crm/v8/Contacts', { body: { data: [contact(2, { Account_Name: accountId })] } });
    expect(wrong.body.data[0]).toMatchObject({ code: 'INVALID_DATA', details: { api_name: 'Account_Name', expected_data_type: 'jsonobject' } });
  });

  it('rejects more than 100 records and a body without data', async () => {
    const many = Array.from({ length: 101 }, (_, i) => contact(i));
    expect(await call('POST', '/crm/v8/Contacts/upsert', { body: { data: many } })).toMatchObject({ status: 400, body: { code: 'LIMIT_EXCEEDED', status: 'error' } });
    expect(await call('POST', '/crm/v8/Contacts', { body: {} })).toMatchObject({ status: 400, body: { code: 'MANDATORY_NOT_FOUND', details: { api_name: 'data' } } });
    expect((await call('POST', '/crm/v8/Contacts', { body: 'not json' as unknown })).status).toBe(400);
  });

  it('upserts by duplicate_check_fields in the documented order; system fields only when listed', async () => {
    const seeded = await call('POST', '/crm/v8/Contacts', { body: { data: [contact(1), contact(2)] } });
    const [id1, id2] = seeded.body.data.map((r: any) => r.details.id);

    // Listed external field: the Email of record 1 is ignored (Email not listed), the ext id of record 2 matches.
    const byExt = await call('POST', '/crm/v8/Contacts/upsert', {
      body: { data: [contact(2, { Email: 'person1@example.com', Title: 'Engineer' })], duplicate_check_fields: ['PeopleSoft_Employee_ID'] },
    });
    expect(byExt.status).toBe(200);
    expect(byExt.body.data[0]).toMatchObject({ code: 'SUCCESS', action: 'update', duplicate_field: 'PeopleSoft_Employee_ID', message: 'record updated', details: { id: id2 } });

    // A shared Email does not match when only the ext id is listed: a new record.
    const fresh = await call('POST', '/crm/v8/Contacts/upsert', {
      body: { data: [contact(3, { Email: 'person1@example.com' })], duplicate_check_fields: ['PeopleSoft_Employee_ID'] },
    });
    expect(fresh.body.data[0]).toMatchObject({ action: 'insert', duplicate_field: null, message: 'record added' });

    // Email listed: three records now share person1@example.com; the oldest is updated (quirk upsertMultipleMatches).
    const byEmail = await call('POST', '/crm/v8/Contacts/upsert', {
      body: { data: [{ Last_Name: 'Renamed', Email: 'person1@example.com' }], duplicate_check_fields: ['Email'] },
    });
    expect(byEmail.body.data[0]).toMatchObject({ action: 'update', duplicate_field: 'Email', details: { id: id1 } });

    // Without duplicate_check_fields: the system field (Email) first, then user unique fields.
    const emailFirst = await call('POST', '/crm/v8/Contacts/upsert', { body: { data: [{ Last_Name: 'Y', Email: 'person1@example.com', PeopleSoft_Employee_ID: 'E7777' }] } });
    expect(emailFirst.body.data[0]).toMatchObject({ action: 'update', duplicate_field: 'Email', details: { id: id1 } });
    const extNext = await call('POST', '/crm/v8/Contacts/upsert', { body: { data: [{ Last_Name: 'X', PeopleSoft_Employee_ID: 'E0002' }] } });
    expect(extNext.body.data[0]).toMatchObject({ action: 'update', duplicate_field: 'PeopleSoft_Employee_ID', details: { id: id2 } });

    // Matching one record while taking another's unique value is DUPLICATE_DATA.
    const clash = await call('POST', '/crm/v8/Contacts/upsert', { body: { data: [{ Last_Name: 'Z', Email: 'person1@example.com', PeopleSoft_Employee_ID: 'E0002' }], duplicate_check_fields: ['Email'] } });
    expect(clash).toMatchObject({ status: 400, body: { data: [{ code: 'DUPLICATE_DATA', details: { api_name: 'PeopleSoft_Employee_ID', duplicate_record: { id: id2 } } }] } });

    // A field that is neither unique nor a system duplicate field is refused.
    const bad = await call('POST', '/crm/v8/Contacts/upsert', { body: { data: [contact(4)], duplicate_check_fields: ['Title'] } });
    expect(bad).toMatchObject({ status: 400, body: { code: 'INVALID_DATA', details: { api_name: 'duplicate_check_fields', json_path: '$.duplicate_check_fields[0]' } } });

    // Mixed insert + failure → 207.
    const mixed = await call('POST', '/crm/v8/Contacts/upsert', { body: { data: [contact(5), { First_Name: 'nobody' }], duplicate_check_fields: ['PeopleSoft_Employee_ID'] } });
    expect(mixed.status).toBe(207);
  });

  it('updates by id (body or path, or external value with X-EXTERNAL) and refuses clearing a mandatory field', async () => {
    const ins = await call('POST', '/crm/v8/Contacts', { body: { data: [contact(1)] } });
    const id = ins.body.data[0].details.id;
    clock.advance(5_000);
    const upd = await call('PUT', '/crm/v8/Contacts', { body: { data: [{ id, Title: 'Lead' }, { Title: 'no id' }, { id: '5725767000000000001', Title: 'x' }] } });
    expect(upd.status).toBe(207);
    expect(upd.body.data[0]).toMatchObject({ code: 'SUCCESS', message: 'record updated', details: { id, Modified_Time: '2026-03-02T10:00:05-07:00' } });
    expect(upd.body.data[1]).toMatchObject({ code: 'MANDATORY_NOT_FOUND', details: { api_name: 'id' } });
    expect(upd.body.data[2]).toMatchObject({ code: 'INVALID_DATA', message: 'the id given seems to be invalid' });

    expect((await call('PUT', `/crm/v8/Contacts/${id}`, { body: { data: [{ Last_Name: null }] } })).body.data[0].code).toBe('MANDATORY_NOT_FOUND');
    const ext = await call('PUT', '/crm/v8/Contacts/E0001', { headers: { 'X-EXTERNAL': 'Contacts.PeopleSoft_Employee_ID' }, body: { data: [{ Department: 'Finance' }] } });
    expect(ext.status).toBe(200);
    expect(sim.records('Contacts')[0]).toMatchObject({ Title: 'Lead', Department: 'Finance' });

    // If-Unmodified-Since older than the last change → 412 ALREADY_MODIFIED.
    const stale = await call('PUT', `/crm/v8/Contacts/${id}`, { headers: { 'If-Unmodified-Since': '2026-03-02T10:00:01-07:00' }, body: { data: [{ Title: 'x' }] } });
    expect(stale.status).toBe(412);
    expect(stale.body.data[0].code).toBe('ALREADY_MODIFIED');
  });

  it('deletes by ids with per-record results', async () => {
    const ins = await call('POST', '/crm/v8/Contacts', { body: { data: [contact(1), contact(2)] } });
    const [a, b] = ins.body.data.map((r: any) => r.details.id);
    const del = await call('DELETE', `/crm/v8/Contacts?ids=${a},5725767000000000001`);
    expect(del.status).toBe(207);
    expect(del.body.data[0]).toEqual({ code: 'SUCCESS', details: { id: a }, message: 'record deleted', status: 'success' });
    expect(del.body.data[1]).toMatchObject({ code: 'INVALID_DATA', status: 'error' });
    expect((await call('DELETE', `/crm/v8/Contacts/${b}`)).status).toBe(200);
    expect((await call('DELETE', '/crm/v8/Contacts')).body).toMatchObject({ code: 'REQUIRED_PARAM_MISSING', details: { param_name: 'ids' } });
    expect(sim.records('Contacts')).toHaveLength(0);
  });
});

describe('Zoho API v8: reads', () => {
  it('requires fields (≤50) on lists, caps per_page at 200, answers 204 with an empty body when nothing matches', async () => {
    expect(await call('GET', '/crm/v8/Contacts')).toMatchObject({ status: 400, body: { code: 'REQUIRED_PARAM_MISSING', details: { param_name: 'fields' }, message: 'One of the expected parameter is missing' } });
    const many = Array.from({ length: 51 }, () => 'Last_Name').join(',');
    expect((await call('GET', `/crm/v8/Contacts?fields=${many}`)).status).toBe(400);
    expect((await call('GET', '/crm/v8/Contacts?fields=Last_Name&per_page=201')).status).toBe(400);
    expect((await call('GET', '/crm/v8/Contacts?fields=Nope')).status).toBe(400);
    const empty = await call('GET', '/crm/v8/Contacts?fields=Last_Name');
    expect(empty.status).toBe(204);
    expect(empty.raw).toBe('');
    expect(empty.headers['content-type']).toBeUndefined();
  });

  it('pages with page up to 2,000 records, then continues with page_token', async () => {
    sim.seed({ records: { Contacts: Array.from({ length: 2150 }, (_, i) => contact(i)) } });
    const p1 = await call('GET', '/crm/v8/Contacts?fields=Last_Name,PeopleSoft_Employee_ID&sort_order=asc');
    expect(p1.body.data).toHaveLength(200);
    expect(p1.body.info).toMatchObject({ per_page: 200, count: 200, page: 1, more_records: true, sort_by: 'id', sort_order: 'asc' });
    expect(Object.keys(p1.body.data[0]).sort()).toEqual(['Last_Name', 'PeopleSoft_Employee_ID', 'id']);
    const p10 = await call('GET', '/crm/v8/Contacts?fields=Last_Name&sort_order=asc&page=10');
    expect(p10.body.info.more_records).toBe(true);
    const p11 = await call('GET', '/crm/v8/Contacts?fields=Last_Name&sort_order=asc&page=11');
    expect(p11).toMatchObject({ status: 400, body: { code: 'DISCRETE_PAGINATION_LIMIT_EXCEEDED', status: 'error' } });

    const token10 = p10.body.info.next_page_token as string;
    expect(token10).toBeTruthy();
    expect(p10.body.info.page_token_expiry).toMatch(/-07:00$/);
    const next = await call('GET', `/crm/v8/Contacts?fields=PeopleSoft_Employee_ID&page_token=${token10}`);
    expect(next.status).toBe(200);
    expect(next.body.data[0].PeopleSoft_Employee_ID).toBe('E2000');
    expect(next.body.data).toHaveLength(150);
    expect(next.body.info.more_records).toBe(false);
    expect((await call('GET', `/crm/v8/Contacts?fields=Last_Name&page_token=${token10}&page=2`)).status).toBe(400);
    expect((await call('GET', '/crm/v8/Contacts?fields=Last_Name&page_token=bogus')).status).toBe(400);
  });

  it('sorts by Modified_Time and honours If-Modified-Since with 304 when nothing changed', async () => {
    const ins = await call('POST', '/crm/v8/Contacts', { body: { data: [contact(1), contact(2), contact(3)] } });
    const ids = ins.body.data.map((r: any) => r.details.id);
    const t0 = ins.body.data[0].details.Modified_Time as string;
    expect((await call('GET', '/crm/v8/Contacts?fields=Last_Name', { headers: { 'If-Modified-Since': t0 } })).status).toBe(304);
    clock.advance(60_000);
    sim.editRecord('Contacts', ids[0], { Title: 'Edited in the UI' });
    const changed = await call('GET', '/crm/v8/Contacts?fields=Title,Modified_By&sort_by=Modified_Time&sort_order=desc', { headers: { 'If-Modified-Since': t0 } });
    expect(changed.status).toBe(200);
    expect(changed.body.data).toEqual([{ Title: 'Edited in the UI', Modified_By: { name: 'Sam Rivera', id: '5725767000000411017', email: 'sam.rivera@example.com' }, id: ids[0] }]);
    expect((await call('GET', '/crm/v8/Contacts?fields=Last_Name&sort_by=Last_Name')).status).toBe(400);
  });

  it('gets one record by id or by external value, with 400 or 204 for unknown keys', async () => {
    const ins = await call('POST', '/crm/v8/Contacts', { body: { data: [contact(7)] } });
    const id = ins.body.data[0].details.id;
    const one = await call('GET', `/crm/v8/Contacts/${id}`);
    expect(one.body.data).toHaveLength(1);
    expect(one.body.data[0]).toMatchObject({ id, Last_Name: 'Last7', $approval_state: 'approved' });
    expect(one.body.data[0].Created_Time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-07:00$/);
    expect((await call('GET', '/crm/v8/Contacts/5725767000000000001')).body).toMatchObject({ code: 'INVALID_DATA', message: 'the id given seems to be invalid' });
    const ext = await call('GET', '/crm/v8/Contacts/E0007', { headers: { 'X-EXTERNAL': 'Contacts.PeopleSoft_Employee_ID' } });
    expect(ext.body.data[0].id).toBe(id);
    expect((await call('GET', '/crm/v8/Contacts/E9999', { headers: { 'X-EXTERNAL': 'Contacts.PeopleSoft_Employee_ID' } })).status).toBe(204);
    expect((await call('GET', '/crm/v8/Contacts/E0007', { headers: { 'X-EXTERNAL': 'Contacts.Email' } })).status).toBe(400);
    const byIds = await call('GET', '/crm/v8/Contacts?fields=Email&ids=E0007,E0008', { headers: { 'X-EXTERNAL': 'Contacts.PeopleSoft_Employee_ID' } });
    expect(byIds.body.data).toEqual([{ Email: 'person7@example.com', id }]);
  });

  it('searches with criteria, email and word; 204 when nothing matches; INVALID_QUERY for bad criteria', async () => {
    await call('POST', '/crm/v8/Contacts', {
      body: { data: [contact(1, { Last_Name: "O'Brien", Department: 'Finance (EMEA)' }), contact(2, { Last_Name: 'Boyle' }), contact(3, { Last_Name: 'Bolton' })] },
    });
    const q = (s: string) => call('GET', `/crm/v8/Contacts/search?${s}`);
    const bo = await q(`criteria=${encodeURIComponent('(Last_Name:starts_with:bo)')}`);
    expect(bo.body.data.map((r: any) => r.Last_Name).sort()).toEqual(['Bolton', 'Boyle']);
    const and = await q(`criteria=${encodeURIComponent('((Last_Name:starts_with:Bo)and(Email:equals:person3@example.com))')}`);
    expect(and.body.data.map((r: any) => r.Last_Name)).toEqual(['Bolton']);
    const esc = await q(`criteria=${encodeURIComponent('(Department:equals:Finance \\(EMEA\\))')}`);
    expect(esc.body.data.map((r: any) => r.Last_Name)).toEqual(["O'Brien"]);
    const inOp = await q(`criteria=${encodeURIComponent('(PeopleSoft_Employee_ID:in:E0001,E0002)')}`);
    expect(inOp.body.data).toHaveLength(2);
    expect((await q('email=PERSON2@example.com')).body.data[0].Last_Name).toBe('Boyle');
    expect((await q('word=olto')).body.data[0].Last_Name).toBe('Bolton');
    expect((await q(`criteria=${encodeURIComponent('(Last_Name:equals:Nobody)')}`)).status).toBe(204);
    expect(await q(`criteria=${encodeURIComponent('(Nope:equals:x)')}`)).toMatchObject({ status: 400, body: { code: 'INVALID_QUERY', details: { api_name: 'Nope' } } });
    expect(await q(`criteria=${encodeURIComponent('(Last_Name:greater_than:x)')}`)).toMatchObject({ status: 400, body: { code: 'INVALID_QUERY', details: { operator: 'greater_than' } } });
    const eleven = Array.from({ length: 11 }, (_, i) => `(Last_Name:equals:n${i})`).reduce((a, b) => `(${a}or${b})`);
    expect((await q(`criteria=${encodeURIComponent(eleven)}`)).status).toBe(400);
    expect((await q('')).body).toMatchObject({ code: 'REQUIRED_PARAM_MISSING' });
  });
});

describe('Zoho API v8: COQL, count, deleted', () => {
  it('answers a COQL subset with where/order by/limit, 204 for nothing, and SYNTAX_ERROR / INVALID_QUERY / LIMIT_EXCEEDED', async () => {
    await call('POST', '/crm/v8/Contacts', { body: { data: [contact(1, { Last_Name: 'Boyle' }), contact(2, { Last_Name: 'Bolton' }), contact(3, { Last_Name: "O'Hara" })] } });
    const coql = (select_query: string) => call('POST', '/crm/v8/coql', { body: { select_query } });
    const r = await coql("select Last_Name, Email, Owner from Contacts where Last_Name like 'Bo%' order by Last_Name asc limit 10");
    expect(r.status).toBe(200);
    expect(r.body.data.map((x: any) => x.Last_Name)).toEqual(['Bolton', 'Boyle']);
    expect(r.body.data[0].Owner).toEqual({ id: '5725767000000411001' });
    expect(r.body.info).toEqual({ count: 2, more_records: false });
    const quoted = await coql("select Last_Name from Contacts where Last_Name = 'O''Hara' or PeopleSoft_Employee_ID in ('E0001')");
    expect(quoted.body.data.map((x: any) => x.Last_Name).sort()).toEqual(['Boyle', "O'Hara"]);
    expect((await coql('select Last_Name from Contacts where Email is null')).status).toBe(204);
    expect((await coql("select Last_Name from Contacts where Last_Name = 'x' limit 2, 1")).status).toBe(204);
    expect((await coql('select Last_Name from Contacts')).body).toMatchObject({ code: 'SYNTAX_ERROR', details: { clause: 'where' } });
    expect((await coql("select Nope from Contacts where Last_Name = 'x'")).body).toMatchObject({ code: 'INVALID_QUERY', details: { column_name: 'Nope' } });
    expect((await coql("select Last_Name from Contacts where Last_Name = 'x' limit 2001")).body.code).toBe('LIMIT_EXCEEDED');
    expect((await call('POST', '/crm/v8/coql', { body: {} })).body.code).toBe('REQUIRED_PARAM_MISSING');
  });

  it('counts records and lists deleted ones with who and when', async () => {
    const ins = await call('POST', '/crm/v8/Contacts', { body: { data: [contact(1), contact(2)] } });
    expect((await call('GET', '/crm/v8/Contacts/actions/count')).body).toEqual({ count: 2 });
    expect((await call('GET', '/crm/v8/Contacts/deleted')).status).toBe(204);
    const [a, b] = ins.body.data.map((x: any) => x.details.id);
    await call('DELETE', `/crm/v8/Contacts/${a}`);
    sim.deleteRecord('Contacts', b);
    const del = await call('GET', '/crm/v8/Contacts/deleted?type=all');
    expect(del.body.data).toEqual([
      expect.objectContaining({ id: b, display_name: 'First2 Last2', type: 'recycle', deleted_by: { name: 'Sam Rivera', id: '5725767000000411017' } }),
      expect.objectContaining({ id: a, deleted_by: { name: 'Patricia Boyle', id: '5725767000000411001' } }),
    ]);
    expect(del.body.data[0].deleted_time).toMatch(/-07:00$/);
  });
});

describe('Zoho simulator quirks', () => {
  it('switches UNCONFIRMED behaviour: unknown ids, unknown fields, picklists, search lag, inclusive If-Modified-Since', async () => {
    const qclock = new ManualClock(Date.parse('2026-03-02T17:00:00Z'));
    const s = await startZohoSimulator({
      clock: qclock,
      quirks: { unknownIdAnswer: 'no-content', unknownFields: 'ignore', picklistValues: 'accept', searchLagMs: 5_000, ifModifiedSinceInclusive: true, missingModuleStatus: 404 },
    });
    const saved = { sim, token };
    try {
      sim = s;
      token = await accessToken(s);
      expect((await call('GET', '/crm/v8/Contacts/5725767000000000001')).status).toBe(204);
      const ins = await call('POST', '/crm/v8/Contacts', { body: { data: [contact(1, { Favourite_Colour: 'teal', Employment_Status: 'Sabbatical' })] } });
      expect(ins.status).toBe(201);
      expect(s.records('Contacts')[0]).toMatchObject({ Employment_Status: 'Sabbatical' });
      expect(s.records('Contacts')[0]).not.toHaveProperty('Favourite_Colour');
      const search = () => call('GET', `/crm/v8/Contacts/search?criteria=${encodeURIComponent('(Last_Name:equals:Last1)')}`);
      expect((await search()).status).toBe(204);
      qclock.advance(5_000);
      expect((await search()).status).toBe(200);
      const t = ins.body.data[0].details.Modified_Time;
      expect((await call('GET', '/crm/v8/Contacts?fields=Last_Name', { headers: { 'If-Modified-Since': t } })).status).toBe(200);
      expect((await call('GET', '/crm/v8/Leads?fields=Last_Name')).status).toBe(404);
    } finally {
      ({ sim, token } = saved);
      await s.close();
    }
  });
});

describe('Zoho simulator fixtures', () => {
  it('seeds from and dumps to the API-shaped JSON fixture, and refuses invalid fixtures', async () => {
    sim.seed({
      records: {
        Contacts: [{ id: '5725767000001000001', Last_Name: 'Seeded', PeopleSoft_Employee_ID: 'E5000', Account_Name: { id: '5725767000001000100' }, Modified_Time: '2026-01-05T08:00:00+01:00' }],
        Accounts: [{ id: '5725767000001000100', Account_Name: 'Seeded Vendor Co', PeopleSoft_Vendor_ID: 'SHARE-9' }],
      },
    });
    const dump = sim.dump();
    expect(dump.records.Contacts).toHaveLength(1);
    expect(dump.records.Contacts![0]).toMatchObject({
      id: '5725767000001000001',
      Account_Name: { name: 'Seeded Vendor Co', id: '5725767000001000100' },
      Modified_Time: '2026-01-05T00:00:00-07:00',
    });
    sim.seed({ records: {} });
    sim.seed(dump);
    expect(sim.dump()).toEqual(dump);
    // New ids continue above the seeded ones.
    const ins = await call('POST', '/crm/v8/Contacts', { body: { data: [contact(1)] } });
    expect(BigInt(ins.body.data[0].details.id) > 5725767000001000100n).toBe(true);
    expect(() => sim.seed({ records: { Contacts: [{ First_Name: 'no last name' }] } })).toThrow(/MANDATORY_NOT_FOUND/);
    expect(() => sim.seed({ records: { Leads: [] } })).toThrow(/unknown module/);
  });
});

describe('Zoho simulator: ordered COQL pages keep only the page reach', () => {
  it('gives the same items as a stable sort of every match, and counts them all', async () => {
    const { smallest } = await import('../src/sim/zoho/top-k.js');
    // Many ties, so stability shows: items compare by `v` only, `i` records the input order.
    const items = Array.from({ length: 5_000 }, (_, i) => ({ v: (i * 7919) % 97, i }));
    const byV = (a: { v: number }, b: { v: number }): number => a.v - b.v;
    const sorted = [...items].sort(byV);
    for (const k of [0, 1, 200, 2_000, 6_000]) {
      const r = smallest(items, k, byV);
      expect(r.total).toBe(5_000);
      expect(r.items).toEqual(sorted.slice(0, k));
    }
    expect(smallest(items, 100, (a, b) => b.v - a.v).items).toEqual([...items].sort((a, b) => b.v - a.v).slice(0, 100));
  });
});
