import { describe, expect, it } from 'vitest';
import type { PeopleSoftConnection, QasReader, RestReader } from '../src/config/types.generated.js';
import { addDays, dateInZone, formatPsDateTime, parsePsDate, parsePsDateTime } from '../src/peoplesoft/dates.js';
import { parseXml, readIbResponseError, readXmlpRows } from '../src/peoplesoft/xml.js';
import { cleanRow, parseQasAnswer } from '../src/peoplesoft/rows.js';
import { ciGetUrl, fillPlaceholders, qasUrl, restUrl } from '../src/peoplesoft/urls.js';
import { computeReadWindow, filterUnchanged, nextWatermark } from '../src/peoplesoft/window.js';
import type { SourceRecord } from '../src/model/index.js';

describe('dates', () => {
  it.each([
    ['2024-02-29', '2024-02-29'],
    ['2023-02-29', undefined],
    ['2024-06-01-13.45.00.000000', '2024-06-01'],
    ['2024-06-01T13:45:00Z', '2024-06-01'],
    ['2024-06-01-25.00.00.000000', undefined],
    ['06/01/2024', undefined],
  ])('parsePsDate(%s) = %s', (text, expected) => {
    expect(parsePsDate(text)).toBe(expected);
  });

  it.each([
    ['2024-06-01-13.45.30.123456', 'UTC', '2024-06-01T13:45:30.123Z'],
    ['2024-06-01-13.45.30.000000', 'America/Chicago', '2024-06-01T18:45:30.000Z'],
    ['2024-01-15-08.00.00.000000', 'America/Chicago', '2024-01-15T14:00:00.000Z'],
    ['2024-06-01T13:45:30+02:00', 'America/Chicago', '2024-06-01T11:45:30.000Z'],
    ['2024-06-01T13:45:30', 'UTC', '2024-06-01T13:45:30.000Z'],
    ['2024-06-01', 'America/Chicago', '2024-06-01T05:00:00.000Z'],
  ])('parsePsDateTime(%s, %s)', (text, tz, iso) => {
    expect(new Date(parsePsDateTime(text, tz)!).toISOString()).toBe(iso);
  });

  it('formats and reads back PeopleSoft canonical text in a zone, across DST', () => {
    for (const iso of ['2024-03-10T08:30:00.000Z', '2024-11-03T06:30:00.000Z', '2024-07-01T00:00:00.250Z']) {
      const ms = Date.parse(iso);
      const text = formatPsDateTime(ms, 'America/Chicago');
      expect(text).toMatch(/^\d{4}-\d{2}-\d{2}-\d{2}\.\d{2}\.\d{2}\.\d{6}$/);
      expect(parsePsDateTime(text, 'America/Chicago')).toBe(ms);
    }
    expect(dateInZone(Date.parse('2024-06-01T03:00:00Z'), 'America/Chicago')).toBe('2024-05-31');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
  });
});

