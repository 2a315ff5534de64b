import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/support/clock.js';
import { loadFixture } from '../src/sim/dataset/index.js';
import { EMPLOYEE_COLUMNS, VENDOR_COLUMNS, startPeopleSoftSimulator, type PeopleSoftSimulator } from '../src/sim/peoplesoft/index.js';

/**
 * The PeopleSoft simulator over real HTTP: routes, shapes (QAS JSON and XMLP, the REST op, CI
 * REST), prompts, maxrows, auth (Basic, OAuth2 bearer, permissions, row-level security), faults.
 * Exact selections run against a small stated fixture; shapes against the firm dataset.
 */

const basic = (user: string, password: string): string => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
const SYNC = basic('ML_SYNC', 'ml-sync-secret');
const EMPLOYEE_PROMPTS = ['LASTUPD_FROM', 'LASTUPD_TO', 'EFFDT_FROM', 'EFFDT_TO', 'AFTER_EMPLID'];

function qasUrl(
  sim: PeopleSoftSimulator,
  query: 'ML_EMPLOYEES' | 'ML_VENDORS',
  values: string[],
  o: { maxrows?: number; xml?: boolean; names?: string[]; node?: string } = {},
): string {
  const node = o.node ?? (query === 'ML_EMPLOYEES' ? sim.nodes.hcm : sim.nodes.fscm);
  const names = o.names ?? (query === 'ML_EMPLOYEES' ? EMPLOYEE_PROMPTS : ['SETID', 'AFTER_VENDOR_ID']);
  // Commas unencoded, as PeopleSoft clients must send them.
  return (
    `${sim.url}/PSIGW/RESTListeningConnector/${node}/ExecuteQuery.v1/public/${query}/${o.xml ? 'XMLP' : 'JSON'}/NONFILE` +
    `?isconnectedquery=N&maxrows=${o.maxrows ?? 1000}&prompt_uniquepromptname=${names.join(',')}` +
    `&prompt_fieldvalue=${values.map(encodeURIComponent).join(',')}${o.xml ? '' : '&json_resp=true'}`
  );
}

interface QasJson {
  status: string;
  data: { query: { numrows: number; queryname?: string; 'queryname='?: string; rows: Array<Record<string, unknown>> } };
}

async function getJson<T>(url: string, auth: string | undefined = SYNC): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers: auth ? { authorization: auth } : {} });
  const text = await res.text();
  return { status: res.status, body: (text.startsWith('{') ? JSON.parse(text) : text) as T };
}

const emplids = (b: QasJson): string[] => [...new Set(b.data.query.rows.map((r) => String(r.EMPLID)))];

