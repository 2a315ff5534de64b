/**
 * Match rules: the desired values a mapping writes and the values a hand-made Zoho record holds
 * give one key exactly when a Zoho admin would call them the same person or company. Pure,
 * table-driven, no mocks.
 */
import { describe, expect, it } from 'vitest';
import type { Mapping, Normalizer } from '../src/config/types.generated.js';
import { applyTransforms, compileMatchRules, defaultNormalizer, mapRecord, normalizeMatchValue, type FieldValue, type LookupValue } from '../src/mapping/index.js';
import { ConfigError } from '../src/support/errors.js';

const contacts: Mapping = {
  apiVersion: 'ml-connector/v1', kind: 'Mapping', name: 'employees-to-contacts',
  source: { connection: 'hcm', entity: 'employees' },
  target: { connection: 'zoho', module: 'Contacts' },
  externalId: { field: 'PeopleSoft_Employee_ID' },
  fields: [
    { to: 'First_Name', from: 'FIRST_NAME', transforms: ['trim'] },
    { to: 'Last_Name', from: 'LAST_NAME', transforms: ['trim'] },
    { to: 'Email', from: 'EMAIL', transforms: ['email'] },
    { to: 'Phone', from: 'PHONE_BUSN', transforms: [{ phone: { defaultCountry: 'US' } }] },
    { to: 'Mobile', from: 'PHONE_CELL', transforms: [{ phone: { defaultCountry: 'GB' } }] },
    { to: 'Department', from: 'DEPT_DESCR' },
    { to: 'Account_Name', lookup: { mapping: 'departments-to-accounts', key: 'SHARE-{DEPTID}' } },
  ],
  match: [{ fields: ['Email'] }, { fields: ['First_Name', 'Last_Name', 'Phone'] }],
  onRemove: 'ignore',
};

const accounts: Mapping = {
  apiVersion: 'ml-connector/v1', kind: 'Mapping', name: 'vendors-to-accounts',
  source: { connection: 'fscm', entity: 'vendors' },
  target: { connection: 'zoho', module: 'Accounts' },
  externalId: { field: 'PeopleSoft_Vendor_ID', from: 'VENDOR_KEY' },
  fields: [
    { to: 'Account_Name', from: 'NAME1', transforms: ['trim'] },
    { to: 'Billing_Code', from: 'POSTAL' },
    { to: 'Billing_City', from: 'CITY' },
  ],
  match: [{ fields: ['Account_Name', 'Billing_Code'] }, { fields: ['Account_Name'] }],
  onRemove: 'ignore',
};

const [byEmail, byNamePhone] = compileMatchRules(contacts);
const [byNameZip, byName] = compileMatchRules(accounts);

