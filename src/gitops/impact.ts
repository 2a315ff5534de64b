import type { Field, Mapping } from '../config/types.generated.js';
import { mapRecord, sameValue, isEmpty, fromZohoValue, valueKey, type FieldValue, type LookupResolver } from '../mapping/index.js';
import type { SourceRecord } from '../model/index.js';
import type { PlanValue } from '../plan/index.js';
import type { FieldDiff, MappingDiff, SettingDiff } from './compare.js';

/** One record that a change touches: the value before (Zoho's, when it was read) and after. */
export interface ImpactSample {
  key: string;
  before: PlanValue | undefined;
  after: PlanValue | undefined;
  /** Online: the record is not in Zoho (yet), so there is no value before. */
  notInZoho?: true;
}

export interface FieldImpact extends FieldDiff {
  /** Records whose value of this field changes; undefined when it cannot be known offline. */
  records: number | undefined;
  /** `exact`: counted from the data; `at-most`: every linked record, values need PeopleSoft. */
  precision: 'exact' | 'at-most' | 'unknown';
  samples: ImpactSample[];
}

export interface MappingImpact {
  mapping: string;
  change: MappingDiff['change'];
  module: string;
  fields: FieldImpact[];
  settings: SettingDiff[];
  /** Records whose Zoho record would look different under head than under base. */
  recordsTouched: number | undefined;
  /** Records considered (source records online, linked records offline). */
  recordsSeen: number;
  /** Short sentences for people: what the change means for Zoho. */
  notes: string[];
}

export interface ImpactOptions {
  /** How many before → after rows to keep per field. */
  samples?: number;
  resolveLookup?: LookupResolver;
}

const noLookup: LookupResolver = () => undefined;

function desiredValues(mapping: Mapping, record: SourceRecord, resolveLookup: LookupResolver): Record<string, FieldValue> | undefined {
  const out = mapRecord(mapping, record, { resolveLookup });
  return out.kind === 'desired' ? out.record.values : undefined;
}

/**
 * Online impact of one mapping, fed source records a page at a time: each record is mapped with
 * the base and with the head mapping, and per changed field the records whose value differs are
 * counted (a few kept as samples, their keys for the caller to fetch Zoho's current values).
 * Pure; memory is counters and samples.
 */
export class ImpactTally {
  private readonly fields: FieldImpact[];
  private touched = 0;
  private seen = 0;

  constructor(private readonly d: MappingDiff, private readonly base: Mapping | undefined, private readonly head: Mapping | undefined, private readonly o: ImpactOptions = {}) {
    this.fields = d.fields.map((f) => ({ ...f, records: 0, precision: 'exact', samples: [] }));
  }

  add(records: Iterable<SourceRecord>): void {
    if (this.d.change === 'unchanged') return;
    const max = this.o.samples ?? 3;
    const resolve = this.o.resolveLookup ?? noLookup;
    for (const rec of records) {
      const before = this.base ? desiredValues(this.base, rec, resolve) : undefined;
      const after = this.head ? desiredValues(this.head, rec, resolve) : undefined;
      // Records of this mapping: in the base's or the head's scope (a source shared with a sibling
      // mapping, e.g. employees and contractors, also yields the sibling's records).
      if (before === undefined && after === undefined) continue;
      this.seen += 1;
      let differs = false;
      for (const f of this.fields) {
        const x = before?.[f.field];
        const y = after?.[f.field];
        if (!sameValue(x, y)) {
          f.records = (f.records ?? 0) + 1;
          if (f.samples.length < max) f.samples.push({ key: rec.key, before: x, after: f.kind === 'removed' ? undefined : y });
          differs = true;
        }
      }
      // Settings (lifecycle `set`, `deactivate.set`, scope) show as values outside the field list.
      if (!differs && before !== undefined && after !== undefined) {
        const names = new Set([...Object.keys(before), ...Object.keys(after)]);
        differs = [...names].some((n) => !sameValue(before[n], after[n]));
      } else if (!differs) differs = true; // enters or leaves the scope
      if (differs) this.touched++;
    }
  }

  result(): MappingImpact {
    const d = this.d;
    const impact: MappingImpact = { mapping: d.mapping, change: d.change, module: d.module, settings: d.settings, fields: d.change === 'unchanged' ? [] : this.fields, recordsTouched: this.touched, recordsSeen: this.seen, notes: [] };
    if (d.change === 'added') impact.notes.push(`New mapping: ${this.touched} source record${this.touched === 1 ? '' : 's'} in scope would be created or linked in ${d.module}.`);
    if (d.change === 'removed') impact.notes.push(`Mapping removed: its ${d.module} records stay in Zoho as they are and are no longer managed.`);
    if (impact.fields.some((f) => f.kind === 'removed')) impact.notes.push('Fields that are no longer managed keep their current value in Zoho; nothing is cleared.');
    return impact;
  }
}