describe('answers', () => {
  it('reads QAS JSON: drops attr:rownumber, strips aliases, trims, blanks to null, ignores queryname=', () => {
    const page = parseQasAnswer(JSON.stringify({
      status: 'success',
      data: { query: { numrows: 2, 'queryname=': 'Q', rows: [
        { 'attr:rownumber': 1, 'A.EMPLID': 'E1', 'B.NAME': ' Ada ', 'A.EMPL_RCD': 0, 'C.DESCR': ' ' },
        { 'attr:rownumber': 2, 'A.EMPLID': 'E2', 'B.NAME': 'Bob', 'A.EMPL_RCD': 1, 'C.DESCR': 'x' },
      ] } },
    }), 'query Q');
    expect(page.numrows).toBe(2);
    expect(page.rows[0]).toEqual({ EMPLID: 'E1', NAME: 'Ada', EMPL_RCD: 0, DESCR: null });
  });

  it('keeps the prefixed name when two records share a column name', () => {
    expect(cleanRow({ 'A.DESCR': 'job', 'B.DESCR': 'dept' })).toEqual({ DESCR: 'job', 'B.DESCR': 'dept' });
  });

  it.each([
    ['{"status":"failure","data":{"error":"Prompt count mismatch"}}', /Prompt count mismatch/],
    ['<?xml version="1.0"?><QAS_GETQUERYRESULTS_RESP_MSG><status>failure</status><error>bad &amp; worse</error></QAS_GETQUERYRESULTS_RESP_MSG>', /failure/],
    ['<IBResponse type="error"><DefaultMessage>Handler blew up</DefaultMessage><MessageSet>158</MessageSet><MessageID>10001</MessageID></IBResponse>', /Handler blew up/],
    ['<html>login</html', /not a query result/],
    ['<!DOCTYPE html><html><body>Sign in</body></html>', /not a query result/],
  ])('treats %s as an error showing its message', (body, message) => {
    expect(() => parseQasAnswer(body, 'query Q')).toThrow(message);
  });

  it('reads XMLP with namespaces, CDATA, dotted names, a single row and an empty result', () => {
    const xml = `<?xml version="1.0"?>
<QAS_GETQUERYRESULTS_RESP_MSG xmlns="http://xmlns.oracle.com/Enterprise/Tools/schemas/QAS_GETQUERYRESULTS_RESP_MSG.VERSION_1">
  <query numrows="1" queryname="Q" xmlns="http://xmlns.oracle.com/Enterprise/Tools/schemas/QAS_QUERYRESULTS_XMLP_RESP.VERSION_1">
    <row rownumber="1"><A.EMPLID><![CDATA[E1]]></A.EMPLID><A.UNITS>3.5</A.UNITS><B.NAME><![CDATA[O'Brien <&> ]]]]><![CDATA[>]]></B.NAME><C.EMPTY/><D.TXT>a &amp; b</D.TXT></row>
  </query>
</QAS_GETQUERYRESULTS_RESP_MSG>`;
    const { rows, numrows } = readXmlpRows(xml, 'q');
    expect(numrows).toBe(1);
    expect(rows).toEqual([{ 'A.EMPLID': 'E1', 'A.UNITS': '3.5', 'B.NAME': "O'Brien <&> ]]>", 'C.EMPTY': '', 'D.TXT': 'a & b' }]);
    expect(parseQasAnswer(xml, 'q').rows[0]).toEqual({ EMPLID: 'E1', UNITS: '3.5', NAME: "O'Brien <&> ]]>", EMPTY: null, TXT: 'a & b' });
    expect(readXmlpRows('<x:QAS xmlns:x="u"><x:query numrows="0" queryname="Q"/></x:QAS>', 'q')).toMatchObject({ rows: [], numrows: 0, hasQuery: true });
    // Comments and prolog are not data; prefixed row elements are rows.
    expect(readXmlpRows('<?xml version="1.0"?><!-- <row><X>1</X></row> --><q:query xmlns:q="u" numrows="1"><q:row><q:X>2</q:X></q:row></q:query>', 'q')).toMatchObject({ rows: [{ X: '2' }], numrows: 1 });
    expect(readIbResponseError(parseXml('<?xml version="1.0"?>\n<IBResponse type="error"><DefaultMessage>boom</DefaultMessage></IBResponse>', 'q'))).toBe('boom');
    expect(readIbResponseError(parseXml('<IBResponse type="success"></IBResponse>', 'q'))).toBeUndefined();
  });
});

const conn = { name: 'hcm', baseUrl: 'https://hr.example.com:8443/', node: 'PSFT_HR' } as PeopleSoftConnection;
const qas: QasReader = {
  kind: 'qas', query: 'ML_EMPLOYEES', keyset: 'EMPLID',
  prompts: [{ name: 'LASTUPD_FROM', value: '{since}' }, { name: 'EFFDT_FROM', value: '{effdtFrom}' }, { name: 'AFTER_EMPLID', value: '{after}' }],
};

describe('urls', () => {
  it('builds the ExecuteQuery URL with unencoded separating commas and empty slots', () => {
    const url = qasUrl(conn, qas, { since: Date.parse('2024-06-01T12:00:00Z'), effdtFrom: '2024-05-31', after: '' }, 500, 'America/Chicago');
    expect(url).toBe('https://hr.example.com:8443/PSIGW/RESTListeningConnector/PSFT_HR/ExecuteQuery.v1/public/ML_EMPLOYEES/JSON/NONFILE'
      + '?isconnectedquery=N&maxrows=500&prompt_uniquepromptname=LASTUPD_FROM,EFFDT_FROM,AFTER_EMPLID'
      + '&prompt_fieldvalue=2024-06-01-07.00.00.000000,2024-05-31,&json_resp=true');
    expect(new URL(url).search).toContain('LASTUPD_FROM,EFFDT_FROM');
  });

  it('refuses a prompt value containing a comma and names the prompt', () => {
    expect(() => qasUrl(conn, qas, { after: 'SMITH,JR' }, 10)).toThrow(/AFTER_EMPLID.*comma/);
    expect(() => qasUrl(conn, { ...qas, prompts: [{ name: 'SETID', value: 'A,B' }] }, {}, 10)).toThrow(expect.objectContaining({ code: 'PS_PROMPT_COMMA' }));
  });

  it('fills REST URI templates and query parameters, with paging', () => {
    const rest: RestReader = { kind: 'rest', operation: 'ML_EMPL_CHANGES', uriTemplate: 'changed/{since:date}/{until:date}', rowsPath: 'employees', query: { asof: '{asOf}' }, paging: { pageParam: 'page', sizeParam: 'pagesize' } };
    const url = restUrl(conn, rest, { since: Date.parse('2024-06-01T03:00:00Z'), until: Date.parse('2024-06-02T03:00:00Z'), asOf: '2024-06-01' }, { number: 2, size: 500 }, 'America/Chicago');
    expect(url).toBe('https://hr.example.com:8443/PSIGW/RESTListeningConnector/PSFT_HR/ML_EMPL_CHANGES.v1/changed/2024-05-31/2024-06-01?asof=2024-06-01&page=2&pagesize=500');
    expect(ciGetUrl(conn, { kind: 'ci', component: 'VENDOR_CI', getKeys: ['SETID', 'VENDOR_ID'] }, ['SHARE', 'V/1'])).toMatch(/CIRT_VENDOR_CI_G_GET\.v1\/SHARE\/V%2F1$/);
    expect(fillPlaceholders('{since:iso}|{until}|{nope}', { since: 0 })).toBe('1970-01-01T00:00:00.000Z||{nope}');
  });
});

