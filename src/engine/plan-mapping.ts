/**
 * Planning one mapping, a page at a time: Zoho read (full listing or changes) while the first
 * PeopleSoft pages arrive, then per page the links and Zoho records of its keys, lookups, the
 * planner; then the records only Zoho has (drift, or absence after a complete read). The
 * planner decides; this file only fetches what it needs, by key.
 */
import type { Mapping } from '../config/types.generated.js';
import { externalIdSource, inScope, managedFields, otherExternalIdFields, ownerOfOrphans, siblingMappings } from '../mapping/index.js';
import { sourceInclude } from '../config/index.js';
import type { SourceRecord } from '../model/index.js';
import { formatCursor, laterTime, parseCursor, personalFieldsOfMapping, MappingPlanner, indexCandidates, type CandidateIndex, type LinkedRecord, type MappingSummary, type MatchRule, type ObservedRecord, type PlanSink } from '../plan/index.js';
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
  /** Zoho records adopted by mappings planned earlier in this run (Zoho id → `mapping externalId`). */
  taken?: ReadonlyMap<string, string>;
  /** Where this mapping's adoptions are added for the mappings after it. */
  adoptedInRun?: Map<string, string>;
  signal?: AbortSignal;
}

/** How far behind our clock Zoho's change cursor may move: covers clock skew and Zoho's own settling. */
export const ZOHO_SETTLE_MS = 10 * 60_000;

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
  // Sibling mappings (same source, module and external-id field, another scope: employees and
  // contractors) share the module's records: each record is planned by one of them.
  const siblings = siblingMappings(mapping, config.mappings.values());
  const claimedBySibling = (r: SourceRecord): boolean => siblings.some((sib) => inScope(sib, r));
  // Records holding another mapping's external id (vendors and departments both in Accounts) are that mapping's.
  const foreignIdFields = otherExternalIdFields(mapping, config.mappings.values()).map((x) => x.field);
  const options = mapping.options as ({ createInactive?: boolean } & NonNullable<Mapping['options']>) | undefined;
  const planner = new MappingPlanner({
    mapping, mappingDigest: config.mappingDigest(mapping.name), mode, reason, mappingChanged, sink: o.sink,
    fieldLengths, matchRules: o.matchRules, createInactive: options?.createInactive === true,
    ...(siblings.length > 0 ? { claimedBySibling } : {}), ...(o.taken ? { taken: o.taken } : {}),
    personalFields: personalFieldsOf(mapping, fields),
    estimateCredits: (kind, n) => estimateCredits(kind === 'read' ? 'list' : kind, n),
  });
  for (const i of issues) planner.report({ mapping: mapping.name, key: '*', code: i.code, message: i.message, severity: 'warning', ...(i.field ? { field: i.field } : {}) });

  const previous = parseCursor(wm?.cursor);
  const source = openSource(session, mapping, {
    mode, previousCursor: previous.source, now: o.now, lastApplied: wm?.updatedAt,
    alsoRead: siblings.flatMap((sib) => { const c = sourceInclude(sib); return c ? [c.field] : []; }),
  });
  const pages = readAhead(source.pages(o.signal), READ_AHEAD);
  const wantCandidates = o.matchRules.length > 0;
  // Zoho is read while the first PeopleSoft pages arrive.
  let zohoRead: Awaited<ReturnType<typeof listModule>>;
  try {
    zohoRead = mode === 'full'
      ? await listModule(zoho, o.scratch, mapping, managed, wantCandidates, foreignIdFields, o.signal)
      : await readChanges(session, zoho, o.scratch, mapping, managed, previous.zoho, siblings.map((x) => x.name), o.signal);
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
    // Handed over from a sibling (a contractor hired as an employee): the record is known from the
    // sibling's link, so this mapping updates that same Zoho record instead of creating one.
    let unknown = keys.filter((k) => !out.has(k));
    for (const sib of siblings) {
      if (unknown.length === 0) break;
      const theirs = await store.getLinksByKeys(sib.name, unknown);
      if (theirs.size === 0) continue;
      const snaps = await store.getSnapshotsByKeys(sib.name, [...theirs.keys()]);
      for (const [k, l] of theirs) out.set(k, fromLink(l, snaps.get(k)));
      unknown = unknown.filter((k) => !theirs.has(k));
    }
    return { observed: out, changed: new Set(listed.keys()) };
  };

  const candidatesOnce = async (): Promise<void> => {
    if (planner.hasCandidates() || !wantCandidates) return;
    planner.setCandidates(indexCandidates(o.matchRules, await readUnlinked(zoho, mapping, managed, foreignIdFields, o.signal)) as CandidateIndex);
  };

  /** Explicit pairings (`ml-connector adopt`) of records Zoho holds no record for by external id: the paired records, read. */
  const pairedRecords = async (keys: string[]): Promise<Map<string, ObservedRecord>> => {
    const pairs = await store.getPairings(mapping.name, keys);
    const out = new Map<string, ObservedRecord>();
    if (pairs.size === 0) return out;
    const found = new Map((await zoho.getRecords(module, [...pairs.values()].map((p) => p.zohoId), [extField, ...managed, ...foreignIdFields])).map((r) => [String(r.id), r]));
    for (const [ext, p] of pairs) {
      const rec = found.get(p.zohoId);
      if (!rec) {
        planner.report({ mapping: mapping.name, key: ext, code: 'PAIRING_GONE', severity: 'warning', message: `the Zoho record ${p.zohoId} it was paired with (ml-connector adopt) is gone; planned as if never paired (ml-connector adopt --remove --mapping ${mapping.name} ${ext})` });
        continue;
      }
      const holder = [extField, ...foreignIdFields].find((f) => typeof rec[f] === 'string' && rec[f] !== '');
      if (holder !== undefined) {
        planner.report({ mapping: mapping.name, key: ext, code: 'PAIRING_TAKEN', severity: 'error', message: `the Zoho record ${p.zohoId} it was paired with now carries ${holder} ${String(rec[holder])}; not adopted (ml-connector adopt --remove --mapping ${mapping.name} ${ext})` });
        continue;
      }
      out.set(ext, toObserved(rec, managed));
    }
    return out;
  };

  const planPage = async (page: SourcePageRead): Promise<void> => {
    const keys = page.records.map((r) => String(r.fields[idField] ?? r.key));
    const links = await store.getLinksByKeys(mapping.name, keys);
    const { observed, changed } = await observedFor(keys, links);
    const fresh = keys.filter((k) => !links.has(k) && !observed.has(k));
    // Candidates are read once, when a record would otherwise be created (an active record new to
    // Zoho); a record first seen inactive is not created, and is matched in the next full run.
    if (mode === 'incremental' && page.records.some((r, i) => r.status !== 'inactive' && !links.has(keys[i]!) && !observed.has(keys[i]!))) await candidatesOnce();
    const pairings = fresh.length > 0 ? await pairedRecords(fresh) : undefined;
    planner.planPage({
      ...(pairings && pairings.size > 0 ? { pairings } : {}),
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
  const orphansAreMine = ownerOfOrphans(mapping, siblings);
  for await (const batch of o.scratch.scanZoho(mapping.name)) {
    const rest = batch.filter((r) => !planner.hasSeen(r.externalId));
    if (rest.length === 0) continue;
    const links = await store.getLinksByKeys(mapping.name, rest.map((r) => r.externalId));
    // A record a sibling is linked to is the sibling's; one nobody is linked to is the first sibling's.
    const siblingLinked = new Set<string>();
    for (const sib of siblings) for (const k of (await store.getLinksByKeys(sib.name, rest.filter((r) => !links.has(r.externalId)).map((r) => r.externalId))).keys()) siblingLinked.add(k);
    for (const r of rest) {
      if (!links.has(r.externalId) && (siblingLinked.has(r.externalId) || !orphansAreMine)) continue;
      const observed: ObservedRecord = { id: r.zohoId, ...(r.modifiedTime !== undefined ? { modifiedTime: r.modifiedTime } : {}), values: r.values as ObservedRecord['values'] };
      const link = links.get(r.externalId);
      if (mode === 'full') planner.planAbsent(r.externalId, observed, link ? linkedRecord(link) : undefined);
      else if (link) planner.planDrift(r.externalId, observed, linkedRecord(link));
    }
    await o.sink.flush?.();
  }

  const facts = source.facts();
  // The change query is inclusive of its start second (a later edit in that second is not missed),
  // so the cursor must move on: once a second is ZOHO_SETTLE_MS in the past no edit can still land
  // in it, and the next run starts there instead of re-reading the last second it saw.
  const settled = new Date(session.clock.now() - ZOHO_SETTLE_MS).toISOString();
  const zohoCursor = laterTime(zohoRead.cursor ?? previous.zoho, settled);
  // Records left out this run (a bad row, an ambiguous match) are read again next run: the
  // source cursor stops before the earliest of them.
  const held = planner.heldCursor();
  let sourceCursor = facts.cursor;
  if (held && 'keepPrevious' in held) sourceCursor = previous.source;
  else if (held && (sourceCursor === undefined || Date.parse(held.before) < Date.parse(sourceCursor))) sourceCursor = held.before;
  const summary = planner.finish({
    known: mode === 'full' ? zohoRead.kept : await store.countLinks(mapping.name),
    sourceComplete: facts.complete,
    sourceRows: facts.rowCount,
    ...(wm?.sourceRowCount !== undefined ? { lastFullRowCount: wm.sourceRowCount } : {}),
    watermark: {
      cursor: formatCursor({ ...(sourceCursor !== undefined ? { source: sourceCursor } : {}), ...(zohoCursor !== undefined ? { zoho: zohoCursor } : {}) }),
      full: mode === 'full',
      ...(facts.complete ? { sourceRowCount: facts.rowCount } : wm?.sourceRowCount !== undefined ? { sourceRowCount: wm.sourceRowCount } : {}),
    },
  });
  await o.sink.flush?.();
  for (const [zohoId, ext] of planner.adopted) o.adoptedInRun?.set(zohoId, `${mapping.name} ${ext}`);
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
