/**
 * Explicit pairings and stored source histories, on a real SQLite file and a PostgreSQL schema:
 * pairings stored with their audit row, read back in batches, one Zoho record per source record,
 * removed when adopted, carried by export and import; histories read and replaced by key.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openStateStore, type StateStore } from '../src/state/index.js';
import { STATE_BACKENDS, useBackend, type TestBackend } from './fixtures/state/backends.js';

describe.each(STATE_BACKENDS)('pairings and histories on $name', ({ name }) => {
  let backend: TestBackend;
  let store: StateStore;

  beforeAll(async () => {
    backend = await useBackend(name);
  });
  afterAll(() => backend.cleanup());
  beforeEach(async () => {
    store = await openStateStore(backend.location());
  });
  afterEach(async () => {
    await store.close();
  });

  async function adoptRun(): Promise<string> {
    return store.startRun({ kind: 'adopt', trigger: 'cli', configDigest: 'd', mappings: ['employees-to-contacts'] });
  }

  it('stores a pairing with its audit row in one go, and reads pairings back by key in batches', async () => {
    const runId = await adoptRun();
    await store.putPairing(
      { mapping: 'employees-to-contacts', externalId: '100042', module: 'Contacts', zohoId: '5725767000000900001', runId },
      { runId, mapping: 'employees-to-contacts', externalId: '100042', zohoId: '5725767000000900001', action: 'pair', fields: ['PeopleSoft_Employee_ID'], outcome: 'applied' },
    );
    for (let i = 0; i < 1500; i++) {
      await store.putPairing({ mapping: 'employees-to-contacts', externalId: String(200000 + i), module: 'Contacts', zohoId: `57257670000${String(1000000 + i).padStart(8, '0')}` });
    }
    // 3,000 keys asked for, half of them paired: a few queries, every pairing found.
    const keys = Array.from({ length: 3000 }, (_, i) => String(200000 + i));
    const found = await store.getPairings('employees-to-contacts', [...keys, '100042']);
    expect(found.size).toBe(1501);
    expect(found.get('100042')).toMatchObject({ module: 'Contacts', zohoId: '5725767000000900001', runId, createdAt: expect.any(String) });
    expect(found.has('201499')).toBe(true);
    expect(found.has('201500')).toBe(false);
    expect(await store.getPairings('vendors-to-accounts', ['100042'])).toEqual(new Map());
    expect(await store.queryAudit({ runId })).toEqual([expect.objectContaining({ action: 'pair', externalId: '100042', outcome: 'applied' })]);
  });

  it('refuses a Zoho record already paired with another source record, naming it', async () => {
    await store.putPairing({ mapping: 'employees-to-contacts', externalId: '100042', module: 'Contacts', zohoId: 'z1' });
    await expect(store.putPairing({ mapping: 'contractors-to-contacts', externalId: '100077', module: 'Contacts', zohoId: 'z1' })).rejects.toMatchObject({
      code: 'STATE_PAIRING_CONFLICT',
      message: expect.stringContaining('already paired with employees-to-contacts 100042'),
      hint: expect.stringContaining('adopt --mapping employees-to-contacts --remove 100042'),
    });
    // The same source record paired again moves to the new Zoho record.
    await store.putPairing({ mapping: 'employees-to-contacts', externalId: '100042', module: 'Contacts', zohoId: 'z2' });
    expect((await store.getPairings('employees-to-contacts', ['100042'])).get('100042')?.zohoId).toBe('z2');
    expect(await store.findPairingByZohoId('Contacts', 'z1')).toBeUndefined();
    expect(await store.findPairingByZohoId('Contacts', 'z2')).toMatchObject({ externalId: '100042' });
    await expect(store.putPairing({ mapping: 'm', externalId: ' ', module: 'Contacts', zohoId: 'z3' })).rejects.toMatchObject({ code: 'STATE_INVALID_INPUT' });
  });

  it('removes pairings: by the adopt command (counted, audited), and with the batch that adopted them', async () => {
    for (const [ext, id] of [['1', 'z1'], ['2', 'z2'], ['3', 'z3']]) await store.putPairing({ mapping: 'm', externalId: ext!, module: 'Contacts', zohoId: id! });
    const runId = await adoptRun();
    expect(await store.removePairings('m', ['1', '9'], [{ runId, mapping: 'm', externalId: '1', action: 'unpair', fields: [], outcome: 'applied' }])).toBe(1);
    expect((await store.queryAudit({ runId })).map((a) => a.action)).toEqual(['unpair']);
    const apply = await store.startRun({ kind: 'apply', trigger: 'cli', configDigest: 'd', mappings: ['m'] });
    await store.commitBatch({ runId: apply, mapping: 'm', links: [{ externalId: '2', module: 'Contacts', zohoId: 'z2', fieldHash: 'h', appliedValues: {} }], unpaired: ['2'], audit: [] });
    expect([...(await store.getPairings('m', ['1', '2', '3'])).keys()]).toEqual(['3']);
    expect((await store.stats()).rows.pairings).toBe(1);
  });

  it('export carries pairings and import restores them; a version-1 export without them still imports', async () => {
    const runId = await adoptRun();
    await store.putPairing({ mapping: 'm', externalId: '1', module: 'Contacts', zohoId: 'z1', runId });
    await store.finishRun(runId, { status: 'succeeded', counts: {}, apiCalls: 1, credits: 1 });
    const exported = await store.export();
    expect(exported).toMatchObject({ formatVersion: 2, pairings: [{ mapping: 'm', externalId: '1', zohoId: 'z1', runId }] });
    const other = await openStateStore(backend.location('other'));
    try {
      await other.import(JSON.parse(JSON.stringify(exported)));
      expect(await other.listPairings()).toEqual(exported.pairings);
      const { pairings: _gone, ...v1 } = exported;
      await other.import({ ...v1, formatVersion: 1 });
      expect(await other.listPairings()).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('stores whole histories per scope, reads them back by key in batches, and replaces them', async () => {
    const rows = Array.from({ length: 6000 }, (_, i) => ({ key: String(100000 + i), hash: `h${i}`, data: `[{"EFFDT":"2020-01-0${1 + (i % 9)}"}]` }));
    await store.putHistories('peoplesoft-hcm/employees', rows);
    const keys = ['100000', '105999', '106000'];
    const found = await store.getHistories('peoplesoft-hcm/employees', keys);
    expect([...found.keys()].sort()).toEqual(['100000', '105999']);
    expect(found.get('105999')).toEqual({ hash: 'h5999', data: rows[5999]!.data });
    await store.putHistories('peoplesoft-hcm/employees', [{ key: '100000', hash: 'new', data: '[]' }]);
    expect((await store.getHistories('peoplesoft-hcm/employees', ['100000'])).get('100000')).toEqual({ hash: 'new', data: '[]' });
    expect(await store.getHistories('peoplesoft-other/employees', ['100000'])).toEqual(new Map());
    expect((await store.stats()).rows.histories).toBe(6000);
  });
});
