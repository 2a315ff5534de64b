import { resolve } from 'node:path';
import type { Config } from '../config/index.js';
import type { Mapping } from '../config/types.generated.js';
import type { SourceRecord } from '../model/index.js';
import type { FieldValue, LookupResolver } from '../mapping/index.js';
import { loadConfigAtRef } from './at-ref.js';
import { compareMappings } from './compare.js';
import { estimateImpactOffline, measureImpact, type StoredRecord } from './impact.js';
import type { BaseComparison } from './render.js';
import { gitStamp } from './stamp.js';

/** What the offline comparison reads from the state store (structurally the StateStore). */
export interface StoredState {
  getLinks(mapping: string): Promise<ReadonlyMap<string, { appliedValues: Record<string, unknown> }>>;
  getSnapshots(mapping: string): Promise<ReadonlyMap<string, { values: Record<string, unknown> }>>;
}

export interface BaseComparisonOptions {
  /** The configuration directory (working tree) and its loaded configuration. */
  configDir: string;
  head: Config;
  /** Git revision to compare with, e.g. `origin/main`. */
  baseRef: string;
  /** `online` reads PeopleSoft through `readSource`; `offline` uses `state` only. */
  mode: 'online' | 'offline';
  readSource?: (mapping: Mapping) => Promise<readonly SourceRecord[]>;
  resolveLookup?: LookupResolver;
  state?: StoredState;
  /** Mask personal data in the sample rows (Markdown output always should). */
  mask?: (field: string, value: FieldValue) => FieldValue;
  samples?: number;
}

/**
 * `plan --base REF`: load the configuration at REF, compare its mappings with the working
 * tree's, and count what each change does to the records, online from PeopleSoft or offline
 * from the state database. Reads only; writes nothing anywhere.
 */
export async function planBaseComparison(o: BaseComparisonOptions): Promise<BaseComparison> {
  const stamp = await gitStamp(o.configDir);
  const at = await loadConfigAtRef(stamp.repoDir ?? o.configDir, o.baseRef, resolve(o.configDir));
  try {
    const base = at.config?.mappings ?? new Map<string, Mapping>();
    const head = o.head.mappings;
    const diffs = compareMappings({ mappings: base }, { mappings: head });
    const impactOptions = { samples: o.samples ?? 3, ...(o.mask ? { mask: o.mask } : {}), ...(o.resolveLookup ? { resolveLookup: o.resolveLookup } : {}) };
    let mappings;
    if (o.mode === 'online') {
      if (!o.readSource) throw new Error('planBaseComparison: online mode needs readSource');
      const records = new Map<string, readonly SourceRecord[]>();
      for (const d of diffs) {
        const m = head.get(d.mapping);
        if (d.change === 'unchanged' || d.change === 'removed' || m === undefined) continue;
        records.set(d.mapping, await o.readSource(m));
      }
      mappings = measureImpact(diffs, base, head, (name) => records.get(name), impactOptions);
    } else {
      const stored = new Map<string, StoredRecord[]>();
      for (const d of diffs) {
        if (d.change === 'unchanged' || !o.state) continue;
        stored.set(d.mapping, await readStored(o.state, d.mapping));
      }
      mappings = estimateImpactOffline(diffs, base, head, (name) => stored.get(name), impactOptions);
    }
    return { baseRef: o.baseRef, baseCommit: at.commit, headCommit: stamp.commit, headDirty: stamp.dirty, mode: o.mode, mappings };
  } finally {
    await at.dispose();
  }
}

/** Linked records with their newest known Zoho values: the snapshot when there is one, else what was applied. */
async function readStored(state: StoredState, mapping: string): Promise<StoredRecord[]> {
  const links = await state.getLinks(mapping);
  const snaps = await state.getSnapshots(mapping);
  const out: StoredRecord[] = [];
  for (const [externalId, link] of links) {
    out.push({ externalId, values: { ...link.appliedValues, ...(snaps.get(externalId)?.values ?? {}) } });
  }
  return out.sort((a, b) => (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0));
}
