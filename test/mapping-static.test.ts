/** Static records (`source.static`): YAML records become source records the mapping engine maps like PeopleSoft's. */
import { describe, expect, it } from 'vitest';
import type { Mapping } from '../src/config/types.generated.js';
import { mapRecord, readStaticRecords, type LookupValue } from '../src/mapping/index.js';

const firm: Mapping = {
  apiVersion: 'ml-connector/v1', kind: 'Mapping', name: 'firm-account',
  source: { static: [{ key: ' MLP ', fields: { NAME: '  Meridian & Lowe Partners ', WEBSITE: 'meridianlowe.com', NOTE: '' } }, { key: 'OLD', fields: { NAME: 'Meridian Partners (old)' }, status: 'inactive' }] },
  target: { connection: 'zoho', module: 'Accounts' },
  externalId: { field: 'PeopleSoft_Company' },
  fields: [{ to: 'Account_Name', from: 'NAME' }, { to: 'Website', from: 'WEBSITE' }, { to: 'Description', template: 'Company {KEY}' }],
  deactivate: { set: { Account_Type: 'Other' } },
  match: [{ fields: ['Account_Name'] }],
};

describe('readStaticRecords', () => {
  it('gives one source record per YAML record: trimmed, blanks null, the key also as KEY, a stable hash', () => {
    const [mlp, old] = readStaticRecords(firm);
    expect(mlp).toMatchObject({ entity: 'static', key: 'MLP', status: 'active', fields: { KEY: 'MLP', NAME: 'Meridian & Lowe Partners', WEBSITE: 'meridianlowe.com', NOTE: null } });
    expect(old).toMatchObject({ key: 'OLD', status: 'inactive' });
    expect(readStaticRecords(firm)[0]!.hash).toBe(mlp!.hash);
    const edited = readStaticRecords({ ...firm, source: { static: [{ key: 'MLP', fields: { NAME: 'Meridian & Lowe' } }] } })[0]!;
    expect(edited.hash).not.toBe(mlp!.hash);
  });

  it('maps like any source: the key is the external id, an inactive record gets the deactivate fields', () => {
    const none = { resolveLookup: (): LookupValue | undefined => undefined };
    const [mlp, old] = readStaticRecords(firm).map((r) => mapRecord(firm, r, none));
    expect(mlp).toMatchObject({ kind: 'desired', record: { externalId: 'MLP', state: 'active', values: { Account_Name: 'Meridian & Lowe Partners', Website: 'meridianlowe.com', Description: 'Company MLP' } } });
    expect(old).toMatchObject({ kind: 'desired', record: { externalId: 'OLD', state: 'deactivated', values: { Account_Type: 'Other' } } });
  });

  it('refuses a mapping that reads PeopleSoft', () => {
    expect(() => readStaticRecords({ ...firm, source: { connection: 'hcm', entity: 'employees' } })).toThrow(expect.objectContaining({ code: 'MAPPING_NOT_STATIC' }));
  });
});
