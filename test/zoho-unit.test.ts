import { describe, expect, it } from 'vitest';
import { loadValidConfig } from '../src/config/index.js';
import type { Mapping, ZohoConnection } from '../src/config/types.generated.js';
import { defineModules, describeField } from '../src/sim/zoho/schema.js';
import { isMlError } from '../src/support/errors.js';
import { checkMappingAgainstFields, constantTimeEqual, estimateCredits, parseTokenAnswer, readField, resolveZohoUrls, type ZohoField } from '../src/zoho/index.js';
import { regionsDisagree } from '../src/zoho/regions.js';
import { buildAuthorizeUrl, chooseAccountsServer, parseRedirect } from '../src/zoho/oauth.js';
import { criteriaFor, splitFields } from '../src/zoho/records.js';
import { readWriteResult } from '../src/zoho/writes.js';

const conn = (extra: Partial<ZohoConnection>): ZohoConnection => ({
  apiVersion: 'ml-connector/v1',
  kind: 'ZohoConnection',
  name: 'zoho',
  region: 'us',
  auth: { type: 'refresh_token', clientId: 'c', clientSecret: '${env:S}', refreshToken: '${env:R}' },
  ...extra,
});

describe('resolveZohoUrls', () => {
  it.each([
    [{ region: 'us' }, 'https://accounts.zoho.com', 'https://www.zohoapis.com'],
    [{ region: 'eu' }, 'https://accounts.zoho.eu', 'https://www.zohoapis.eu'],
    [{ region: 'au' }, 'https://accounts.zoho.com.au', 'https://www.zohoapis.com.au'],
    [{ region: 'ca' }, 'https://accounts.zohocloud.ca', 'https://www.zohoapis.ca'],
    [{ region: 'sa' }, 'https://accounts.zoho.sa', 'https://www.zohoapis.sa'],
    [{ region: 'in', environment: 'sandbox' }, 'https://accounts.zoho.in', 'https://sandbox.zohoapis.in'],
    [{ region: 'jp', environment: 'developer' }, 'https://accounts.zoho.jp', 'https://developer.zohoapis.jp'],
    [{ region: 'cn', accountsUrl: '', apiUrl: '' }, 'https://accounts.zoho.com.cn', 'https://www.zohoapis.com.cn'],
    [{ region: 'us', accountsUrl: 'http://127.0.0.1:9/', apiUrl: 'http://127.0.0.1:9' }, 'http://127.0.0.1:9', 'http://127.0.0.1:9'],
    [{ region: 'uk', experimental: { unconfirmedRegions: true } }, 'https://accounts.zoho.uk', 'https://www.zohoapis.uk'],
  ] as Array<[Partial<ZohoConnection>, string, string]>)('%j', (extra, accountsUrl, apiUrl) => {
    expect(resolveZohoUrls(conn(extra))).toEqual({ accountsUrl, apiUrl });
  });

  it('refuses uk unless the experimental flag is on', () => {
    expect(() => resolveZohoUrls(conn({ region: 'uk' }))).toThrow(/no confirmed API domain/);
  });
});

describe('token answers', () => {
  const ep = { accountsUrl: 'https://accounts.zoho.com', region: 'us' };
  it('reads expires_in as seconds, and as ms only with the legacy expires_in_sec', () => {
    expect(parseTokenAnswer(200, '{"access_token":"1000.aaaaaa","expires_in":3600,"api_domain":"https://www.zohoapis.eu/"}', 'refresh', ep)).toEqual({
      accessToken: '1000.aaaaaa',
      apiDomain: 'https://www.zohoapis.eu',
      expiresInMs: 3_600_000,
    });
    expect(parseTokenAnswer(200, '{"access_token":"1000.bbbbbb","expires_in":3600000,"expires_in_sec":3600}', 'refresh', ep).expiresInMs).toBe(3_600_000);
  });

  it.each([
    ['{"error":"invalid_code"}', 'refresh', 'ZOHO_REAUTH_REQUIRED'],
    ['{"error":"invalid_code"}', 'code_exchange', 'ZOHO_GRANT_CODE_INVALID'],
    ['{"error":"invalid_client"}', 'refresh', 'ZOHO_WRONG_DATA_CENTER'],
    ['{"error":"invalid_client_secret"}', 'refresh', 'ZOHO_AUTH_FAILED'],
    ['{"error":"missing_org_info"}', 'client_credentials', 'ZOHO_AUTH_FAILED'],
    ['{"error_description":"You have made too many requests continuously. Please try again after some time.","error":"Access Denied","status":"failure"}', 'refresh', 'ZOHO_TOKEN_THROTTLED'],
    ['<html>proxy</html>', 'refresh', 'ZOHO_AUTH_FAILED'],
  ] as const)('%s (%s) → %s', (body, purpose, code) => {
    let err: unknown;
    try {
      parseTokenAnswer(200, body, purpose, ep);
    } catch (e) {
      err = e;
    }
    expect(isMlError(err) && err.code).toBe(code);
    expect(isMlError(err) && err.hint).toBeTruthy();
  });
});