/** Online impact over records in memory (tests, small sets): one ImpactTally per mapping. */
export function measureImpact(diffs: readonly MappingDiff[], base: ReadonlyMap<string, Mapping>, head: ReadonlyMap<string, Mapping>, records: (mapping: string) => Iterable<SourceRecord> | undefined, options: ImpactOptions = {}): MappingImpact[] {
  return diffs.map((d) => {
    const tally = new ImpactTally(d, base.get(d.mapping), head.get(d.mapping), options);
    tally.add(records(d.mapping) ?? []);
    return tally.result();
  });
}

/** What the state remembers of one linked Zoho record: the managed values last seen or applied. */
export interface StoredRecord {
  externalId: string;
  values: Record<string, unknown>;
}

/** What the offline comparison reads from the state store (structurally the StateStore): pages of links, snapshots by key. */
export interface StoredState {
  scanLinks(mapping: string, pageSize?: number): AsyncIterable<ReadonlyArray<{ externalId: string; appliedValues: Record<string, unknown> }>>;
  getSnapshotsByKeys(mapping: string, keys: readonly string[]): Promise<ReadonlyMap<string, { values: Record<string, unknown> }>>;
}

/** Linked records with their newest known Zoho values (the snapshot when there is one, else what was applied), a page at a time. */
export async function* storedPages(state: StoredState, mapping: string): AsyncGenerator<StoredRecord[]> {
  for await (const links of state.scanLinks(mapping, 2000)) {
    const snaps = await state.getSnapshotsByKeys(mapping, links.map((l) => l.externalId));
    yield links.map((l) => ({ externalId: l.externalId, values: { ...l.appliedValues, ...(snaps.get(l.externalId)?.values ?? {}) } }));
  }
}


/** Counts of one managed field over the stored records: nothing but counts of values the configuration names. */
export interface FieldStats {
  nonEmpty: number;
  /** Records per value, by `valueKey`, for the values the configuration names (constants, value tables, `set` values) and `∅` (empty). */
  counts: Record<string, number>;
}

/**
 * What the offline estimate needs of a mapping's stored records. Holds no record keys and no
 * values but those the configuration itself names, so it may be published where the state
 * database may not (pull requests from forks read it; see docs/github-actions.md).
 */
export interface MappingStats {
  records: number;
  /** The values counted (by `valueKey`): one not in `counts` is held by no record. */
  named: string[];
  fields: Record<string, FieldStats>;
  /** A few records per field for the before → after rows (only when made from the state database here, never published). */
  samples?: Record<string, ImpactSample[]>;
}

/** The values a set of mappings names (constants, value tables, `set` values), by `valueKey`: the only values stats count. */
export function namedValues(mappings: Iterable<Mapping>): Set<string> {
  const out = new Set<string>([valueKey(null)]);
  const add = (v: unknown): void => { out.add(valueKey(v as FieldValue)); };
  for (const m of mappings) {
    for (const f of m.fields) {
      if (f.value !== undefined) add(f.value);
      if (f.map) {
        for (const v of Object.values(f.map.values)) add(v);
        if (f.map.default !== undefined) add(f.map.default);
      }
    }
    for (const v of Object.values(m.deactivate?.set ?? {})) add(v);
    for (const p of Object.values(m.lifecycle ?? {})) for (const v of Object.values(p?.set ?? {})) add(v);
  }
  return out;
}

/** A field the head mapping gives one constant value, whatever the record: that value. */
function constantOf(f: Field | undefined): FieldValue | undefined {
  return f?.value !== undefined && f.when === undefined && (f.transforms ?? []).length === 0 ? (f.value as FieldValue) : undefined;
}

/** A value table change alone: stored value → the new value, for stored values the old table gave one code alone. */
function remappedValues(f: FieldDiff, b: Field | undefined, h: Field | undefined): Map<string, FieldValue> | undefined {
  if (!(f.kind === 'changed' && f.parts?.length === 1 && f.parts[0] === 'map values' && b?.map && h?.map)) return undefined;
  const byValue = new Map<string, string[]>();
  for (const [code, v] of Object.entries(b.map.values)) byValue.set(valueKey(v as FieldValue), [...(byValue.get(valueKey(v as FieldValue)) ?? []), code]);
  const out = new Map<string, FieldValue>();
  for (const [key, codes] of byValue) {
    const after = codes.length === 1 ? h.map.values[codes[0]!] : undefined;
    if (after !== undefined && valueKey(after as FieldValue) !== key) out.set(key, after as FieldValue);
  }
  return out;
}

/**
 * Stats of stored records, streamed (pages from the state database), with a few sample records
 * per changed field when `diffs` are given. Memory: counts and samples, never the records.
 */
