import type { Mapping } from '../config/types.generated.js';
import { mapRecord, sameValue, isEmpty, fromZohoValue, type FieldValue, type LookupResolver } from '../mapping/index.js';
import type { SourceRecord } from '../model/index.js';
import type { FieldDiff, MappingDiff, SettingDiff } from './compare.js';

/** One record that a change touches: the value before and after (masked when asked). */
export interface ImpactSample {
  key: string;
  before: FieldValue | undefined;
  after: FieldValue | undefined;
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
  /** Mask personal data in samples (plans in pull requests always mask). */
  mask?: (field: string, value: FieldValue) => FieldValue;
  resolveLookup?: LookupResolver;
}

const noLookup: LookupResolver = () => undefined;

function desiredValues(mapping: Mapping, record: SourceRecord, resolveLookup: LookupResolver): Record<string, FieldValue> | undefined {
  const out = mapRecord(mapping, record, { resolveLookup });
  return out.kind === 'desired' ? out.record.values : undefined;
}

function pushSample(list: ImpactSample[], max: number, key: string, field: string, before: FieldValue | undefined, after: FieldValue | undefined, mask: ImpactOptions['mask']): void {
  if (list.length >= max) return;
  const m = (v: FieldValue | undefined): FieldValue | undefined => (v === undefined || !mask ? v : mask(field, v));
  list.push({ key, before: m(before), after: m(after) });
}

/**
 * Online impact: map every source record with the base and with the head mapping and count,
 * per changed field, the records whose value differs. Pure: the caller read the records.
 */
export function measureImpact(diffs: readonly MappingDiff[], base: ReadonlyMap<string, Mapping>, head: ReadonlyMap<string, Mapping>, records: (mapping: string) => readonly SourceRecord[] | undefined, options: ImpactOptions = {}): MappingImpact[] {
  const max = options.samples ?? 3;
  const resolve = options.resolveLookup ?? noLookup;
  return diffs.map((d) => {
    const rows = records(d.mapping) ?? [];
    const impact: MappingImpact = { mapping: d.mapping, change: d.change, module: d.module, settings: d.settings, fields: [], recordsTouched: 0, recordsSeen: rows.length, notes: [] };
    if (d.change === 'unchanged') return impact;
    const b = base.get(d.mapping);
    const h = head.get(d.mapping);
    const fields: FieldImpact[] = d.fields.map((f) => ({ ...f, records: 0, precision: 'exact', samples: [] }));
    let touched = 0;
    // Records of this mapping: in the base's or the head's scope (a source shared with a sibling
    // mapping, e.g. employees and contractors, also yields the sibling's records).
    let seen = 0;
    for (const rec of rows) {
      const before = b ? desiredValues(b, rec, resolve) : undefined;
      const after = h ? desiredValues(h, rec, resolve) : undefined;
      if (before === undefined && after === undefined) continue;
      seen++;
      let differs = false;
      for (const f of fields) {
        const x = before?.[f.field];
        const y = after?.[f.field];
        if (!sameValue(x, y)) {
          f.records = (f.records ?? 0) + 1;
          pushSample(f.samples, max, rec.key, f.field, x, y, options.mask);
          differs = true;
        }
      }
      // Settings (lifecycle `set`, `deactivate.set`, scope) show as values outside the field list.
      if (!differs && before !== undefined && after !== undefined) {
        const names = new Set([...Object.keys(before), ...Object.keys(after)]);
        differs = [...names].some((n) => !sameValue(before[n], after[n]));
      } else if (!differs) differs = true; // enters or leaves the scope
      if (differs) touched++;
    }
    impact.fields = fields;
    impact.recordsTouched = touched;
    impact.recordsSeen = seen;
    if (d.change === 'added') impact.notes.push(`New mapping: ${touched} source record${touched === 1 ? '' : 's'} in scope would be created or linked in ${d.module}.`);
    if (d.change === 'removed') impact.notes.push(`Mapping removed: its ${d.module} records stay in Zoho as they are and are no longer managed.`);
    for (const f of fields) {
      if (f.kind === 'removed') f.samples = f.samples.map((s) => ({ ...s, after: undefined }));
    }
    if (fields.some((f) => f.kind === 'removed')) impact.notes.push('Fields that are no longer managed keep their current value in Zoho; nothing is cleared.');
    return impact;
  });
}

/** What the state remembers of one linked Zoho record: the managed values last seen or applied. */
export interface StoredRecord {
  externalId: string;
  values: Record<string, unknown>;
}

/**
 * Offline impact, from the state database only (no PeopleSoft, no Zoho: pull requests from
 * forks get no secrets). Exact where the stored Zoho values are enough (a field no longer
 * managed, a changed value table, a new constant), an upper bound ("at most N") otherwise.
 */
