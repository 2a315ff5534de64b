import { parseZohoTime } from './ids.js';
import { API_USER, HUMAN_USER, type Org } from './org.js';
import { mergeChanges, withDerived } from './records-write.js';
import type { ModuleStore, StoredRecord } from './store.js';
import type { ZohoFixture } from './types.js';
import { cleanRecord, isRecordError, mandatoryMissing } from './validate.js';

/**
 * Seeding from and dumping to the JSON fixture (records in the API's own shape), and edits made
 * "by a person in the Zoho UI" for drift tests. Problems in a fixture throw: a test should state
 * valid data.
 */

/** Accounts first, so Contacts can look them up. */
const SEED_ORDER = ['Accounts', 'Vendors', 'Contacts'];
const bySeedOrder = (a: string, b: string): number => {
  const rank = (m: string): number => (SEED_ORDER.includes(m) ? SEED_ORDER.indexOf(m) : SEED_ORDER.length);
  return rank(a) - rank(b);
};

const refId = (v: unknown): string | undefined => {
  const id = v && typeof v === 'object' ? (v as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : undefined;
};

function timeOf(v: unknown, fallback: number, what: string): number {
  if (v === undefined || v === null) return fallback;
  const ms = typeof v === 'string' ? parseZohoTime(v) : undefined;
  if (ms === undefined) throw new Error(`fixture: ${what} must be an ISO datetime with offset, got ${JSON.stringify(v)}`);
  return Math.floor(ms / 1000) * 1000;
}

function requireStore(org: Org, module: string): ModuleStore {
  const store = org.store(module);
  if (!store) throw new Error(`fixture: unknown module ${module} (known: ${[...org.modules.keys()].join(', ')})`);
  return store;
}

/** Replace every module's records with the fixture's (modules not named end up empty). */
export function seedFixture(org: Org, fixture: ZohoFixture): void {
  for (const store of org.stores.values()) store.clear();
  const modules = Object.keys(fixture.records ?? {}).sort(bySeedOrder);
  for (const module of modules) {
    const store = requireStore(org, module);
    const list = fixture.records[module] ?? [];
    list.forEach((input, i) => seedOne(org, store, input, i, API_USER.id, 'fixture'));
  }
}

/**
 * Records a person typed into the Zoho UI before ml-connector came: owned, created and last
 * modified by the UI user (Sam Rivera) unless the input says otherwise, validated like an insert,
 * added to what the org holds (nothing is cleared). Returns the new ids in input order.
 */
export function addHandMade(org: Org, records: ZohoFixture['records']): Record<string, string[]> {
  const ids: Record<string, string[]> = {};
  const added: Array<[ModuleStore, string]> = [];
  try {
    for (const module of Object.keys(records).sort(bySeedOrder)) {
      const store = requireStore(org, module);
      ids[module] = (records[module] ?? []).map((input, i) => {
        const id = seedOne(org, store, input, i, HUMAN_USER.id, 'hand-made');
        added.push([store, id]);
        return id;
      });
    }
  } catch (err) {
    // All or nothing: a bad record leaves the org as it was.
    for (const [store, id] of added.reverse()) store.remove(id);
    throw err;
  }
  return ids;
}

function seedOne(org: Org, store: ModuleStore, input: Record<string, unknown>, i: number, userId: string, what: string): string {
  const where = `${what} ${store.def.apiName}[${i}]`;
  const clean = cleanRecord(org, store.def, input, i);
  if (isRecordError(clean)) throw new Error(`${where}: ${clean.code} ${clean.message} ${JSON.stringify(clean.details)}`);
  for (const f of store.def.fields) {
    if (f.mandatory && (clean.changes[f.apiName] === undefined || clean.changes[f.apiName] === null)) {
      const e = mandatoryMissing(f.apiName, i);
      throw new Error(`${where}: ${e.code} ${JSON.stringify(e.details)}`);
    }
    if (f.unique && typeof clean.changes[f.apiName] === 'string') {
      const other = store.findBy(f.apiName, clean.changes[f.apiName]).find((id) => id !== input.id);
      if (other) throw new Error(`${where}: ${f.apiName} duplicates record ${other}`);
    }
  }
  const now = org.nowSeconds();
  let id: string;
  if (input.id !== undefined) {
    if (typeof input.id !== 'string' || !/^\d{1,19}$/.test(input.id)) throw new Error(`${where}: id must be a digit string`);
    id = input.id;
    org.ids.observe(id);
  } else id = org.ids.take();
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(clean.changes)) if (v !== null) values[k] = v;
  const createdAt = timeOf(input.Created_Time, now, `${where}.Created_Time`);
  const user = (v: unknown, fallback: string): string => {
    const uid = refId(v);
    if (uid !== undefined && !org.user(uid)) throw new Error(`${where}: unknown user ${uid}`);
    return uid ?? fallback;
  };
  store.put({
    id,
    values: withDerived(store, values),
    ownerId: clean.ownerId ?? userId,
    createdById: user(input.Created_By, userId),
    modifiedById: user(input.Modified_By, userId),
    createdAt,
    modifiedAt: timeOf(input.Modified_Time, createdAt, `${where}.Modified_Time`),
  });
  return id;
}

export function dumpFixture(org: Org): ZohoFixture {
  const records: ZohoFixture['records'] = {};
  for (const [name, store] of org.stores) {
    records[name] = store.view('id').map((id) => {
      const full = org.serialize(store, store.get(id)!);
      for (const k of Object.keys(full)) if (k.startsWith('$') || k === 'Full_Name') delete full[k];
      return full;
    });
  }
  return { records };
}

/** A person edits a record in the Zoho UI: Modified_By becomes them, Modified_Time moves. Returns changed fields. */
export function editAsUser(org: Org, module: string, id: string, changes: Record<string, unknown>): string[] {
  const store = requireStore(org, module);
  const target = store.get(id);
  if (!target) throw new Error(`editRecord: no ${module} record ${id}`);
  const clean = cleanRecord(org, store.def, changes, 0);
  if (isRecordError(clean)) throw new Error(`editRecord: ${clean.code} ${clean.message} ${JSON.stringify(clean.details)}`);
  const { values, changed } = mergeChanges(store, target, clean.changes);
  const rec: StoredRecord = {
    ...target,
    values,
    ownerId: clean.ownerId ?? target.ownerId,
    modifiedById: HUMAN_USER.id,
    // A person's edit always lands at least one second after the last write, so it is visible to If-Modified-Since.
    modifiedAt: Math.max(org.nowSeconds(), target.modifiedAt + 1000),
  };
  store.put(rec);
  return changed;
}

export function deleteAsUser(org: Org, module: string, id: string): void {
  const store = requireStore(org, module);
  if (!store.remove(id, { userId: HUMAN_USER.id, at: org.nowSeconds() })) throw new Error(`deleteRecord: no ${module} record ${id}`);
}
