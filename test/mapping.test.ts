import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { describe, expect, it } from 'vitest';
import { generateDataset } from '../src/sim/dataset/index.js';
import type { Mapping } from '../src/config/types.generated.js';
import { applyTransforms, mapRecord, managedFields, orderMappings, type LookupValue } from '../src/mapping/index.js';
import type { SourceRecord } from '../src/model/index.js';

const noLookups = { resolveLookup: (): LookupValue | undefined => undefined };

function mapping(over: Partial<Mapping> = {}): Mapping {
  return {
    apiVersion: 'ml-connector/v1', kind: 'Mapping', name: 'employees-to-contacts',
    source: { connection: 'hcm', entity: 'employees', include: { field: 'PER_ORG', in: ['EMP', 'CWR'] } },
    target: { connection: 'zoho', module: 'Contacts' },
    externalId: { field: 'PeopleSoft_Employee_ID' },
    fields: [
      { to: 'Last_Name', from: 'LAST_NAME', transforms: ['trim'] },
      { to: 'Email', from: 'EMAIL', transforms: ['email'] },
      { to: 'Employment_Status', map: { from: 'STATUS', values: { active: 'Active', leave: 'On Leave', inactive: 'Terminated' } } },
      { to: 'Account_Name', lookup: { mapping: 'vendors-to-accounts', key: '{VENDOR_KEY}' }, when: { field: 'PER_ORG', equals: 'CWR' } },
    ],
    lifecycle: { termination: { action: 'deactivate' }, rehire: { action: 'reactivate', set: { Employment_Status: 'Active' } }, leave: { action: 'update', set: { Employment_Status: 'On Leave' } }, transfer: { action: 'ignore' } },
    deactivate: { set: { Employment_Status: 'Terminated' } },
    ...over,
  };
}

function employee(fields: Record<string, string | null>, over: Partial<SourceRecord> = {}): SourceRecord {
  return { entity: 'employees', key: fields.EMPLID ?? 'E1', fields: { EMPLID: 'E1', PER_ORG: 'EMP', STATUS: 'active', ...fields }, status: 'active', hash: 'h', ...over };
}

describe('transforms', () => {
  it.each([
    ['  Ada  ', ['trim'], 'Ada'],
    ['ada lovelace', ['upper'], 'ADA LOVELACE'],
    ["o'BRIEN-smith", ['title'], "O'Brien-Smith"],
    ['a   b \t c', ['collapse-spaces'], 'a b c'],
    ['  Ada@Example.COM ', ['email'], 'ada@example.com'],
    ['not-an-email', ['email'], null],
    ['(312) 555-0134', [{ phone: { defaultCountry: 'US' } }], '+13125550134'],
    ['020 7946 0958', [{ phone: { defaultCountry: 'GB' } }], '+442079460958'],
    ['+1 (312) 555-0134 x123', ['phone'], '+13125550134 x123'],
    ['312/555-0134 ext. 45', ['phone'], '+13125550134 x45'],
    ['+44 20 7946 0958', ['phone'], '+442079460958'],
    ['2024-03-05-10.11.12.000000', [{ date: { format: 'date' } }], '2024-03-05'],
    ['2024-03-05', [{ date: { format: 'datetime' } }], '2024-03-05T00:00:00+00:00'],
    ['abcdefgh', [{ truncate: 3 }], 'abc'],
    [null, [{ default: 'n/a' }], 'n/a'],
    ['', ['empty-to-null'], null],
    [null, ['trim', 'upper', 'email'], null],
  ] as const)('%j with %j gives %j', (input, transforms, expected) => {
    const r = applyTransforms(input, transforms as never);
    expect(r.ok && r.value).toBe(expected);
  });

  it('the phone fast paths give exactly what libphonenumber gives, on numbers as people type them', () => {
    const d = generateDataset({ seed: 11, employees: 1500, vendors: 10 });
    const typed = d.employees.flatMap((e) => e.phones.map((p) => p.PHONE));
    typed.push('+44 (0)20 7946 0958', '+44 020 7946 0958', '+39 06 1234 5678', '+49 30 123456', '+7 495 123-45-67', '555-0134', '(012) 555-0134');
    for (const country of ['US', 'GB'] as const) {
      for (const text of typed) {
        const p = parsePhoneNumberFromString(text, country);
        const want = p?.isPossible() ? `${p.number}${p.ext ? ` x${p.ext}` : ''}` : text;
        expect([text, applyTransforms(text, [{ phone: { defaultCountry: country } }]).ok && applyTransforms(text, [{ phone: { defaultCountry: country } }])]).toEqual([text, expect.objectContaining({ value: want })]);
      }
    }
  });

  it('rejects an unreadable phone only with onInvalid: error', () => {
    expect(applyTransforms('call me', [{ phone: { onInvalid: 'error' } }])).toMatchObject({ ok: false, code: 'MAP_INVALID_PHONE' });
    expect(applyTransforms('call me', [{ phone: { onInvalid: 'keep' } }])).toMatchObject({ ok: true, value: 'call me' });
    expect(applyTransforms('call me', [{ phone: { onInvalid: 'empty' } }])).toMatchObject({ ok: true, value: null });
  });

  it('rejects a bad date', () => {
    expect(applyTransforms('31/31/2020', [{ date: {} }])).toMatchObject({ ok: false, code: 'MAP_INVALID_DATE' });
  });
});