describe('change detection', () => {
  const now = Date.parse('2024-06-15T15:00:00Z');
  it('reads everything without a watermark, when asked, or in hash mode', () => {
    expect(computeReadWindow({ now, full: false })).toEqual({ mode: 'full', until: '2024-06-15T15:00:00.000Z', asOf: '2024-06-15' });
    expect(computeReadWindow({ now, full: true, watermark: { cursor: '2024-06-14T15:00:00Z' } }).mode).toBe('full');
    expect(computeReadWindow({ now, full: false, watermark: { cursor: '2024-06-14T15:00:00Z' }, changeDetection: { mode: 'hash' } }).mode).toBe('full');
  });

  it('subtracts the overlap and covers effective dates since the last run', () => {
    const w = computeReadWindow({ now, full: false, watermark: { cursor: '2024-06-14T15:00:00.000Z' }, changeDetection: { overlapMinutes: 30 }, timezone: 'America/Chicago' });
    expect(w).toEqual({ mode: 'incremental', since: '2024-06-14T14:30:00.000Z', until: '2024-06-15T15:00:00.000Z', asOf: '2024-06-15', effdtFrom: '2024-06-14', effdtTo: '2024-06-15' });
    // A run missed over a weekend still sees the rows that became effective meanwhile.
    const late = computeReadWindow({ now, full: false, watermark: { cursor: '2024-06-10T15:00:00.000Z' } });
    expect(late.effdtFrom).toBe('2024-06-10');
  });

  it('moves the watermark to the highest cursor seen, never past the window or backwards', () => {
    const window = { until: '2024-06-15T15:00:00.000Z' };
    expect(nextWatermark({ cursor: '2024-06-14T00:00:00.000Z' }, ['2024-06-14T10:00:00.000Z', undefined, '2024-06-13T00:00:00.000Z'], window)).toEqual({ cursor: '2024-06-14T10:00:00.000Z' });
    expect(nextWatermark(undefined, ['2024-06-16T00:00:00.000Z'], window)).toEqual({ cursor: '2024-06-15T15:00:00.000Z' });
    expect(nextWatermark({ cursor: '2024-06-14T00:00:00.000Z' }, [], window)).toEqual({ cursor: '2024-06-14T00:00:00.000Z' });
    expect(nextWatermark(undefined, [])).toBeUndefined();
  });

  it('filterUnchanged drops records whose hash is stored, keeps problems', async () => {
    const rec = (key: string, hash: string) => ({ entity: 'vendors', key, hash, fields: {}, status: 'active' }) as SourceRecord;
    const out = [];
    for await (const r of filterUnchanged([rec('a', 'h1'), rec('b', 'h2'), { key: 'c', code: 'X', message: 'm', severity: 'error' as const }], new Map([['a', 'h1'], ['b', 'old']]))) out.push(r.key);
    expect(out).toEqual(['b', 'c']);
  });
});

describe('credentials', () => {
  it('resolves the reference the auth type needs through the config resolver', async () => {
    const { resolveCredential } = await import('../src/config/index.js');
    const { resolvePeopleSoftCredentials } = await import('../src/peoplesoft/index.js');
    const env = { PS_PW: 'pw-value-123', PS_SECRET: 'secret-value-123' };
    const resolve = (ref: string, what: string) => resolveCredential(ref, { env, what });
    const basic = { ...conn, auth: { type: 'basic' as const, username: 'ML_SYNC', password: '${env:PS_PW}' } };
    expect(await resolvePeopleSoftCredentials(basic, resolve)).toEqual({ password: 'pw-value-123' });
    const oauth = { ...conn, auth: { type: 'oauth2' as const, tokenUrl: 'https://idp/token', clientId: 'c', clientSecret: '${env:PS_SECRET}' } };
    expect(await resolvePeopleSoftCredentials(oauth, resolve)).toEqual({ clientSecret: 'secret-value-123' });
    await expect(resolvePeopleSoftCredentials({ ...basic, auth: { ...basic.auth, password: '${env:MISSING}' } }, resolve)).rejects.toMatchObject({ code: 'CONFIG_UNSET_ENV' });
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined members', async () => {
    const { canonicalJson } = await import('../src/peoplesoft/hash.js');
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: undefined }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"z":1}]},"b":1}');
    expect(canonicalJson({ x: 'é"\n' })).toBe(JSON.stringify({ x: 'é"\n' }));
  });
});