const FIXTURE = {
  asOf: '2026-03-02',
  seed: 7,
  employees: [
    {
      EMPLID: '000100', FIRST_NAME: 'Ana', LAST_NAME: "O'Neil", LASTUPDDTTM: '2020-01-02-10.00.00.000000',
      emails: [{ E_ADDR_TYPE: 'BUSN', EMAIL_ADDR: 'ana.oneil@example.com', PREF_EMAIL_FLAG: 'Y' }, { E_ADDR_TYPE: 'HOME', EMAIL_ADDR: 'ana@home.example' }],
      phones: [{ PHONE_TYPE: 'CELL', PHONE: '212/555-0100', PREF_PHONE_FLAG: 'Y' }],
      jobs: [
        { EFFDT: '2020-01-06', ACTION: 'HIR', ACTION_REASON: 'NHR', DEPTID: '11000', BUSINESS_UNIT: 'US001', LASTUPDDTTM: '2020-01-02-10.00.00.000000' },
        { EFFDT: '2026-02-27', ACTION: 'XFR', ACTION_REASON: 'DPT', DEPTID: '12000', BUSINESS_UNIT: 'US001', LASTUPDDTTM: '2026-02-27-09.30.00.000000' },
      ],
    },
    {
      EMPLID: '000200', FIRST_NAME: '伟', LAST_NAME: '王', NAME_DISPLAY: '王伟', LASTUPDDTTM: '2019-05-01-08.00.00.000000',
      jobs: [
        { EFFDT: '2019-05-06', ACTION: 'HIR', DEPTID: '30000', BUSINESS_UNIT: 'US002', LASTUPDDTTM: '2019-05-01-08.00.00.000000' },
        { EFFDT: '2026-03-10', ACTION: 'TER', ACTION_REASON: 'VOL', EMPL_STATUS: 'T', HR_STATUS: 'I', DEPTID: '30000', BUSINESS_UNIT: 'US002', LASTUPDDTTM: '2026-01-15-11.00.00.000000' },
      ],
    },
    {
      EMPLID: '000300', FIRST_NAME: 'Zoë', LAST_NAME: 'Brontë-Hughes', LASTUPDDTTM: '2026-03-01-08.00.00.000000',
      jobs: [{ EFFDT: '2018-09-03', ACTION: 'HIR', DEPTID: '19000', BUSINESS_UNIT: 'US001', LASTUPDDTTM: '2018-08-30-12.00.00.000000' }],
    },
    {
      EMPLID: '000400', FIRST_NAME: 'Sam', LAST_NAME: 'Lee', LASTUPDDTTM: '2026-02-20-15.00.00.000000',
      jobs: [{ EFFDT: '2026-03-05', ACTION: 'HIR', DEPTID: '20000', BUSINESS_UNIT: 'US002', PER_ORG: 'CWR', VENDOR_SETID: 'SHARE', VENDOR_ID: 'V0000001', LASTUPDDTTM: '2026-02-20-15.00.00.000000' }],
    },
  ],
  vendors: [
    {
      VENDOR_ID: 'V0000001', NAME1: 'Apex Staffing LLC', VENDOR_STATUS: 'A', LAST_ACTIVITY_DT: '2025-01-01',
      addresses: [
        { ADDRESS_SEQ_NUM: 1, EFFDT: '2020-01-01', ADDRESS1: '1 Old St', CITY: 'Chicago' },
        { ADDRESS_SEQ_NUM: 1, EFFDT: '2025-01-01', ADDRESS1: '2 New St', CITY: 'Chicago' },
        { ADDRESS_SEQ_NUM: 1, EFFDT: '2026-04-01', ADDRESS1: '3 Future St', CITY: 'Evanston' },
        { ADDRESS_SEQ_NUM: 2, EFFDT: '2020-01-01', EFF_STATUS: 'I', ADDRESS1: '9 Closed Rd' },
      ],
      locations: [{ EFFDT: '2020-01-01', PYMNT_TERMS_CD: 'N30' }, { EFFDT: '2025-06-01', PYMNT_TERMS_CD: 'N45' }],
      contacts: [{ CNTCT_SEQ_NUM: 1, EFFDT: '2020-01-01', CONTACT_NAME: 'Kim Park', EMAILID: 'kim@apex.example' }],
    },
    { VENDOR_ID: 'V0000002', NAME1: "O'Neill & Sons", VENDOR_STATUS: 'I', addresses: [{ ADDRESS_SEQ_NUM: 1, EFFDT: '2021-01-01', ADDRESS1: '5 Elm' }] },
    { SETID: 'OTHER', VENDOR_ID: 'V0000000', NAME1: 'Elsewhere Inc.', addresses: [{ ADDRESS_SEQ_NUM: 1, EFFDT: '2021-01-01' }] },
  ],
};