export async function collectStats(pages: AsyncIterable<readonly StoredRecord[]> | Iterable<readonly StoredRecord[]>, fields: readonly string[], named: ReadonlySet<string>, sampling?: { diff: MappingDiff; base: Mapping | undefined; head: Mapping | undefined; max: number }): Promise<MappingStats> {
  const stats: MappingStats = { records: 0, named: [...named], fields: {} };
  for (const f of fields) stats.fields[f] = { nonEmpty: 0, counts: {} };
  const pickers = (sampling?.diff.fields ?? []).map((d) => {
    const b = sampling!.base?.fields.find((x) => x.to === d.field);
    const h = sampling!.head?.fields.find((x) => x.to === d.field);
    const constant = constantOf(h);
    const remapped = remappedValues(d, b, h);
    const list: ImpactSample[] = [];
    const take = (r: StoredRecord): void => {
      if (list.length >= sampling!.max) return;
      const raw = r.values[d.field];
      const before = raw === undefined ? undefined : fromZohoValue(raw);
      if (d.kind === 'removed') {
        if (!isEmpty(before)) list.push({ key: r.externalId, before, after: undefined });
      } else if (constant !== undefined) {
        if (!sameValue(before, constant)) list.push({ key: r.externalId, before, after: constant });
      } else if (remapped) {
        const after = remapped.get(valueKey(before));
        if (after !== undefined) list.push({ key: r.externalId, before, after });
      } else list.push({ key: r.externalId, before, after: undefined });
    };
    return { field: d.field, list, take };
  });
  for await (const page of pages) {
    for (const r of page) {
      stats.records += 1;
      for (const f of fields) {
        const v = fromZohoValue(r.values[f]);
        const st = stats.fields[f]!;
        if (!isEmpty(v)) st.nonEmpty += 1;
        const key = valueKey(v);
        if (named.has(key)) st.counts[key] = (st.counts[key] ?? 0) + 1;
      }
      for (const p of pickers) p.take(r);
    }
  }
  if (pickers.length > 0) stats.samples = Object.fromEntries(pickers.map((p) => [p.field, p.list]));
  return stats;
}

/**
 * Offline impact, from stats of the state database only (no PeopleSoft, no Zoho: pull requests
 * from forks get no secrets). Exact where counts of stored values are enough (a field no longer
 * managed, a changed value table, a new constant), an upper bound ("at most N") otherwise.
 */
export function estimateImpactOffline(diffs: readonly MappingDiff[], base: ReadonlyMap<string, Mapping>, head: ReadonlyMap<string, Mapping>, stats: (mapping: string) => MappingStats | undefined): MappingImpact[] {
  return diffs.map((d) => {
    const st = stats(d.mapping);
    const total = st?.records ?? 0;
    const impact: MappingImpact = { mapping: d.mapping, change: d.change, module: d.module, settings: d.settings, fields: [], recordsTouched: undefined, recordsSeen: total, notes: [] };
    if (d.change === 'unchanged') {
      impact.recordsTouched = 0;
      return impact;
    }
    if (d.change === 'added') {
      impact.fields = d.fields.map((f) => ({ ...f, records: undefined, precision: 'unknown', samples: [] }));
      impact.notes.push('New mapping: the records it would create need PeopleSoft (run the plan with credentials).');
      return impact;
    }
    if (!st || (total === 0 && d.change === 'changed')) {
      // No apply yet, or no state here: list the change, count nothing.
      impact.fields = d.fields.map((f) => ({ ...f, records: undefined, precision: 'unknown', samples: [] }));
      impact.notes.push('There are no stored records of this mapping here (no apply yet, or no state in this run): the change is listed without counts.');
      return impact;
    }
    const b = base.get(d.mapping);
    const h = head.get(d.mapping);
    let unknown = false;
    impact.fields = d.fields.map((f): FieldImpact => {
      // A field the stats do not track was not managed when they were made: no stored record holds a value for it.
      const fs = st.fields[f.field] ?? { nonEmpty: 0, counts: { [valueKey(null)]: total } };
      const samples = st.samples?.[f.field] ?? [];
      const exact = (records: number): FieldImpact => ({ ...f, records, precision: 'exact', samples });
      if (f.kind === 'removed') return exact(fs.nonEmpty); // no longer managed: the records holding a value, which Zoho keeps
      const constant = constantOf(h?.fields.find((x) => x.to === f.field));
      if (constant !== undefined && isEmpty(constant)) return exact(fs.nonEmpty);
      if (constant !== undefined && (st.named.includes(valueKey(constant)) || st.fields[f.field] === undefined)) return exact(total - (fs.counts[valueKey(constant)] ?? 0));
      const remapped = remappedValues(f, b?.fields.find((x) => x.to === f.field), h?.fields.find((x) => x.to === f.field));
      if (remapped) {
        let n = 0;
        for (const key of remapped.keys()) n += fs.counts[key] ?? 0;
        return exact(n);
      }
      // The new value needs the source record (or a value the stats do not count): every stored record may change.
      unknown = true;
      return { ...f, records: total, precision: 'at-most', samples: samples.map((x) => ({ ...x, after: undefined })) };
    });
    if (d.settings.length > 0) unknown = true;
    const counted = impact.fields.filter((f) => f.kind !== 'removed');
    if (!unknown && d.change === 'changed') impact.recordsTouched = counted.length <= 1 ? (counted[0]?.records ?? 0) : undefined;
    if (d.change === 'removed') impact.notes.push(`Mapping removed: its ${total} linked ${d.module} record${total === 1 ? '' : 's'} stay in Zoho as they are and are no longer managed.`);
    if (unknown && d.change === 'changed') impact.notes.push(`Offline estimate from the state database (${total} linked records); counts marked "at most" need PeopleSoft to be exact.`);
    return impact;
  });
}