describe('compileMatchRules', () => {
  it('names rules by their fields, in the order written', () => {
    expect(compileMatchRules(contacts).map((r) => [r.name, r.fields])).toEqual([
      ['Email', ['Email']],
      ['First_Name+Last_Name+Phone', ['First_Name', 'Last_Name', 'Phone']],
    ]);
    const { match: _none, ...withoutRules } = contacts;
    expect(compileMatchRules(withoutRules)).toEqual([]);
  });

  // [rule, desired (what the mapping writes), hand-made (what a Zoho user typed), same record?]
  const cases: Array<[string, typeof byEmail, Record<string, FieldValue>, Record<string, FieldValue>, boolean]> = [
    ['email in another case, with spaces', byEmail, { Email: 'jane.doe@meridianlowe.com' }, { Email: ' Jane.Doe@MeridianLowe.COM ' }, true],
    ['another email', byEmail, { Email: 'jane.doe@meridianlowe.com' }, { Email: 'jdoe@meridianlowe.com' }, false],
    ['name and phone as typed', byNamePhone, { First_Name: 'José', Last_Name: "O'Brien-Smith", Phone: '+12125550142' }, { First_Name: 'jose', Last_Name: 'OBrien Smith', Phone: '(212) 555-0142' }, true],
    ['phone with dots and an extension', byNamePhone, { First_Name: 'Ann', Last_Name: 'Lee', Phone: '+13125550100 x12' }, { First_Name: 'ANN', Last_Name: 'LEE', Phone: '312.555.0100' }, true],
    ['phone with country code and dashes', byNamePhone, { First_Name: 'Ann', Last_Name: 'Lee', Phone: '+13125550100' }, { First_Name: 'Ann', Last_Name: 'Lee', Phone: '1-312-555-0100' }, true],
    ['same name, other phone', byNamePhone, { First_Name: 'Ann', Last_Name: 'Lee', Phone: '+13125550100' }, { First_Name: 'Ann', Last_Name: 'Lee', Phone: '(312) 555-0199' }, false],
    ['accents and strokes folded', byNamePhone, { First_Name: 'Łukasz', Last_Name: 'Müller', Phone: '+12125550101' }, { First_Name: 'Lukasz', Last_Name: 'Muller', Phone: '212 555 0101' }, true],
    ['other scripts kept as letters', byNamePhone, { First_Name: '明', Last_Name: '王', Phone: '+12125550102' }, { First_Name: '明', Last_Name: '王', Phone: '2125550102' }, true],
    ['Acme, Inc. and ACME Inc', byName, { Account_Name: 'ACME Inc' }, { Account_Name: 'Acme, Inc.' }, true],
    ['legal suffixes and "the"', byName, { Account_Name: 'The Harbor Group LLC' }, { Account_Name: 'Harbor Group, L.L.C.' }, true],
    ['& and "and"', byName, { Account_Name: 'Meridian & Lowe Partners' }, { Account_Name: 'Meridian and Lowe Partners, LLP' }, true],
    ['GmbH', byName, { Account_Name: 'Müller Logistik GmbH' }, { Account_Name: 'MULLER LOGISTIK' }, true],
    ['a suffix inside the name stays', byName, { Account_Name: 'Company Shop' }, { Account_Name: 'Shop' }, false],
    ['other company', byName, { Account_Name: 'Acme Staffing' }, { Account_Name: 'Acme Consulting' }, false],
    ['name and postal code, ZIP+4', byNameZip, { Account_Name: 'Acme Inc', Billing_Code: '62701' }, { Account_Name: 'ACME', Billing_Code: '62701-1234' }, true],
    ['name and UK postcode', byNameZip, { Account_Name: 'Acme Ltd', Billing_Code: 'SW1A 1AA' }, { Account_Name: 'acme', Billing_Code: 'sw1a1aa' }, true],
    ['name, other postal code', byNameZip, { Account_Name: 'Acme Inc', Billing_Code: '62701' }, { Account_Name: 'Acme Inc', Billing_Code: '60601' }, false],
  ];
  it.each(cases)('%s', (_what, rule, desired, handMade, same) => {
    const a = rule!.key(desired);
    const b = rule!.key(handMade);
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect(a === b).toBe(same);
  });

  it.each([
    ['an empty field', { First_Name: 'Ann', Last_Name: 'Lee', Phone: null }],
    ['a missing field', { First_Name: 'Ann', Last_Name: 'Lee' }],
    ['blanks only', { First_Name: '  ', Last_Name: 'Lee', Phone: '+13125550100' }],
    ['punctuation only', { First_Name: '--', Last_Name: 'Lee', Phone: '+13125550100' }],
  ])('gives no key for %s: an empty value never matches', (_what, values) => {
    expect(byNamePhone!.key(values as Record<string, FieldValue>)).toBeUndefined();
  });

  it('keys of different rules never collide, nor do shifted parts', () => {
    expect(byNameZip!.key({ Account_Name: 'a', Billing_Code: 'b' })).not.toBe(byName!.key({ Account_Name: 'a b' }));
    const rule = compileMatchRules({ ...contacts, match: [{ fields: ['First_Name', 'Last_Name'] }] })[0]!;
    expect(rule.key({ First_Name: 'ann lee', Last_Name: 'x' })).not.toBe(rule.key({ First_Name: 'ann', Last_Name: 'lee x' }));
  });

  it('compares what the mapping writes with what Zoho holds: a record mapped from PeopleSoft keys like the hand-made one', () => {
    const outcome = mapRecord(contacts, {
      entity: 'employees', key: '100042', status: 'active', hash: 'h',
      fields: { EMPLID: '100042', FIRST_NAME: ' Dana ', LAST_NAME: 'Nguyen', EMAIL: ' Dana.Nguyen@MeridianLowe.com', PHONE_BUSN: '212/555-0177', PHONE_CELL: null, DEPT_DESCR: 'Finance', DEPTID: '30000' },
    }, { resolveLookup: (): LookupValue | undefined => undefined });
    expect(outcome.kind).toBe('desired');
    const desired = outcome.kind === 'desired' ? outcome.record.values : {};
    expect(byEmail!.key(desired)).toBe(byEmail!.key({ Email: 'DANA.NGUYEN@meridianlowe.com' }));
    expect(byNamePhone!.key(desired)).toBe(byNamePhone!.key({ First_Name: 'DANA', Last_Name: 'nguyen', Phone: '212-555-0177' }));
  });

  it('reads phones in the country of the field\'s own phone transform', () => {
    // Mobile's transform says GB: a national UK number typed by hand matches the written E.164.
    const rule = compileMatchRules({ ...contacts, match: [{ fields: ['Last_Name', 'Mobile'] }] })[0]!;
    const written = applyTransforms('07700 900123', [{ phone: { defaultCountry: 'GB' } }]);
    expect(written).toEqual({ ok: true, value: '+447700900123' });
    expect(rule.key({ Last_Name: 'Lee', Mobile: '+447700900123' })).toBe(rule.key({ Last_Name: 'lee', Mobile: '07700 900123' }));
  });

  it('uses a normaliser named in the rule instead of the default', () => {
    const exact = compileMatchRules({ ...accounts, match: [{ fields: ['Account_Name'], normalize: { Account_Name: 'exact' } }] })[0]!;
    expect(exact.key({ Account_Name: 'Acme Inc' })).not.toBe(exact.key({ Account_Name: 'ACME Inc' }));
    const city = compileMatchRules({ ...accounts, match: [{ fields: ['Billing_City'], normalize: { Billing_City: 'person-name' } }] })[0]!;
    expect(city.key({ Billing_City: 'São Paulo' })).toBe(city.key({ Billing_City: 'SAO PAULO' }));
  });

  it('refuses a rule on a field the mapping does not write, or on a lookup', () => {
    for (const field of ['Mailing_City', 'Account_Name']) {
      try {
        compileMatchRules({ ...contacts, match: [{ fields: [field] }] });
        throw new Error('expected an error');
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        expect(err).toMatchObject({ code: 'MATCH_FIELD_NOT_WRITTEN', meta: { field } });
      }
    }
  });
});