export function estimateImpactOffline(diffs: readonly MappingDiff[], base: ReadonlyMap<string, Mapping>, head: ReadonlyMap<string, Mapping>, stored: (mapping: string) => readonly StoredRecord[] | undefined, options: ImpactOptions = {}): MappingImpact[] {
  const max = options.samples ?? 3;
  return diffs.map((d) => {
    const rows = stored(d.mapping) ?? [];
    const impact: MappingImpact = { mapping: d.mapping, change: d.change, module: d.module, settings: d.settings, fields: [], recordsTouched: undefined, recordsSeen: rows.length, notes: [] };
    if (d.change === 'unchanged') {
      impact.recordsTouched = 0;
      return impact;
    }
    if (d.change === 'added') {
      impact.fields = d.fields.map((f) => ({ ...f, records: undefined, precision: 'unknown', samples: [] }));
      impact.notes.push('New mapping: the records it would create need PeopleSoft (run the plan with credentials).');
      return impact;
    }
    if (rows.length === 0 && d.change === 'changed') {
      // No apply yet, or no state here (a fork's pull request): list the change, count nothing.
      impact.fields = d.fields.map((f) => ({ ...f, records: undefined, precision: 'unknown', samples: [] }));
      impact.notes.push('The state database has no records of this mapping here (no apply yet, or no state in this run): the change is listed without counts.');
      return impact;
    }
    const b = base.get(d.mapping);
    const h = head.get(d.mapping);
    const touchedKeys = new Set<string>();
    let unknown = false;
    impact.fields = d.fields.map((f): FieldImpact => {
      const fi: FieldImpact = { ...f, records: 0, precision: 'exact', samples: [] };
      const headField = h?.fields.find((x) => x.to === f.field);
      const baseField = b?.fields.find((x) => x.to === f.field);
      if (f.kind === 'removed') {
        // No longer managed: counted as the records holding a value, which Zoho keeps.
        for (const r of rows) {
          const v = fromZohoValue(r.values[f.field]);
          if (!isEmpty(v)) {
            fi.records = (fi.records ?? 0) + 1;
            pushSample(fi.samples, max, r.externalId, f.field, v, undefined, options.mask);
          }
        }
        return fi;
      }
      if (headField?.value !== undefined && headField.when === undefined && (headField.transforms ?? []).length === 0) {
        const after = headField.value as FieldValue;
        for (const r of rows) {
          const before = r.values[f.field] === undefined ? undefined : fromZohoValue(r.values[f.field]);
          if (!sameValue(before, after)) {
            fi.records = (fi.records ?? 0) + 1;
            touchedKeys.add(r.externalId);
            pushSample(fi.samples, max, r.externalId, f.field, before, after, options.mask);
          }
        }
        return fi;
      }
      if (f.kind === 'changed' && f.parts?.length === 1 && f.parts[0] === 'map values' && baseField?.map && headField?.map) {
        // Invert the old table: a stored value the old table produced for one code alone maps to
        // what the new table gives that code.
        const byValue = new Map<string, string[]>();
        for (const [code, v] of Object.entries(baseField.map.values)) byValue.set(String(v), [...(byValue.get(String(v)) ?? []), code]);
        for (const r of rows) {
          const before = fromZohoValue(r.values[f.field]);
          const codes = byValue.get(String(before));
          if (!codes || codes.length !== 1) continue;
          const after = headField.map.values[codes[0]!];
          if (after !== undefined && !sameValue(before, after)) {
            fi.records = (fi.records ?? 0) + 1;
            touchedKeys.add(r.externalId);
            pushSample(fi.samples, max, r.externalId, f.field, before, after, options.mask);
          }
        }
        return fi;
      }
      // The new value needs the source record: every linked record may change.
      unknown = true;
      fi.records = rows.length;
      fi.precision = 'at-most';
      for (const r of rows.slice(0, max)) pushSample(fi.samples, max, r.externalId, f.field, r.values[f.field] === undefined ? undefined : fromZohoValue(r.values[f.field]), undefined, options.mask);
      return fi;
    });
    if (d.settings.length > 0) unknown = true;
    impact.recordsTouched = unknown || d.change !== 'changed' ? undefined : touchedKeys.size;
    if (d.change === 'removed') impact.notes.push(`Mapping removed: its ${rows.length} linked ${d.module} record${rows.length === 1 ? '' : 's'} stay in Zoho as they are and are no longer managed.`);
    if (unknown && d.change === 'changed') impact.notes.push(`Offline estimate from the state database (${rows.length} linked records); counts marked "at most" need PeopleSoft to be exact.`);
    return impact;
  });
}