describe('mapRecord', () => {
  it('maps from, map and email, and leaves `when` fields out', () => {
    const out = mapRecord(mapping(), employee({ LAST_NAME: ' Lovelace ', EMAIL: 'ADA@X.ORG' }), noLookups);
    expect(out).toMatchObject({ kind: 'desired', record: { externalId: 'E1', state: 'active', values: { Last_Name: 'Lovelace', Email: 'ada@x.org', Employment_Status: 'Active' } } });
    expect(out.kind === 'desired' && 'Account_Name' in out.record.values).toBe(false);
  });

  it('templates and constants', () => {
    const m = mapping({ fields: [{ to: 'Last_Name', template: '{FIRST_NAME} {LAST_NAME}', transforms: ['collapse-spaces', 'trim'] }, { to: 'Type', value: 'Employee' }] });
    const out = mapRecord(m, employee({ FIRST_NAME: 'Ada', LAST_NAME: null }), noLookups);
    expect(out.kind === 'desired' && out.record.values).toEqual({ Last_Name: 'Ada', Type: 'Employee' });
  });

  it('resolves a lookup for a contractor, and skips it when missing', () => {
    const resolve = (m: string, key: string): LookupValue | undefined => (m === 'vendors-to-accounts' && key === 'SHARE-V1' ? { lookup: m, key, id: '900' } : undefined);
    const hit = mapRecord(mapping(), employee({ PER_ORG: 'CWR', VENDOR_KEY: 'SHARE-V1' }), { resolveLookup: resolve });
    expect(hit.kind === 'desired' && hit.record.values.Account_Name).toEqual({ lookup: 'vendors-to-accounts', key: 'SHARE-V1', id: '900' });
    const miss = mapRecord(mapping(), employee({ PER_ORG: 'CWR', VENDOR_KEY: 'SHARE-V2' }), { resolveLookup: resolve });
    expect(miss.kind === 'desired' && 'Account_Name' in miss.record.values).toBe(false);
  });

  it('a lookup with onMissing: error rejects only that record', () => {
    const m = mapping({ fields: [{ to: 'Last_Name', from: 'LAST_NAME' }, { to: 'Account_Name', lookup: { mapping: 'v', key: '{VENDOR_KEY}', onMissing: 'error' } }] });
    const out = mapRecord(m, employee({ LAST_NAME: 'X', VENDOR_KEY: 'K' }), noLookups);
    expect(out.kind).toBe('rejected');
    expect(out.problems[0]).toMatchObject({ code: 'MAP_LOOKUP_MISSING', key: 'E1', field: 'Account_Name', severity: 'error' });
  });

  it('an unknown code is an error by default, a default or a skip when configured', () => {
    const withPolicy = (onUnknown: 'error' | 'default' | 'skip'): Mapping => mapping({ fields: [{ to: 'T', map: { from: 'PER_ORG', values: { EMP: 'Employee' }, default: 'Other', onUnknown } }], source: { connection: 'h', entity: 'employees' } });
    const rec = employee({ PER_ORG: 'POI' });
    expect(mapRecord(withPolicy('error'), rec, noLookups)).toMatchObject({ kind: 'rejected', problems: [{ code: 'MAP_UNKNOWN_CODE' }] });
    expect(mapRecord(withPolicy('default'), rec, noLookups)).toMatchObject({ kind: 'desired', record: { values: { T: 'Other' } } });
    expect(mapRecord(withPolicy('skip'), rec, noLookups)).toMatchObject({ kind: 'desired', record: { values: {} } });
  });

  it('records outside source.include are out of scope', () => {
    expect(mapRecord(mapping(), employee({ PER_ORG: 'POI' }), noLookups).kind).toBe('out-of-scope');
  });

  it.each([
    ['termination', 'inactive', 'deactivated', 'Terminated'],
    ['rehire', 'active', 'active', 'Active'],
    ['leave', 'leave', 'active', 'On Leave'],
    ['data-change', 'inactive', 'deactivated', 'Terminated'],
    ['hire', 'active', 'active', 'Active'],
  ] as const)('lifecycle %s (status %s) → %s with Employment_Status %s', (event, status, state, value) => {
    const out = mapRecord(mapping(), employee({ STATUS: status }, { event, status }), noLookups);
    expect(out).toMatchObject({ kind: 'desired', record: { state, event, values: { Employment_Status: value } } });
  });

  it('an ignored event is not planned', () => {
    expect(mapRecord(mapping(), employee({}, { event: 'transfer' }), noLookups).kind).toBe('ignored');
  });

  it('truncates to the Zoho field length with a warning, or rejects with truncate: error', () => {
    const rec = employee({ LAST_NAME: 'Abcdefghij' });
    const warn = mapRecord(mapping(), rec, { ...noLookups, fieldLengths: { Last_Name: 4 } });
    expect(warn).toMatchObject({ kind: 'desired', record: { values: { Last_Name: 'Abcd' } }, problems: [{ code: 'MAP_TRUNCATED', severity: 'warning' }] });
    const strict = mapRecord(mapping({ options: { truncate: 'error' } }), rec, { ...noLookups, fieldLengths: { Last_Name: 4 } });
    expect(strict).toMatchObject({ kind: 'rejected', problems: [{ code: 'MAP_TOO_LONG' }] });
  });

  it('lists managed fields including deactivate and lifecycle sets, never the external id', () => {
    expect(managedFields(mapping())).toEqual(['Account_Name', 'Email', 'Employment_Status', 'Last_Name']);
  });
});

describe('orderMappings', () => {
  it('puts looked-up mappings first and refuses cycles', () => {
    const contacts = mapping();
    const accounts = mapping({ name: 'vendors-to-accounts', fields: [{ to: 'Account_Name', from: 'NAME1' }] });
    expect(orderMappings([contacts, accounts]).map((m) => m.name)).toEqual(['vendors-to-accounts', 'employees-to-contacts']);
    const loop = mapping({ name: 'vendors-to-accounts', fields: [{ to: 'X', lookup: { mapping: 'employees-to-contacts', key: '{EMPLID}' } }] });
    expect(() => orderMappings([contacts, loop])).toThrow(/cycle/);
  });
});
