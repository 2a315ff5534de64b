/**
 * Planning one mapping, a page at a time: Zoho read (full listing or changes) while the first
 * PeopleSoft pages arrive, then per page the links and Zoho records of its keys, lookups, the
 * planner; then the records only Zoho has (drift, or absence after a complete read). The
 * planner decides; this file only fetches what it needs, by key.
 */
import type { Mapping } from '../config/types.generated.js';
import { externalIdSource, managedFields } from '../mapping/index.js';
import { formatCursor, parseCursor, personalFieldsOfMapping, MappingPlanner, indexCandidates, type CandidateIndex, type LinkedRecord, type MappingSummary, type MatchRule, type ObservedRecord, type PlanSink } from '../plan/index.js';
import type { Link, Snapshot } from '../state/index.js';
import type { Scratch } from '../state/scratch.js';
import { MlError } from '../support/errors.js';
import { checkMappingAgainstFields, estimateCredits, type ZohoField } from '../zoho/index.js';
import type { LookupIndex } from './lookups.js';
import { chooseMode } from './mode.js';
import { openSource, type SourcePageRead } from './source.js';
import type { Session } from './session.js';
import { listModule, readChanges, readUnlinked, toObserved } from './zoho-side.js';

export interface PlanMappingOptions {
  full: boolean;
  now: number;
  sink: PlanSink & { flush?(): Promise<void> };
  scratch: Scratch;
  lookups: LookupIndex;
  matchRules: readonly MatchRule[];
  signal?: AbortSignal;
}

/** Pages read ahead while Zoho is read: bounded, so memory holds a few pages, never the org. */
const READ_AHEAD = 20;

/**
 * Start consuming `source` now, up to `depth` items ahead of the consumer: PeopleSoft pages are
 * read while Zoho is. `cancel` stops it (the consumer failed before reading).
 */
export function readAhead<T>(source: AsyncGenerator<T>, depth: number): { items: AsyncGenerator<T>; cancel(): Promise<void> } {
  const buffer: T[] = [];
  let done = false;
  let cancelled = false;
  let error: unknown;
  let wake: (() => void) | undefined;
  let room: (() => void) | undefined;
  const pump = (async () => {
    try {
      for await (const item of source) {
        buffer.push(item);
        wake?.();
        while (buffer.length >= depth && !cancelled) await new Promise<void>((r) => { room = r; });
        if (cancelled) break;
      }
    } catch (err) {
      error = err;
    } finally {
      done = true;
      wake?.();
    }
  })();
  const cancel = async (): Promise<void> => {
    cancelled = true;
    room?.();
    await pump.catch(() => undefined);
  };
  async function* items(): AsyncGenerator<T> {
    try {
      for (;;) {
        if (buffer.length > 0) {
          const item = buffer.shift()!;
          room?.();
          room = undefined;
          yield item;
          continue;
        }
        if (done) break;
        await new Promise<void>((r) => { wake = r; });
        wake = undefined;
      }
      if (error !== undefined) throw error;
    } finally {
      await cancel();
    }
  }
  return { items: items(), cancel };
}

/**
 * Which Zoho fields of this mapping are personal data (masked in plans): as the mapping declares
 * (`personal: true|false` per field), otherwise by the Zoho field's data type (email, phone) or as
 * one of Zoho's standard name, address and date-of-birth fields (src/plan/mask.ts).
 */
export function personalFieldsOf(mapping: Mapping, fields: readonly ZohoField[]): string[] {
  return personalFieldsOfMapping(mapping, fields);
}

