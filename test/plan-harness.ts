/**
 * The pure planner driven the way the engine drives it (src/engine/plan-mapping.ts), from inputs
 * in memory: source records, links and Zoho records by external id. For table-driven planner and
 * renderer tests; no I/O.
 */
import type { Mapping } from '../src/config/types.generated.js';
import { externalIdSource, lookupTargets, orderMappings, type LookupValue } from '../src/mapping/index.js';
import type { RecordProblem, SourceRecord } from '../src/model/index.js';
import {
  assembleHeader, indexCandidates, MappingPlanner, memoryPlan, personalFieldsOfMapping,
  type LinkedRecord, type MappingSummary, type MatchRule, type ObservedRecord, type PlanAction, type PlanEntry, type PlanHeader, type PlanView,
} from '../src/plan/index.js';

export interface FixtureMapping {
  mapping: Mapping;
  mode?: 'full' | 'incremental';
  reason?: string;
  mappingChanged?: boolean;
  records: SourceRecord[];
  problems?: RecordProblem[];
  observed?: Map<string, ObservedRecord>;
  links?: Map<string, LinkedRecord>;
  changedInZoho?: Set<string>;
  /** Source keys changed since the last apply (a full plan after an apply); absent: all. */
  changedSinceLastApply?: Set<string>;
  complete?: boolean;
  rowCount?: number;
  lastFullRowCount?: number;
  matchRules?: MatchRule[];
  /** Zoho records without an external id (adoption candidates). */
  unlinked?: ObservedRecord[];
  pairings?: Map<string, ObservedRecord>;
  createInactive?: boolean;
  storedHashes?: Map<string, string>;
}

export interface FixturePlan {
  header: PlanHeader;
  view: PlanView;
  entries: PlanEntry[];
  summary: MappingSummary;
  summaries: MappingSummary[];
  actions: PlanAction[];
  actionsOf(mapping: string): PlanAction[];
  problems: RecordProblem[];
}

export function planFixture(input: FixtureMapping | FixtureMapping[], o: { allowLargeChange?: boolean; gitCommit?: string; gitDirty?: boolean; createdAt?: string } = {}): FixturePlan {
  const list = Array.isArray(input) ? input : [input];
  const byName = new Map(list.map((f) => [f.mapping.name, f]));
  const ordered = orderMappings(list.map((f) => f.mapping));
  const entries: PlanEntry[] = [];
  const summaries: MappingSummary[] = [];
  // Lookup index of planned mappings: what the engine keeps in scratch (pending) and the links.
  const index = new Map<string, Map<string, LookupValue>>();
  for (const m of ordered) {
    const f = byName.get(m.name)!;
    const mode = f.mode ?? 'full';
    const links = f.links ?? new Map<string, LinkedRecord>();
    const observed = f.observed ?? new Map<string, ObservedRecord>();
    const mine: PlanEntry[] = [];
    const planner = new MappingPlanner({
      mapping: m, mappingDigest: 'sha256:m', mode, reason: f.reason ?? (mode === 'full' ? '--full' : 'changes since the last apply'),
      mappingChanged: f.mappingChanged ?? false, sink: { write: (e) => mine.push(e) }, matchRules: f.matchRules ?? [],
      createInactive: f.createInactive ?? false, personalFields: personalFieldsOfMapping(m),
    });
    if (f.matchRules?.length) planner.setCandidates(indexCandidates(f.matchRules, f.unlinked ?? []));
    const idField = externalIdSource(m);
    const keys = f.records.map((r) => String(r.fields[idField] ?? r.key));
    const pageObserved = new Map<string, ObservedRecord>();
    for (const k of keys) if (observed.has(k)) pageObserved.set(k, observed.get(k)!);
    planner.planPage({
      records: f.records, problems: f.problems ?? [], links, observed: pageObserved,
      ...(f.changedInZoho ? { changedInZoho: f.changedInZoho } : {}),
      ...(f.changedSinceLastApply ? { recent: (r: SourceRecord) => f.changedSinceLastApply!.has(r.key) } : {}),
      ...(f.pairings ? { pairings: f.pairings } : {}),
      ...(f.storedHashes ? { storedHashes: f.storedHashes } : {}),
      resolveLookup: (target, key) => index.get(target)?.get(key),
    });
    for (const [ext, obs] of [...observed].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const link = links.get(ext);
      if (mode === 'full') planner.planAbsent(ext, obs, link);
      else if (link && f.changedInZoho?.has(ext)) planner.planDrift(ext, obs, link);
    }
    summaries.push(planner.finish({
      known: mode === 'full' ? observed.size : links.size,
      sourceComplete: f.complete ?? mode === 'full',
      sourceRows: f.rowCount ?? f.records.length,
      ...(f.lastFullRowCount !== undefined ? { lastFullRowCount: f.lastFullRowCount } : {}),
    }));
    entries.push(...mine);
    if (list.some((x) => lookupTargets(x.mapping).includes(m.name))) {
      const idx = new Map<string, LookupValue>();
      for (const [k, l] of links) idx.set(k, { lookup: m.name, key: k, id: l.zohoId });
      for (const e of mine) {
        if (e.t === 'action' && e.action === 'delete') idx.delete(e.externalId);
        else if (e.t === 'action' || e.t === 'relink') idx.set(e.externalId, { lookup: m.name, key: e.externalId, ...(e.zohoId !== undefined ? { id: e.zohoId } : {}) });
      }
      index.set(m.name, idx);
    }
  }
  const header = assembleHeader({
    maskKey: '0123456789abcdef0123456789abcdef',
    mappings: summaries, createdAt: o.createdAt ?? '2026-01-02T00:00:00.000Z', asOf: '2026-01-02', configDigest: 'sha256:c',
    ...(o.allowLargeChange ? { allowLargeChange: true } : {}), ...(o.gitCommit ? { gitCommit: o.gitCommit } : {}), ...(o.gitDirty !== undefined ? { gitDirty: o.gitDirty } : {}),
  });
  const actions = entries.filter((e): e is PlanEntry & { t: 'action' } => e.t === 'action');
  return {
    header, view: memoryPlan(header, entries), entries, summary: summaries[0]!, summaries, actions,
    actionsOf: (name) => actions.filter((a) => a.mapping === name),
    problems: entries.filter((e): e is PlanEntry & { t: 'problem' } => e.t === 'problem'),
  };
}
