import { resolve } from 'node:path';
import type { Config } from '../config/index.js';
import type { Mapping } from '../config/types.generated.js';
import { managedFields, sourceFieldsUsed, type FieldValue, type LookupResolver } from '../mapping/index.js';
import type { SourceRecord } from '../model/index.js';
import { maskPlanValue, type PlanValue } from '../plan/index.js';
import { loadConfigAtRef } from './at-ref.js';
import { compareMappings, type MappingDiff } from './compare.js';
import { collectStats, estimateImpactOffline, ImpactTally, namedValues, storedPages, type MappingImpact, type MappingStats, type StoredRecord, type StoredState } from './impact.js';
import type { OfflineStats } from './offline-stats.js';
import type { BaseComparison } from './render.js';
import { gitStamp } from './stamp.js';

export interface BaseComparisonOptions {
  /** The configuration directory (working tree) and its loaded configuration. */
  configDir: string;
  head: Config;
  /** Git revision to compare with, e.g. `origin/main`. */
  baseRef: string;
  /** `online` reads PeopleSoft through `readSource` (and Zoho through `zohoValues`); `offline` uses `state` or `stats` only. */
  mode: 'online' | 'offline';
  /** Online: a mapping's source records, a page at a time, carrying (at least) the source fields in `fields`. */
  readSource?: (mapping: Mapping, fields: readonly string[]) => AsyncIterable<readonly SourceRecord[]>;
  /** Online: what Zoho holds now for some records (by external id): the before column of the samples. */
  zohoValues?: (mapping: Mapping, externalIds: readonly string[], fields: readonly string[]) => Promise<ReadonlyMap<string, Record<string, FieldValue>>>;
  resolveLookup?: LookupResolver;
  state?: StoredState;
  /** Offline: stats published by apply (docs/github-actions.md, pull requests from forks) instead of a state database. */
  stats?: OfflineStats;
  /** Mask the sample values of each mapping's personal fields with this digest key. */
  mask?: { personal: (mapping: Mapping) => ReadonlySet<string>; key: string };
  samples?: number;
}

/**
 * `plan --base REF`: load the configuration at REF, compare its mappings with the working
 * tree's, and count what each change does to the records, online from PeopleSoft (before values
 * from Zoho) or offline from the state database. Reads only; streams the records.
 */
export async function planBaseComparison(o: BaseComparisonOptions): Promise<BaseComparison> {
  const stamp = await gitStamp(o.configDir);
  const at = await loadConfigAtRef(stamp.repoDir ?? o.configDir, o.baseRef, resolve(o.configDir));
  try {
    const base = at.config?.mappings ?? new Map<string, Mapping>();
    const head = o.head.mappings;
    const diffs = compareMappings({ mappings: base }, { mappings: head });
    const mappings = o.mode === 'online' ? await measureOnline(o, diffs, base, head) : await measureOffline(o, diffs, base, head);
    if (o.mask) for (const m of mappings) maskSamples(m, head.get(m.mapping) ?? base.get(m.mapping), o.mask);
    return { baseRef: o.baseRef, baseCommit: at.commit, headCommit: stamp.commit, headDirty: stamp.dirty, mode: o.mode, mappings };
  } finally {
    await at.dispose();
  }
}

async function measureOnline(o: BaseComparisonOptions, diffs: readonly MappingDiff[], base: ReadonlyMap<string, Mapping>, head: ReadonlyMap<string, Mapping>): Promise<MappingImpact[]> {
  if (!o.readSource) throw new Error('planBaseComparison: online mode needs readSource');
  const out: MappingImpact[] = [];
  for (const d of diffs) {
    const b = base.get(d.mapping);
    const h = head.get(d.mapping);
    const tally = new ImpactTally(d, b, h, { samples: o.samples ?? 3, ...(o.resolveLookup ? { resolveLookup: o.resolveLookup } : {}) });
    if (d.change !== 'unchanged' && d.change !== 'removed' && h !== undefined) {
      // Both mappings' source fields: the base value of a re-mapped field needs the field it came from.
      const fields = [...new Set([...sourceFieldsUsed(h), ...(b ? sourceFieldsUsed(b) : [])])];
      for await (const page of o.readSource(h, fields)) tally.add(page);
    }
    const impact = tally.result();
    if (o.zohoValues && h && impact.fields.length > 0) await withZohoBefore(impact, h, o.zohoValues);
    out.push(impact);
  }
  return out;
}

/** The samples' before values as Zoho holds them now (what the reviewer compares with), not as the base mapping would make them. */
async function withZohoBefore(impact: MappingImpact, mapping: Mapping, zohoValues: NonNullable<BaseComparisonOptions['zohoValues']>): Promise<void> {
  const keys = [...new Set(impact.fields.flatMap((f) => f.samples.map((s) => s.key)))];
  if (keys.length === 0) return;
  const fields = [...new Set(impact.fields.map((f) => f.field))];
  const current = await zohoValues(mapping, keys, fields);
  for (const f of impact.fields) {
    f.samples = f.samples.map((s) => {
      const values = current.get(s.key);
      return values ? { ...s, before: values[f.field] ?? null } : { key: s.key, before: undefined, after: s.after, notInZoho: true };
    });
  }
}

async function measureOffline(o: BaseComparisonOptions, diffs: readonly MappingDiff[], base: ReadonlyMap<string, Mapping>, head: ReadonlyMap<string, Mapping>): Promise<MappingImpact[]> {
  const stats = new Map<string, MappingStats>();
  const named = namedValues([...base.values(), ...head.values()]);
  for (const d of diffs) {
    if (d.change === 'unchanged') continue;
    if (o.stats) {
      const st = o.stats.mappings[d.mapping];
      if (st) stats.set(d.mapping, st);
      continue;
    }
    if (!o.state) continue;
    const m = head.get(d.mapping) ?? base.get(d.mapping)!;
    const fields = [...new Set([...managedFields(m), ...d.fields.map((f) => f.field)])];
    stats.set(d.mapping, await collectStats(storedPages(o.state, d.mapping), fields, named, { diff: d, base: base.get(d.mapping), head: head.get(d.mapping), max: o.samples ?? 3 }));
  }
  return estimateImpactOffline(diffs, base, head, (name) => stats.get(name));
}

function maskSamples(m: MappingImpact, mapping: Mapping | undefined, mask: NonNullable<BaseComparisonOptions['mask']>): void {
  const personal = mapping ? mask.personal(mapping) : new Set<string>();
  const hide = (field: string, v: PlanValue | undefined): PlanValue | undefined => (v === undefined || !personal.has(field) ? v : maskPlanValue(mask.key, v));
  for (const f of m.fields) f.samples = f.samples.map((s) => ({ ...s, before: hide(f.field, s.before), after: hide(f.field, s.after) }));
}