export async function planMapping(session: Session, mapping: Mapping, o: PlanMappingOptions): Promise<MappingSummary> {
  const { store, config } = session;
  const wm = await store.getWatermark(mapping.name);
  const { mode, reason, mappingChanged } = chooseMode(config, mapping, wm, o.full, o.now);
  const zoho = await session.zoho(mapping.target.connection);
  const module = mapping.target.module;
  const managed = managedFields(mapping);
  const extField = mapping.externalId.field;
  const idField = externalIdSource(mapping);

  // Field metadata: one call; a mapping that cannot work with this org stops here, before any read.
  const fields = await zoho.getFields(module);
  const issues = checkMappingAgainstFields(mapping, fields, (path) => config.locate('Mapping', mapping.name, path));
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length > 0) {
    throw new MlError('PLAN_MAPPING_UNUSABLE', `Mapping ${mapping.name} does not fit Zoho ${module}: ${errors.map((e) => e.message).join('; ')}`, {
      meta: { mapping: mapping.name, issues: errors.map((e) => ({ code: e.code, field: e.field ?? null })) },
      hint: 'Fix the mapping (or the Zoho fields); `ml-connector check` lists every issue.',
    });
  }
  const fieldLengths: Record<string, number> = {};
  for (const f of fields) if (f.length !== undefined && managed.includes(f.apiName)) fieldLengths[f.apiName] = f.length;
  const sharedModule = [...config.mappings.values()].some((m) => m.name !== mapping.name && m.target.connection === mapping.target.connection && m.target.module === module && m.externalId.field === extField);
  const options = mapping.options as ({ createInactive?: boolean } & NonNullable<Mapping['options']>) | undefined;
  const planner = new MappingPlanner({
    mapping, mappingDigest: config.mappingDigest(mapping.name), mode, reason, mappingChanged, sink: o.sink,
    fieldLengths, matchRules: o.matchRules, sharedModule, createInactive: options?.createInactive === true,
    personalFields: personalFieldsOf(mapping, fields),
    estimateCredits: (kind, n) => estimateCredits(kind === 'read' ? 'list' : kind, n),
  });
  for (const i of issues) planner.report({ mapping: mapping.name, key: '*', code: i.code, message: i.message, severity: 'warning', ...(i.field ? { field: i.field } : {}) });

  const previous = parseCursor(wm?.cursor);
  const source = openSource(session, mapping, { mode, previousCursor: previous.source, now: o.now, lastApplied: wm?.updatedAt });
  const pages = readAhead(source.pages(o.signal), READ_AHEAD);
  const wantCandidates = o.matchRules.length > 0;
  // Zoho is read while the first PeopleSoft pages arrive.
  let zohoRead: Awaited<ReturnType<typeof listModule>>;
  try {
    zohoRead = mode === 'full'
      ? await listModule(zoho, o.scratch, mapping, managed, wantCandidates, o.signal)
      : await readChanges(session, zoho, o.scratch, mapping, managed, previous.zoho, o.signal);
  } catch (err) {
    await pages.cancel();
    throw err;
  }
  for (const p of zohoRead.problems) planner.report(p);
  if (zohoRead.candidates) planner.setCandidates(indexCandidates(o.matchRules, zohoRead.candidates));

  /** The page's Zoho records; in incremental mode also which of them changed in Zoho since the last run. */
  const observedFor = async (keys: string[], links: ReadonlyMap<string, Link>): Promise<{ observed: Map<string, ObservedRecord>; changed?: Set<string> }> => {
    const listed = await o.scratch.getZoho(mapping.name, keys);
    const out = new Map<string, ObservedRecord>();
    for (const [k, r] of listed) out.set(k, { id: r.zohoId, ...(r.modifiedTime !== undefined ? { modifiedTime: r.modifiedTime } : {}), values: r.values as ObservedRecord['values'] });
    if (mode === 'full') return { observed: out };
    // Incremental: what Zoho held after the last apply (snapshot, or what the last apply wrote), under Zoho's changes.
    const missing = keys.filter((k) => !out.has(k) && links.has(k));
    const snapshots: Map<string, Snapshot> = missing.length > 0 ? await store.getSnapshotsByKeys(mapping.name, missing) : new Map();
    for (const k of missing) out.set(k, fromLink(links.get(k)!, snapshots.get(k)));
    return { observed: out, changed: new Set(listed.keys()) };
  };

  const candidatesOnce = async (): Promise<void> => {
    if (planner.hasCandidates() || !wantCandidates) return;
    planner.setCandidates(indexCandidates(o.matchRules, await readUnlinked(zoho, mapping, managed, o.signal)) as CandidateIndex);
  };

  const planPage = async (page: SourcePageRead): Promise<void> => {
    const keys = page.records.map((r) => String(r.fields[idField] ?? r.key));
    const links = await store.getLinksByKeys(mapping.name, keys);
    const { observed, changed } = await observedFor(keys, links);
    if (mode === 'incremental' && keys.some((k) => !links.has(k) && !observed.has(k))) await candidatesOnce();
    planner.planPage({
      records: page.records, problems: page.problems, links: linkedRecords(links), observed,
      ...(changed ? { changedInZoho: changed } : {}),
      ...(source.recent ? { recent: source.recent } : {}),
      newEvent: source.newEvent,
      ...(page.storedHashes ? { storedHashes: page.storedHashes } : {}),
      resolveLookup: await o.lookups.forPage(mapping, page.records),
    });
    await o.sink.flush?.();
  };
  for await (const page of pages.items) await planPage(page);

  // Records only Zoho brought: changed there (incremental), or absent from a complete read (full).
  for await (const batch of o.scratch.scanZoho(mapping.name)) {
    const rest = batch.filter((r) => !planner.hasSeen(r.externalId));
    if (rest.length === 0) continue;
    const links = await store.getLinksByKeys(mapping.name, rest.map((r) => r.externalId));
    for (const r of rest) {
      const observed: ObservedRecord = { id: r.zohoId, ...(r.modifiedTime !== undefined ? { modifiedTime: r.modifiedTime } : {}), values: r.values as ObservedRecord['values'] };
      const link = links.get(r.externalId);
      if (mode === 'full') planner.planAbsent(r.externalId, observed, link ? linkedRecord(link) : undefined);
      else if (link) planner.planDrift(r.externalId, observed, linkedRecord(link));
    }
    await o.sink.flush?.();
  }

  const facts = source.facts();
  const zohoCursor = zohoRead.cursor ?? previous.zoho;
  const summary = planner.finish({
    known: mode === 'full' ? zohoRead.kept : await store.countLinks(mapping.name),
    sourceComplete: facts.complete,
    sourceRows: facts.rowCount,
    ...(wm?.sourceRowCount !== undefined ? { lastFullRowCount: wm.sourceRowCount } : {}),
    watermark: {
      cursor: formatCursor({ ...(facts.cursor !== undefined ? { source: facts.cursor } : {}), ...(zohoCursor !== undefined ? { zoho: zohoCursor } : {}) }),
      full: mode === 'full',
      ...(facts.complete ? { sourceRowCount: facts.rowCount } : wm?.sourceRowCount !== undefined ? { sourceRowCount: wm.sourceRowCount } : {}),
    },
  });
  await o.sink.flush?.();
  return summary;
}

function linkedRecord(l: Link): LinkedRecord {
  return { zohoId: l.zohoId, appliedValues: l.appliedValues, ...(l.zohoModifiedTime !== undefined ? { zohoModifiedTime: l.zohoModifiedTime } : {}) };
}

function linkedRecords(links: ReadonlyMap<string, Link>): Map<string, LinkedRecord> {
  const out = new Map<string, LinkedRecord>();
  for (const [k, l] of links) out.set(k, linkedRecord(l));
  return out;
}

/** The newer of snapshot and link: apply writes a snapshot only when it differs from the link. */
function fromLink(link: Link, snap: Snapshot | undefined): ObservedRecord {
  const useSnap = snap && (link.zohoModifiedTime === undefined || Date.parse(snap.modifiedTime) >= Date.parse(link.zohoModifiedTime));
  return {
    id: link.zohoId,
    ...(useSnap ? { modifiedTime: snap.modifiedTime } : link.zohoModifiedTime !== undefined ? { modifiedTime: link.zohoModifiedTime } : {}),
    values: (useSnap ? snap.values : link.appliedValues) as ObservedRecord['values'],
  };
}

export { toObserved };
