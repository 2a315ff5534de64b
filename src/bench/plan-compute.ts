/**
 * Plan compute: the pure planner alone (mapping, diff, lifecycle, guards), driven page by page
 * the way src/engine/plan-mapping.ts drives it, over records held in memory, with no I/O in the
 * measured part. The records are read once from the PeopleSoft simulator (not measured); pages of
 * 1,000 with their links, Zoho records and lookups are built before the clock starts, and the
 * plan's entries go to a sink that only counts them (the spool's JSON lines are the engine's cost).
 *
 * Two plans, both full (every record compared, as in the weekly full check):
 * - initial: no links, Zoho empty: every record a create;
 * - no-op: every record linked and in Zoho with the values the initial plan wrote: nothing to do.
 * Figures are CPU time of the main thread (steadier than wall time on a shared machine, and
 * without V8's GC helper threads, which run beside it), per 100,000 records, median of `runs` plans;
 * process CPU and wall time are given too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peopleSoftSource, type Config } from '../config/index.js';
import type { Mapping } from '../config/types.generated.js';
import { externalIdSource, lookupTargets, orderMappings, type FieldValue, type LookupValue } from '../mapping/index.js';
import type { SourceRecord } from '../model/index.js';
import { computeReadWindow, createPeopleSoftClient, readSourceRecords } from '../peoplesoft/index.js';
import { MappingPlanner, personalFieldsOfMapping, type LinkedRecord, type ObservedRecord, type PlanEntry } from '../plan/index.js';
import { SOURCE_PAGE } from '../engine/source.js';
import { estimateCredits } from '../zoho/index.js';
import { cpuMsSince, spreadOf, threadCpuMs, type Spread } from './measure.js';
import { startSims } from './sims.js';
import { loadBenchConfig } from './world.js';

export interface PlanComputeResult {
  records: number;
  /** Main-thread CPU ms per 100,000 records, over the runs (process CPU where the thread's is unknown). */
  initialCpuPer100k: Spread;
  noopCpuPer100k: Spread;
  /** Process CPU: the main thread plus V8's GC helper threads. */
  initialProcessCpuPer100k: Spread;
  noopProcessCpuPer100k: Spread;
  initialWallPer100k: Spread;
  noopWallPer100k: Spread;
  /** Entries the plans wrote (a check that they planned what they should). */
  initialActions: number;
  noopActions: number;
}

interface Page {
  records: SourceRecord[];
  links: Map<string, LinkedRecord>;
  observed: Map<string, ObservedRecord>;
}

/** Lookups by target mapping and key, as the engine's lookup index answers them. */
type Lookups = Map<string, Map<string, LookupValue>>;

const MODIFIED = '2026-01-02T03:04:05+00:00';

async function readAll(config: Config, password: string): Promise<Map<string, SourceRecord[]>> {
  const out = new Map<string, SourceRecord[]>();
  for (const m of config.mappings.values()) {
    const conn = config.peoplesoft.get(peopleSoftSource(m)!.connection)!;
    const client = createPeopleSoftClient(conn, { credentials: { password } });
    const list: SourceRecord[] = [];
    try {
      for await (const r of readSourceRecords(client, conn, peopleSoftSource(m)!.entity, computeReadWindow({ now: Date.now(), full: true }))) if ('hash' in r) list.push(r);
    } finally {
      await client.close();
    }
    out.set(m.name, list);
  }
  return out;
}

function plannerFor(mapping: Mapping, sink: (e: PlanEntry) => void): MappingPlanner {
  return new MappingPlanner({
    mapping, mappingDigest: 'sha256:bench', mode: 'full', reason: '--full', mappingChanged: false,
    sink: { write: sink }, matchRules: [], personalFields: personalFieldsOfMapping(mapping),
    estimateCredits: (kind, n) => estimateCredits(kind === 'read' ? 'list' : kind, n),
  });
}

/** Plan every mapping over its pages; returns the actions written. */
function planAll(order: Mapping[], pages: Map<string, Page[]>, observedCount: Map<string, number>, lookups: Lookups): number {
  const resolveLookup = (target: string, key: string): LookupValue | undefined => lookups.get(target)?.get(key);
  let actions = 0;
  for (const m of order) {
    const planner = plannerFor(m, (e) => { if (e.t === 'action') actions++; });
    let rows = 0;
    for (const p of pages.get(m.name)!) {
      rows += p.records.length;
      planner.planPage({ records: p.records, problems: [], links: p.links, observed: p.observed, resolveLookup });
      // The engine's absence pass asks, for every Zoho record, whether the read brought it.
      for (const k of p.observed.keys()) planner.hasSeen(k);
    }
    planner.finish({ known: observedCount.get(m.name) ?? 0, sourceComplete: true, sourceRows: rows });
  }
  return actions;
}