describe('default normalisers', () => {
  it.each<[string, Normalizer]>([
    ['Email', 'email'], ['Secondary_Email', 'email'], ['Phone', 'phone'], ['Mobile', 'phone'], ['Home_Phone', 'phone'], ['Fax', 'phone'],
    ['First_Name', 'person-name'], ['Last_Name', 'person-name'], ['Account_Name', 'company-name'], ['Vendor_Name', 'company-name'],
    ['Billing_Code', 'postal-code'], ['Mailing_Zip', 'postal-code'], ['Department', 'text'], ['Title', 'text'],
  ])('%s → %s', (field, kind) => {
    expect(defaultNormalizer({ ...contacts, fields: [{ to: field, from: 'X' }] }, field)).toBe(kind);
  });

  it('a field with the email or phone transform gets that normaliser whatever its name', () => {
    const m: Mapping = { ...contacts, fields: [{ to: 'Work_Address', from: 'EMAIL', transforms: ['email'] }, { to: 'Direct_Line', from: 'PHONE', transforms: ['phone'] }] };
    expect([defaultNormalizer(m, 'Work_Address'), defaultNormalizer(m, 'Direct_Line')]).toEqual(['email', 'phone']);
  });

  it.each<[Normalizer, string, string | undefined]>([
    ['email', '  Ada@Example.COM ', 'ada@example.com'],
    ['phone', '(212) 555-0142 ext. 7', '+12125550142'],
    ['phone', 'call reception', undefined],
    ['phone', '555-01', '55501'],
    ['person-name', "  D'Angelo  MARIE-Thérèse ", 'dangelo marie therese'],
    ['company-name', 'ACME Holdings Pty Ltd.', 'acme holdings'],
    ['company-name', 'Inc.', 'inc'],
    ['postal-code', ' 627 01 ', '62701'],
    ['text', '  Data   &  Analytics ', 'data & analytics'],
    ['exact', ' As Is ', ' As Is '],
  ])('%s(%j) → %j', (kind, value, out) => {
    expect(normalizeMatchValue(kind, value)).toBe(out);
  });
});