describe('token answers by status: REAUTH only when Zoho says the grant is gone', () => {
  const ep = { accountsUrl: 'https://accounts.zoho.com', region: 'us' };
  it.each([
    [200, '{"error":"invalid_grant"}', 'refresh', 'ZOHO_REAUTH_REQUIRED'],
    [200, '{"error":"something_new"}', 'refresh', 'ZOHO_AUTH_FAILED'],
    [200, '{}', 'refresh', 'ZOHO_AUTH_FAILED'],
    [400, '{"error":"Access Denied","error_description":"You have made too many requests continuously."}', 'refresh', 'ZOHO_TOKEN_THROTTLED'],
    [429, 'Too Many Requests', 'refresh', 'ZOHO_TOKEN_THROTTLED'],
    [429, '{"code":"TOO_MANY_REQUESTS","details":{},"message":"x","status":"error"}', 'refresh', 'ZOHO_TOKEN_THROTTLED'],
    [500, '<html>Zoho Accounts</html>', 'refresh', 'ZOHO_TOKEN_UNAVAILABLE'],
    [503, '', 'code_exchange', 'ZOHO_TOKEN_UNAVAILABLE'],
    [502, '{"error":"invalid_code"}', 'refresh', 'ZOHO_REAUTH_REQUIRED'],
  ] as const)('HTTP %i %s (%s) → %s', (status, body, purpose, code) => {
    let err: unknown;
    try {
      parseTokenAnswer(status, body, purpose, ep, status === 429 ? 120_000 : undefined);
    } catch (e) {
      err = e;
    }
    expect(isMlError(err) && err.code).toBe(code);
    expect(isMlError(err) && err.hint).toBeTruthy();
    if (status === 429 && isMlError(err)) expect(err.hint).toMatch(/retry in 2 minutes/);
  });
});

describe('credits and batching', () => {
  it('estimates documented costs', () => {
    expect(estimateCredits('upsert', 10_000)).toBe(1000);
    expect(estimateCredits('upsert', 101)).toBe(11);
    expect(estimateCredits('update', 5)).toBe(1);
    expect(estimateCredits('delete', 250)).toBe(3);
    expect(estimateCredits('list', 2500)).toBe(13);
    expect(estimateCredits('search', 25)).toBe(3);
    expect(estimateCredits('get', 4)).toBe(4);
    expect(estimateCredits('upsert', 0)).toBe(0);
  });

  it('splits fields by 50 with Modified_Time first and id never', () => {
    const names = Array.from({ length: 120 }, (_, i) => `F${i}`);
    const chunks = splitFields(['id', ...names]);
    expect(chunks.map((c) => c.length)).toEqual([50, 50, 21]);
    expect(chunks[0]![0]).toBe('Modified_Time');
    expect(chunks.flat()).not.toContain('id');
  });

  it('escapes search criteria', () => {
    expect(criteriaFor('Ext', ['a'])).toBe('(Ext:equals:a)');
    expect(criteriaFor('Ext', ['a(b)', 'c,d'])).toBe('((Ext:equals:a\\(b\\))or(Ext:equals:c\\,d))');
  });

  it('reads per-record write results', () => {
    expect(readWriteResult({ code: 'SUCCESS', status: 'success', action: 'update', duplicate_field: 'Ext', details: { id: '5725767000000524157', Modified_Time: '2026-01-01T00:00:00-07:00' } }, 3, 'upsert')).toEqual({
      ok: true,
      index: 3,
      id: '5725767000000524157',
      action: 'update',
      duplicateField: 'Ext',
      modifiedTime: '2026-01-01T00:00:00-07:00',
    });
    const bad = readWriteResult({ code: 'INVALID_DATA', status: 'error', message: 'invalid data', details: { api_name: 'Phone', maximum_length: 30 } }, 0, 'upsert');
    expect(bad).toMatchObject({ ok: false, code: 'INVALID_DATA', field: 'Phone' });
    expect(bad.message).toMatch(/maximum_length: 30/);
  });
});