describe('PeopleSoft simulator: QAS over REST (firm dataset)', () => {
  let sim: PeopleSoftSimulator;
  beforeAll(async () => {
    sim = await startPeopleSoftSimulator();
  });
  afterAll(() => sim.close());

  it('answers ML_EMPLOYEES as QAS JSON: status, numrows, attr:rownumber first, contract columns, numbers, blanks as a space', async () => {
    const { status, body } = await getJson<QasJson>(qasUrl(sim, 'ML_EMPLOYEES', ['', '', '', '', ''], { maxrows: 25 }));
    expect(status).toBe(200);
    expect(body.status).toBe('success');
    expect(body.data.query.queryname).toBe('ML_EMPLOYEES');
    expect(body.data.query.numrows).toBe(25);
    const row = body.data.query.rows[0] as Record<string, unknown>;
    expect(Object.keys(row)).toEqual(['attr:rownumber', ...EMPLOYEE_COLUMNS.map((c) => c.name)]);
    expect(row['attr:rownumber']).toBe(1);
    expect(typeof row.EMPL_RCD).toBe('number');
    expect(typeof row.EFFSEQ).toBe('number');
    expect(row.LASTUPDDTTM).toMatch(/^\d{4}-\d{2}-\d{2}-\d{2}\.\d{2}\.\d{2}\.\d{6}$/);
    expect(row.EFFDT).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // Employees are not contractors: their vendor columns are PeopleSoft blanks.
    const employeeRow = body.data.query.rows.find((r) => r.PER_ORG === 'EMP') as Record<string, unknown>;
    expect(employeeRow.VENDOR_ID).toBe(' ');
    const rowNumbers = body.data.query.rows.map((r) => r['attr:rownumber']);
    expect(rowNumbers).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it('answers XMLP without json_resp: namespaces, rownumber attributes, CDATA text, plain numbers', async () => {
    const res = await fetch(qasUrl(sim, 'ML_EMPLOYEES', ['', '', '', '', ''], { maxrows: 2, xml: true }), { headers: { authorization: SYNC } });
    const xml = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/xml/);
    expect(xml).toContain('<QAS_GETQUERYRESULTS_RESP_MSG xmlns="http://xmlns.oracle.com/Enterprise/Tools/schemas/QAS_GETQUERYRESULTS_RESP_MSG.VERSION_1">');
    expect(xml).toContain('<query numrows="2" queryname="ML_EMPLOYEES" xmlns="http://xmlns.oracle.com/Enterprise/Tools/schemas/QAS_QUERYRESULTS_XMLP_RESP.VERSION_1">');
    expect(xml).toMatch(/<row rownumber="1"><EMPLID><!\[CDATA\[\d+\]\]><\/EMPLID><EMPL_RCD>0<\/EMPL_RCD>/);
    expect(xml.match(/<row /g)).toHaveLength(2);
  });

  it('answers JSON only with json_resp=true: the JSON result type alone gives XML (the documented default)', async () => {
    const url = qasUrl(sim, 'ML_EMPLOYEES', ['', '', '', '', ''], { maxrows: 1 }).replace('&json_resp=true', '');
    const res = await fetch(url, { headers: { authorization: SYNC } });
    expect(await res.text()).toMatch(/^<\?xml/);
  });

  it('rejects a prompt count mismatch, wrong prompt order and encoded commas with a failure body', async () => {
    const fewer = await getJson<QasJson>(qasUrl(sim, 'ML_EMPLOYEES', ['', '', '', ''], { names: EMPLOYEE_PROMPTS.slice(0, 4) }));
    expect(fewer.status).toBe(200);
    expect(fewer.body.status).toBe('failure');
    expect(JSON.stringify(fewer.body)).toContain('Prompt count mismatch');
    const uneven = await getJson<QasJson>(qasUrl(sim, 'ML_EMPLOYEES', ['', '', '', ''])); // 5 names, 4 values
    expect(uneven.body.status).toBe('failure');
    const swapped = await getJson<QasJson>(
      qasUrl(sim, 'ML_EMPLOYEES', ['', '', '', '', ''], { names: ['LASTUPD_TO', 'LASTUPD_FROM', 'EFFDT_FROM', 'EFFDT_TO', 'AFTER_EMPLID'] }),
    );
    expect(swapped.body.status).toBe('failure');
    const encoded = qasUrl(sim, 'ML_EMPLOYEES', ['', '', '', '', '']).replace('prompt_fieldvalue=,,,,', 'prompt_fieldvalue=%2C%2C%2C%2C');
    expect((await getJson<QasJson>(encoded)).body.status).toBe('failure');
    const badDate = await getJson<QasJson>(qasUrl(sim, 'ML_EMPLOYEES', ['2026-01-01T00:00:00Z', '', '', '', '']));
    expect(badDate.body.status).toBe('failure');
    const noMaxrows = qasUrl(sim, 'ML_EMPLOYEES', ['', '', '', '', '']).replace('maxrows=1000&', '');
    expect((await getJson<QasJson>(noMaxrows)).body.status).toBe('failure');
  });

  it('truncates at maxrows with numrows = rows returned, and pages by the AFTER_EMPLID keyset', async () => {
    const all = await getJson<QasJson>(qasUrl(sim, 'ML_EMPLOYEES', ['', '', '', '', ''], { maxrows: 0 }));
    const total = all.body.data.query.numrows;
    expect(total).toBeGreaterThan(150); // every JOB row of 150 people
    expect(emplids(all.body)).toHaveLength(150);
    const first = await getJson<QasJson>(qasUrl(sim, 'ML_EMPLOYEES', ['', '', '', '', ''], { maxrows: 7 }));
    expect(first.body.data.query.numrows).toBe(7);
    expect(first.body.data.query.rows).toEqual(all.body.data.query.rows.slice(0, 7));
    const last = String(first.body.data.query.rows[6]?.EMPLID);
    const next = await getJson<QasJson>(qasUrl(sim, 'ML_EMPLOYEES', ['', '', '', '', last], { maxrows: 3 }));
    expect(next.body.data.query.rows.every((r) => String(r.EMPLID) > last)).toBe(true);
  });

  it('serves ML_VENDORS on the FSCM node: one row per address row, ordered, keyset on VENDOR_ID', async () => {
    const { body } = await getJson<QasJson>(qasUrl(sim, 'ML_VENDORS', ['SHARE', ''], { maxrows: 0 }));
    expect(body.status).toBe('success');
    const rows = body.data.query.rows;
    expect(Object.keys(rows[0] as object)).toEqual(['attr:rownumber', ...VENDOR_COLUMNS.map((c) => c.name)]);
    expect(new Set(rows.map((r) => r.VENDOR_ID)).size).toBe(220);
    const keys = rows.map((r) => `${String(r.VENDOR_ID)}|${String(r.ADDRESS_SEQ_NUM).padStart(3, '0')}|${String(r.ADDR_EFFDT)}`);
    expect(keys).toEqual([...keys].sort());
    const after = await getJson<QasJson>(qasUrl(sim, 'ML_VENDORS', ['', '0000000200'], { maxrows: 0 }));
    expect(new Set(after.body.data.query.rows.map((r) => r.VENDOR_ID)).size).toBe(20);
    // Queries live in one database: ML_VENDORS is not on the HCM node.
    expect((await fetch(qasUrl(sim, 'ML_VENDORS', ['', ''], { node: sim.nodes.hcm }), { headers: { authorization: SYNC } })).status).toBe(404);
  });

  it('answers 404 for an unknown node, operation, version or query; accepts .V1', async () => {
    const base = `${sim.url}/PSIGW/RESTListeningConnector`;
    const status = async (path: string): Promise<number> => (await fetch(`${base}/${path}`, { headers: { authorization: SYNC } })).status;
    expect(await status('PSFT_XX/CIRT_VENDOR_CI_F_GET.v1/SHARE')).toBe(404);
    expect(await status('PSFT_EP/CIRT_NOPE_CI_F_GET.v1/SHARE')).toBe(404);
    expect(await status('PSFT_EP/CIRT_VENDOR_CI_F_GET.v2/SHARE')).toBe(404);
    expect(await status('PSFT_HR/ExecuteQuery.v1/public/NO_SUCH_QUERY/JSON/NONFILE?isconnectedquery=N&maxrows=1')).toBe(404);
    expect(await status('PSFT_HR/ExecuteQuery.v1/private/ML_EMPLOYEES/JSON/NONFILE?isconnectedquery=N&maxrows=1')).toBe(404);
    expect(await status('CIRT_VENDOR_CI_F_GET.v1/SHARE')).toBe(404); // the node segment is required by default
    expect(await status('PSFT_EP/CIRT_VENDOR_CI_F_GET.V1/SHARE')).toBe(200);
  });

  it('checks HTTP Basic: missing or wrong credentials and a user without PTPT2200 get 401', async () => {
    const url = qasUrl(sim, 'ML_EMPLOYEES', ['', '', '', '', ''], { maxrows: 1 });
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: basic('ML_SYNC', 'wrong') } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: basic('ml_sync', 'ml-sync-secret') } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: basic('ML_NOQAS', 'ml-noqas-secret') } })).status).toBe(401);
    // ML_NOQAS may still call the custom operation: only QAS needs the QAS permission list.
    const op = `${sim.url}/PSIGW/RESTListeningConnector/PSFT_HR/ML_EMPL_CHANGES.v1/changed/2000-01-01/2100-01-01?page=1&pagesize=1`;
    expect((await fetch(op, { headers: { authorization: basic('ML_NOQAS', 'ml-noqas-secret') } })).status).toBe(200);
    expect(sim.requests.count({ status: 401 })).toBeGreaterThanOrEqual(4);
  });

  it('accepts OAuth2 client-credentials bearer tokens; expired and wrong-audience tokens get 401', async () => {
    const tokenRes = await fetch(sim.oauth.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(sim.oauth.clientId, sim.oauth.clientSecret) },
      body: 'grant_type=client_credentials',
    });
    expect(tokenRes.status).toBe(200);
    const token = (await tokenRes.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(token.token_type).toBe('Bearer');
    expect(token.expires_in).toBe(3600);
    const url = qasUrl(sim, 'ML_EMPLOYEES', ['', '', '', '', ''], { maxrows: 1 });
    expect((await fetch(url, { headers: { authorization: `Bearer ${token.access_token}` } })).status).toBe(200);
    expect(sim.requests.entries.at(-1)?.user).toBe('ML_SYNC');
    const expired = await sim.oauth.issueToken({ expiresInSec: -60 });
    expect((await fetch(url, { headers: { authorization: `Bearer ${expired}` } })).status).toBe(401);
    const foreign = await sim.oauth.issueToken({ aud: 'https://elsewhere.example/' });
    expect((await fetch(url, { headers: { authorization: `Bearer ${foreign}` } })).status).toBe(401);
    const noQas = await sim.oauth.issueToken({ sub: 'ML_NOQAS' });
    expect((await fetch(url, { headers: { authorization: `Bearer ${noQas}` } })).status).toBe(401);
    const badClient = await fetch(sim.oauth.tokenUrl, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${sim.oauth.clientId}&client_secret=nope`,
    });
    expect(badClient.status).toBe(401);
    expect(await badClient.json()).toMatchObject({ error: 'invalid_client' });
    const jwks = (await (await fetch(sim.oauth.jwksUrl)).json()) as { keys: Array<{ kty: string; kid: string; alg: string }> };
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', kid: 'ml-sim-1', alg: 'RS256' });
  });

  it('injects faults: 500 at next, an IB error body, zero rows, a reset, a delay past the client timeout, targeted by kind', async () => {
    const url = qasUrl(sim, 'ML_EMPLOYEES', ['', '', '', '', ''], { maxrows: 1 });
    sim.inject({ at: 'next', status: 500 });
    expect((await fetch(url, { headers: { authorization: SYNC } })).status).toBe(500);
    expect((await fetch(url, { headers: { authorization: SYNC } })).status).toBe(200);

    sim.inject({ ibError: true });
    const ib = await fetch(url, { headers: { authorization: SYNC } });
    expect(ib.status).toBe(200);
    expect(await ib.text()).toMatch(/<IBResponse type="error">/);

    sim.inject({ zeroRows: true });
    const zero = await getJson<QasJson>(url);
    expect(zero.body).toMatchObject({ status: 'success', data: { query: { numrows: 0, rows: [] } } });

    sim.inject({ reset: true });
    await expect(fetch(url, { headers: { authorization: SYNC } })).rejects.toThrow();

    sim.inject({ delayMs: 400 });
    await expect(fetch(url, { headers: { authorization: SYNC }, signal: AbortSignal.timeout(80) })).rejects.toThrow();

    sim.inject({ at: { kind: 'ci-get' }, status: 503, retryAfter: 2, times: 2 });
    expect((await fetch(url, { headers: { authorization: SYNC } })).status).toBe(200);
    const ciUrl = `${sim.url}/PSIGW/RESTListeningConnector/PSFT_EP/CIRT_VENDOR_CI_G_GET.v1/SHARE/0000000001`;
    const ci1 = await fetch(ciUrl, { headers: { authorization: SYNC } });
    expect(ci1.status).toBe(503);
    expect(ci1.headers.get('retry-after')).toBe('2');
    expect((await fetch(ciUrl, { headers: { authorization: SYNC } })).status).toBe(503);
    expect((await fetch(ciUrl, { headers: { authorization: SYNC } })).status).toBe(200);

    const n = sim.requests.received + 2; // arrival numbers count requests still in flight too
    sim.inject({ at: n, status: 502 });
    expect((await fetch(ciUrl, { headers: { authorization: SYNC } })).status).toBe(200);
    expect((await fetch(ciUrl, { headers: { authorization: SYNC } })).status).toBe(502);
    expect(sim.requests.count({ kind: 'ci-get' })).toBe(5);
  });
});

describe('PeopleSoft simulator: exact selections on a stated fixture', () => {
  let sim: PeopleSoftSimulator;
  beforeAll(async () => {
    sim = await startPeopleSoftSimulator({ clock: new ManualClock(Date.parse('2026-03-02T12:00:00Z')), dataset: loadFixture(FIXTURE) });
  });
  afterAll(() => sim.close());

  const select = async (values: string[], auth = SYNC): Promise<QasJson> => (await getJson<QasJson>(qasUrl(sim, 'ML_EMPLOYEES', values), auth)).body;

  it('selects by last update (JOB or PERSON), by EFFDT window, by either, and after an EMPLID; returns all JOB rows', async () => {
    const updated = await select(['2026-02-27', '', '', '', '']);
    expect(emplids(updated)).toEqual(['000100', '000300']);
    expect(updated.data.query.rows.map((r) => [r.EMPLID, r.EFFDT, r.ACTION])).toEqual([
      ['000100', '2020-01-06', 'HIR'], ['000100', '2026-02-27', 'XFR'], ['000300', '2018-09-03', 'HIR'],
    ]);
    expect(emplids(await select(['', '', '2026-03-03', '2026-03-31', '']))).toEqual(['000200', '000400']);
    expect(emplids(await select(['2026-02-27', '', '2026-03-03', '2026-03-31', '']))).toEqual(['000100', '000200', '000300', '000400']);
    expect(emplids(await select(['', '', '', '', '000200']))).toEqual(['000300', '000400']);
    // A datetime bound is exact to the microsecond; a date-only upper bound covers the whole day.
    expect(emplids(await select(['2026-02-27-09.30.00.000001', '', '', '', '']))).toEqual(['000300']);
    expect(emplids(await select(['2026-01-15', '2026-01-15', '', '', '']))).toEqual(['000200']);
  });

  it('joins department (effective on the row), names, emails, phones; blanks are one space', async () => {
    const rows = (await select(['', '', '', '', ''])).data.query.rows;
    const ana = rows.filter((r) => r.EMPLID === '000100');
    expect(ana.map((r) => r.DEPT_DESCR)).toEqual(['Strategy Consulting', 'Technology Consulting']);
    expect(ana[0]).toMatchObject({
      LAST_NAME: "O'Neil", NAME_DISPLAY: "Ana O'Neil", EMAIL_BUSN: 'ana.oneil@example.com', EMAIL_HOME: 'ana@home.example',
      EMAIL_PREF_TYPE: 'BUSN', PHONE_CELL: '212/555-0100', PHONE_BUSN: ' ', PHONE_PREF_TYPE: 'CELL', PREF_FIRST_NAME: ' ',
    });
    expect(rows.find((r) => r.EMPLID === '000200')).toMatchObject({ NAME_DISPLAY: '王伟', EMAIL_BUSN: ' ', EMAIL_PREF_TYPE: ' ' });
    expect(rows.find((r) => r.EMPLID === '000300')?.DEPT_DESCR).toBe('Audit Services');
    expect(rows.find((r) => r.EMPLID === '000400')).toMatchObject({ PER_ORG: 'CWR', VENDOR_SETID: 'SHARE', VENDOR_ID: 'V0000001' });
  });

  it('applies row-level security: ML_LIMITED sees only US001 rows', async () => {
    const limited = await select(['', '', '', '', ''], basic('ML_LIMITED', 'ml-limited-secret'));
    expect(emplids(limited)).toEqual(['000100', '000300']);
    expect(limited.data.query.rows.every((r) => r.BUSINESS_UNIT === 'US001')).toBe(true);
    const none = await select(['', '', '2026-03-03', '2026-03-31', ''], basic('ML_LIMITED', 'ml-limited-secret'));
    expect(none).toMatchObject({ status: 'success', data: { query: { numrows: 0 } } });
  });

  it('serves ML_EMPL_CHANGES with pages and a more flag, and 400 for bad dates', async () => {
    const base = `${sim.url}/PSIGW/RESTListeningConnector/PSFT_HR/ML_EMPL_CHANGES.v1/changed`;
    type Page = { employees: Array<Record<string, unknown>>; page: number; pagesize: number; more: boolean };
    const p1 = await getJson<Page>(`${base}/2026-02-27/2026-03-31?page=1&pagesize=3`);
    expect(p1.status).toBe(200);
    expect(p1.body).toMatchObject({ page: 1, pagesize: 3, more: true });
    expect(p1.body.employees.map((r) => r.EMPLID)).toEqual(['000100', '000100', '000200']);
    expect(Object.keys(p1.body.employees[0] as object)).toEqual(EMPLOYEE_COLUMNS.map((c) => c.name));
    const p2 = await getJson<Page>(`${base}/2026-02-27/2026-03-31?page=2&pagesize=3`);
    expect(p2.body.more).toBe(false);
    expect(p2.body.employees.map((r) => r.EMPLID)).toEqual(['000200', '000300', '000400']);
    expect((await getJson(`${base}/2026-02-30/2026-03-31`)).status).toBe(400);
    expect((await getJson(`${base}/2026-03-31/2026-02-01`)).status).toBe(400);
    expect((await getJson(`${base}/2026-02-01/2026-03-31?pagesize=5000`)).status).toBe(400);
  });

  it('serves VENDOR_CI: Find keys by SETID, Get the buffer with current and future effective rows, 404 shape when missing', async () => {
    const base = `${sim.url}/PSIGW/RESTListeningConnector/PSFT_EP`;
    const find = await getJson<{ Find__CompIntfc__VENDOR_CIResponse: { VENDOR_CI: unknown[] } }>(`${base}/CIRT_VENDOR_CI_F_GET.v1/SHARE`);
    expect(find.body.Find__CompIntfc__VENDOR_CIResponse.VENDOR_CI).toEqual([
      { SETID: 'SHARE', VENDOR_ID: 'V0000001', NAME1: 'Apex Staffing LLC' },
      { SETID: 'SHARE', VENDOR_ID: 'V0000002', NAME1: "O'Neill & Sons" },
    ]);
    type Buffer = Record<string, unknown> & { VENDOR_ADDR: Array<Record<string, unknown>>; VENDOR_LOC: unknown[]; VENDOR_CNTCT: unknown[] };
    const get = await getJson<{ Get__CompIntfc__VENDOR_CIResponse: Buffer }>(`${base}/CIRT_VENDOR_CI_G_GET.v1/SHARE/V0000001`);
    const v = get.body.Get__CompIntfc__VENDOR_CIResponse;
    expect(v).toMatchObject({ SETID: 'SHARE', VENDOR_ID: 'V0000001', VENDOR_STATUS: 'A', NAME2: ' ', LAST_ACTIVITY_DT: '2025-01-01' });
    expect(v.VENDOR_ADDR.map((a) => [a.ADDRESS_SEQ_NUM, a.EFFDT, a.EFF_STATUS, a.ADDRESS1])).toEqual([
      [1, '2025-01-01', 'A', '2 New St'], [1, '2026-04-01', 'A', '3 Future St'], [2, '2020-01-01', 'I', '9 Closed Rd'],
    ]);
    expect(v.VENDOR_LOC).toEqual([{ VNDR_LOC: '1', EFFDT: '2025-06-01', EFF_STATUS: 'A', PYMNT_TERMS_CD: 'N45' }]);
    expect(v.VENDOR_CNTCT).toHaveLength(1);
    const missing = await getJson<{ error: { message: string } }>(`${base}/CIRT_VENDOR_CI_G_GET.v1/SHARE/NOPE`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe('No rows exist for the specified keys.');
  });

  it('lists every vendor address row in ML_VENDORS with the payment terms in force', async () => {
    const { body } = await getJson<QasJson>(qasUrl(sim, 'ML_VENDORS', ['', '']));
    expect(body.data.query.rows.map((r) => [r.SETID, r.VENDOR_ID, r.ADDRESS_SEQ_NUM, r.ADDR_EFFDT, r.PYMNT_TERMS_CD])).toEqual([
      ['OTHER', 'V0000000', 1, '2021-01-01', ' '],
      ['SHARE', 'V0000001', 1, '2020-01-01', 'N45'],
      ['SHARE', 'V0000001', 1, '2025-01-01', 'N45'],
      ['SHARE', 'V0000001', 1, '2026-04-01', 'N45'],
      ['SHARE', 'V0000001', 2, '2020-01-01', 'N45'],
      ['SHARE', 'V0000002', 1, '2021-01-01', ' '],
    ]);
  });
});

describe('PeopleSoft simulator: quirk switches', () => {
  it('can prefix aliases, emit queryname=, render blanks as empty strings and cap rows', async () => {
    const sim = await startPeopleSoftSimulator({
      dataset: loadFixture(FIXTURE),
      quirks: { aliasPrefixes: true, querynameWithEquals: true, blankAsSpace: false, maxRowsCap: 2, queryErrorStatus: 500 },
    });
    try {
      const { body } = await getJson<QasJson>(qasUrl(sim, 'ML_EMPLOYEES', ['', '', '', '', '']));
      expect(body.data.query['queryname=']).toBe('ML_EMPLOYEES');
      expect(body.data.query.numrows).toBe(2);
      const row = body.data.query.rows[0] as Record<string, unknown>;
      expect(Object.keys(row).slice(0, 3)).toEqual(['attr:rownumber', 'A.EMPLID', 'A.EMPL_RCD']);
      expect(row['B.PREF_FIRST_NAME']).toBe('');
      const mismatch = await getJson<QasJson>(qasUrl(sim, 'ML_EMPLOYEES', ['']));
      expect(mismatch.status).toBe(500);
      expect(mismatch.body.status).toBe('failure');
    } finally {
      await sim.close();
    }
  });

  it('switches the other UNCONFIRMED behaviours: encoded commas, JSON without json_resp, no node segment, CI history and not-found status', async () => {
    const sim = await startPeopleSoftSimulator({
      dataset: loadFixture(FIXTURE),
      clock: new ManualClock(Date.parse('2026-03-02T12:00:00Z')),
      quirks: { splitEncodedCommas: true, jsonRequiresJsonResp: false, allowMissingNode: true, ciHistoryItems: true, ciNotFoundStatus: 500 },
    });
    try {
      const encoded = qasUrl(sim, 'ML_EMPLOYEES', ['', '', '', '', '']).replace('prompt_fieldvalue=,,,,', 'prompt_fieldvalue=%2C%2C%2C%2C').replace('&json_resp=true', '');
      const res = await getJson<QasJson>(encoded);
      expect(res.body.status).toBe('success'); // JSON although json_resp is absent
      const base = `${sim.url}/PSIGW/RESTListeningConnector`;
      const noNode = await getJson<{ employees: unknown[] }>(`${base}/ML_EMPL_CHANGES.v1/changed/2026-02-27/2026-03-31?pagesize=10`);
      expect(noNode.status).toBe(200);
      expect(noNode.body.employees).toHaveLength(6);
      type Get = { Get__CompIntfc__VENDOR_CIResponse: { VENDOR_ADDR: unknown[] } };
      const get = await getJson<Get>(`${base}/PSFT_EP/CIRT_VENDOR_CI_G_GET.v1/SHARE/V0000001`);
      expect(get.body.Get__CompIntfc__VENDOR_CIResponse.VENDOR_ADDR).toHaveLength(4);
      expect((await getJson(`${base}/PSFT_EP/CIRT_VENDOR_CI_G_GET.v1/SHARE/NOPE`)).status).toBe(500);
    } finally {
      await sim.close();
    }
  });

  it('renames nodes, adds latency, fails at an error rate, and honours a custom user table', async () => {
    const sim = await startPeopleSoftSimulator({
      dataset: loadFixture(FIXTURE),
      nodes: { hcm: 'HRPRD', fscm: 'FSPRD' },
      latencyMs: 60,
      users: [{ oprid: 'OPS', password: 'ops-pass-1', permissionLists: ['PTPT2200'], operations: [], queries: ['ML_VENDORS'] }],
    });
    try {
      const auth = basic('OPS', 'ops-pass-1');
      expect(sim.credentials).toEqual({ username: 'OPS', password: 'ops-pass-1' });
      expect((await getJson<QasJson>(qasUrl(sim, 'ML_VENDORS', ['', ''], { node: 'FSPRD' }), auth)).body.status).toBe('success');
      expect((await fetch(qasUrl(sim, 'ML_VENDORS', ['', ''], { node: 'PSFT_EP' }), { headers: { authorization: auth } })).status).toBe(404);
      // Query access: OPS may run ML_VENDORS only; operations: none.
      expect((await fetch(qasUrl(sim, 'ML_EMPLOYEES', ['', '', '', '', ''], { node: 'HRPRD' }), { headers: { authorization: auth } })).status).toBe(401);
      expect((await fetch(`${sim.url}/PSIGW/RESTListeningConnector/FSPRD/CIRT_VENDOR_CI_F_GET.v1/SHARE`, { headers: { authorization: auth } })).status).toBe(401);
      expect(sim.requests.entries.every((e) => e.durationMs >= 55)).toBe(true);
    } finally {
      await sim.close();
    }
    const failing = await startPeopleSoftSimulator({ dataset: loadFixture(FIXTURE), errorRate: 1 });
    try {
      expect((await fetch(qasUrl(failing, 'ML_VENDORS', ['', '']), { headers: { authorization: SYNC } })).status).toBe(500);
      // The IdP is not the gateway: its token endpoint keeps working.
      expect((await fetch(failing.oauth.jwksUrl)).status).toBe(200);
    } finally {
      await failing.close();
    }
  });
});