/** Pages of one mapping; `state` gives each record's link and Zoho record (none for the initial plan). */
function pagesOf(m: Mapping, records: SourceRecord[], state: Map<string, Record<string, FieldValue>> | undefined): Page[] {
  const idField = externalIdSource(m);
  const pages: Page[] = [];
  for (let i = 0; i < records.length; i += SOURCE_PAGE) {
    const slice = records.slice(i, i + SOURCE_PAGE);
    const page: Page = { records: slice, links: new Map(), observed: new Map() };
    for (const r of slice) {
      const ext = String(r.fields[idField] ?? r.key);
      const values = state?.get(ext);
      if (values) {
        const zohoId = `z${ext}`;
        page.links.set(ext, { zohoId, appliedValues: values, zohoModifiedTime: MODIFIED });
        page.observed.set(ext, { id: zohoId, modifiedTime: MODIFIED, values });
      }
    }
    pages.push(page);
  }
  return pages;
}

export async function benchPlanCompute(o: { employees: number; vendors: number; runs: number }): Promise<PlanComputeResult> {
  const sims = await startSims({ employees: o.employees, vendors: o.vendors });
  const dir = mkdtempSync(join(tmpdir(), 'ml-bench-plan-'));
  let byMapping: Map<string, SourceRecord[]>;
  let order: Mapping[];
  try {
    const config = await loadBenchConfig(dir, sims.info);
    byMapping = await readAll(config, sims.info.ps.password);
    order = orderMappings([...config.mappings.values()]);
  } finally {
    await sims.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const records = [...byMapping.values()].reduce((n, l) => n + l.length, 0);

  // Lookups as the engine's index answers them: records created by this plan (no id yet), or linked.
  const pending: Lookups = new Map();
  const linked: Lookups = new Map();
  const targets = new Set(order.flatMap((m) => lookupTargets(m)));
  for (const m of order) {
    if (!targets.has(m.name)) continue;
    const idField = externalIdSource(m);
    const keys = byMapping.get(m.name)!.map((r) => String(r.fields[idField] ?? r.key));
    pending.set(m.name, new Map(keys.map((key) => [key, { lookup: m.name, key }])));
    linked.set(m.name, new Map(keys.map((key) => [key, { lookup: m.name, key, id: `z${key}` }])));
  }
  const initialPages = new Map(order.map((m) => [m.name, pagesOf(m, byMapping.get(m.name)!, undefined)]));

  // What the initial plan writes is what Zoho and the links hold for the no-op plan.
  const written = new Map<string, Map<string, Record<string, FieldValue>>>();
  for (const m of order) {
    const mine = new Map<string, Record<string, FieldValue>>();
    written.set(m.name, mine);
    const planner = plannerFor(m, (e) => {
      if (e.t !== 'action') return;
      const values: Record<string, FieldValue> = {};
      for (const c of e.changes) {
        const v = c.after;
        values[c.field] = v !== null && typeof v === 'object' ? { ...v, id: `z${v.key}` } : v;
      }
      mine.set(e.externalId, values);
    });
    for (const p of initialPages.get(m.name)!) planner.planPage({ records: p.records, problems: [], links: p.links, observed: p.observed, resolveLookup: (t, key) => pending.get(t)?.get(key) });
  }
  const noopPages = new Map(order.map((m) => [m.name, pagesOf(m, byMapping.get(m.name)!, written.get(m.name))]));
  const noopObserved = new Map(order.map((m) => [m.name, written.get(m.name)!.size]));

  const per100k = (ms: number): number => Math.round((ms * 100_000) / records);
  const measure = (pages: Map<string, Page[]>, observed: Map<string, number>, lookups: Lookups): { thread: number[]; cpu: number[]; wall: number[]; actions: number } => {
    const thread: number[] = [];
    const cpu: number[] = [];
    const wall: number[] = [];
    let actions = 0;
    for (let i = 0; i < o.runs; i++) {
      const th = threadCpuMs();
      const c = process.cpuUsage();
      const t = performance.now();
      actions = planAll(order, pages, observed, lookups);
      wall.push(per100k(performance.now() - t));
      const processMs = cpuMsSince(c);
      cpu.push(per100k(processMs));
      const thEnd = threadCpuMs();
      thread.push(per100k(th !== undefined && thEnd !== undefined ? thEnd - th : processMs));
    }
    return { thread, cpu, wall, actions };
  };
  const initial = measure(initialPages, new Map(), pending);
  const noop = measure(noopPages, noopObserved, linked);
  return {
    records,
    initialCpuPer100k: spreadOf(initial.thread), noopCpuPer100k: spreadOf(noop.thread),
    initialProcessCpuPer100k: spreadOf(initial.cpu), noopProcessCpuPer100k: spreadOf(noop.cpu),
    initialWallPer100k: spreadOf(initial.wall), noopWallPer100k: spreadOf(noop.wall),
    initialActions: initial.actions, noopActions: noop.actions,
  };
}