describe('OAuth redirect', () => {
  it('asks for offline access with consent and a state', () => {
    const u = new URL(buildAuthorizeUrl({ accountsUrl: 'https://accounts.zoho.com', clientId: 'c1', redirectUri: 'http://127.0.0.1:8976/callback', scopes: ['A', 'B'], state: 's1' }));
    expect(Object.fromEntries(u.searchParams)).toMatchObject({ access_type: 'offline', prompt: 'consent', state: 's1', scope: 'A,B', response_type: 'code' });
  });

  it('verifies the state and takes the accounts server of the redirect only when it is Zoho', () => {
    const back = 'http://127.0.0.1:8976/callback?state=s1&code=1000.code&location=eu&accounts-server=https%3A%2F%2Faccounts.zoho.eu';
    expect(parseRedirect(back, 's1')).toEqual({ code: '1000.code', location: 'eu', accountsServer: 'https://accounts.zoho.eu' });
    expect(() => parseRedirect(back, 'other')).toThrow(/state/);
    expect(() => parseRedirect('http://127.0.0.1/cb?error=access_denied&state=s1', 's1')).toThrow(/did not authorize/);
    expect(chooseAccountsServer('https://accounts.zoho.com', 'https://accounts.zoho.eu')).toBe('https://accounts.zoho.eu');
    expect(chooseAccountsServer('http://127.0.0.1:5', 'http://127.0.0.1:5')).toBe('http://127.0.0.1:5');
    expect(() => chooseAccountsServer('https://accounts.zoho.com', 'https://evil.example.com')).toThrow(/not Zoho's/);
  });

  it('compares tokens in constant time, whatever their length', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });
});

describe('checkMappingAgainstFields', () => {
  const modules = defineModules(true);
  const fieldsOf = (m: string): ZohoField[] => modules.get(m)!.fields.map((f) => readField(describeField(f, modules)));

  it('finds nothing wrong with the demo mappings', async () => {
    const config = await loadValidConfig('configs');
    for (const m of config.mappings.values()) {
      const issues = checkMappingAgainstFields(m, fieldsOf(m.target.module), (p) => config.locate('Mapping', m.name, p));
      expect(issues, m.name).toEqual([]);
    }
  });

  it('names each problem and the mapping line', async () => {
    const config = await loadValidConfig('configs');
    const demo = config.mappings.get('employees-to-contacts')!;
    const broken: Mapping = {
      ...demo,
      externalId: { field: 'Email' },
      fields: [
        { to: 'last_name', from: 'LAST_NAME' },
        { to: 'Full_Name', template: '{FIRST_NAME} {LAST_NAME}' },
        { to: 'Title', value: 'x'.repeat(120) },
        { to: 'Account_Name', value: 'Acme' },
        { to: 'Employment_Status', map: { from: 'STATUS', values: { active: 'Active', gone: 'Fired' } } },
      ],
      lifecycle: { retirement: { action: 'deactivate', set: { Employment_Status: 'Pensioned' } } },
      deactivate: { set: { Employment_Status: 'Terminated' } },
      options: { truncate: 'error' },
    };
    const issues = checkMappingAgainstFields(broken, fieldsOf('Contacts'), (p) => ({ file: 'm.yaml', line: p.length, column: 1 }));
    const codes = issues.map((i) => `${i.code}@${i.path.join('.')}`);
    expect(codes).toEqual(
      expect.arrayContaining([
        'ZOHO_FIELD_UNKNOWN@fields.0.to',
        'ZOHO_FIELD_READ_ONLY@fields.1.to',
        'ZOHO_VALUE_TOO_LONG@fields.2.value',
        'ZOHO_TYPE_MISMATCH@fields.3.value',
        'ZOHO_PICKLIST_VALUE@fields.4.map.values.gone',
        'ZOHO_PICKLIST_VALUE@lifecycle.retirement.set.Employment_Status',
        'ZOHO_MANDATORY_NOT_MAPPED@fields',
        'ZOHO_EXTERNAL_ID_NOT_UNIQUE@externalId.field',
      ]),
    );
    expect(issues.find((i) => i.code === 'ZOHO_FIELD_UNKNOWN')!.message).toMatch(/^m\.yaml:3:1: .*did you mean "Last_Name"/);
    expect(issues.find((i) => i.code === 'ZOHO_VALUE_TOO_LONG')!.severity).toBe('error');
    const lenient = checkMappingAgainstFields({ ...broken, options: { truncate: 'warn' } }, fieldsOf('Contacts'));
    expect(lenient.find((i) => i.code === 'ZOHO_VALUE_TOO_LONG')!.severity).toBe('warning');
  });
});

describe('a refused fresh token and the region', () => {
  it.each([
    ['https://accounts.zoho.com', 'https://www.zohoapis.eu', { accounts: 'us', api: 'eu' }],
    ['https://accounts.zohocloud.ca', 'https://www.zohoapis.com', { accounts: 'ca', api: 'us' }],
    ['https://accounts.zoho.eu', 'https://sandbox.zohoapis.eu', undefined],
    ['https://accounts.zohocloud.ca', 'https://www.zohoapis.ca', undefined],
    ['http://127.0.0.1:4000', 'http://127.0.0.1:4000', undefined],
    ['https://accounts.zoho.com', 'https://zoho-proxy.example.com', undefined],
  ])('accounts %s, API %s → %j', (accounts, api, expected) => {
    expect(regionsDisagree(accounts, api)).toEqual(expected);
  });
});
