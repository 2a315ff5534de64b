import { Cron } from 'croner';
import type { Mapping } from '../config/types.generated.js';
import { peopleSoftSource } from '../config/index.js';
import { externalIdOf, fromZohoValue, inScope, managedFields, ownerOfOrphans, readStaticRecords, siblingMappings, sourceFieldsUsed, type FieldValue } from '../mapping/index.js';
import type { RecordProblem, SourceRecord, ZohoRecord } from '../model/index.js';
import { computeReadWindow, filterUnchanged, nextWatermark, readSourceRecords, type ReadWindow } from '../peoplesoft/index.js';
import type { MappingInput, ObservedRecord } from '../plan/index.js';
import type { Link, Watermark } from '../state/index.js';
import { MlError } from '../support/errors.js';
import { checkMappingAgainstFields } from '../zoho/index.js';
import { formatCursor, laterTime, parseCursor } from './cursor.js';
import type { Session } from './session.js';

export interface ReadOptions {
  full?: boolean;
  /** Instant the run reads as of (default: the session clock). */
  now?: number;
  signal?: AbortSignal;
}

/** Full or incremental, and why. */
export function chooseMode(session: Session, mapping: Mapping, wm: Watermark | undefined, o: ReadOptions, now: number): { mode: 'full' | 'incremental'; reason: string } {
  if (o.full) return { mode: 'full', reason: '--full' };
  if (!wm) return { mode: 'full', reason: 'first run for this mapping (no watermark)' };
  if (wm.configDigest !== session.config.mappingDigest(mapping.name)) return { mode: 'full', reason: 'the mapping changed since the last apply' };
  for (const s of session.config.schedules.values()) {
    if (!s.fullRefreshCron || !s.mappings.includes(mapping.name) || s.enabled === false) continue;
    const tz = s.timezone ?? session.config.project.defaults?.timezone;
    const since = new Date(wm.lastFullAt ?? wm.updatedAt);
    const due = new Cron(s.fullRefreshCron, { paused: true, ...(tz ? { timezone: tz } : {}) }).nextRun(since);
    if (due && due.getTime() <= now) return { mode: 'full', reason: `full refresh due (schedule ${s.name})` };
  }
  return { mode: 'incremental', reason: `changes since the last apply (${wm.updatedAt})` };
}

/** A Zoho record → the planner's view: id, Modified_Time and managed values. */
export function toObserved(rec: ZohoRecord, fields: readonly string[]): ObservedRecord {
  const values: Record<string, FieldValue> = {};
  for (const f of fields) values[f] = fromZohoValue(rec[f]);
  return { id: String(rec.id), modifiedTime: rec.Modified_Time, values };
}

interface SourceRead {
  records: SourceRecord[];
  problems: RecordProblem[];
  rowCount: number;
  complete: boolean;
  cursor: string | undefined;
  hashes?: Array<{ key: string; hash: string }>;
  /** Full read after an earlier apply: keys changed since it. */
  recent?: Set<string>;
}

async function readSource(session: Session, mapping: Mapping, mode: 'full' | 'incremental', wm: Watermark | undefined, now: number, signal?: AbortSignal): Promise<SourceRead> {
  const ps = peopleSoftSource(mapping);
  if (ps === undefined) {
    // Records written in the configuration: always the whole set, nothing to read.
    const records = readStaticRecords(mapping);
    return { records, problems: [], rowCount: records.length, complete: true, cursor: new Date(now).toISOString() };
  }
  const conn = session.config.peoplesoft.get(ps.connection);
  if (!conn) throw new MlError('PS_CONNECTION_NOT_FOUND', `Mapping ${mapping.name}: no PeopleSoft connection "${ps.connection}".`, { hint: 'Check source.connection.' });
  const reader = conn.readers[ps.entity];
  const schedule = [...session.config.schedules.values()].find((s) => s.mappings.includes(mapping.name));
  const previous = parseCursor(wm?.cursor).source;
  const windowOf = (full: boolean): ReadWindow => computeReadWindow({
    watermark: previous !== undefined ? { cursor: previous } : undefined,
    now, full,
    changeDetection: reader?.changeDetection,
    overlapMinutes: schedule?.window?.overlapMinutes,
    lookbackDays: schedule?.window?.lookbackDays,
    timezone: session.config.project.defaults?.timezone,
  });
  const window = windowOf(mode === 'full');
  // A full read after an earlier apply: which records an incremental read would have returned
  // (their lifecycle events are news; the others' are history).
  const since = mode === 'full' ? windowOf(false) : undefined;
  const recent = since?.mode === 'incremental' ? new Set<string>() : undefined;
  const isRecent = (r: SourceRecord): boolean =>
    (r.cursor !== undefined && since?.since !== undefined && Date.parse(r.cursor) > Date.parse(since.since)) ||
    (r.effectiveDate !== undefined && since?.effdtFrom !== undefined && since.effdtTo !== undefined && r.effectiveDate >= since.effdtFrom && r.effectiveDate <= since.effdtTo);
  const client = await session.peoplesoft(conn.name);
  const read: SourceRecord[] = [];
  const problems: RecordProblem[] = [];
  // Keep only the fields the mapping reads: a normalized employee has ~40, a mapping uses ~15.
  const used = [...sourceFieldsUsed(mapping)];
  for await (const r of readSourceRecords(client, conn, ps.entity, window, signal ? { signal } : {})) {
    if (!('hash' in r)) {
      problems.push({ ...r, mapping: mapping.name });
      continue;
    }
    const fields: SourceRecord['fields'] = {};
    for (const name of used) {
      const v = r.fields[name];
      if (v !== undefined) fields[name] = v;
    }
    // Only what planning needs (scheduled changes and effective dates are the reader's business).
    const slim: SourceRecord = { entity: r.entity, key: r.key, fields, status: r.status, hash: r.hash };
    if (r.event !== undefined) slim.event = r.event;
    if (r.cursor !== undefined) slim.cursor = r.cursor;
    if (recent && isRecent(r)) recent.add(r.key);
    read.push(slim);
  }
  const rowCount = read.length + problems.filter((p) => p.severity === 'error').length;
  const hashMode = reader?.changeDetection?.mode === 'hash';
  let records = read;
  if (hashMode && mode === 'incremental') {
    // Hash change detection: everything was read; only records whose content changed are planned.
    const stored = await session.store.getSourceHashes(mapping.name);
    records = [];
    for await (const r of filterUnchanged(read, stored)) records.push(r as SourceRecord);
  }
  const next = nextWatermark(previous !== undefined ? { cursor: previous } : undefined, read.map((r) => r.cursor), window);
  return {
    records, problems, rowCount,
    complete: window.mode === 'full',
    cursor: next?.cursor ?? window.until,
    ...(hashMode ? { hashes: read.map((r) => ({ key: r.key, hash: r.hash })) } : {}),
    ...(recent ? { recent } : {}),
  };
}

/** External id → Zoho id of a mapping's records: from the links, or from Zoho when there are none. */
export async function readLookupIndex(session: Session, mapping: Mapping): Promise<Map<string, string>> {
  const links = await session.store.getLinks(mapping.name);
  if (links.size > 0) return new Map([...links].map(([k, l]) => [k, l.zohoId]));
  const client = await session.zoho(mapping.target.connection);
  const out = new Map<string, string>();
  for await (const rec of client.listRecords(mapping.target.module, [mapping.externalId.field])) {
    const ext = rec[mapping.externalId.field];
    if (typeof ext === 'string' && ext !== '') out.set(ext, String(rec.id));
  }
  return out;
}

/**
 * Everything the planner needs for one mapping: source records (all, or changed since the
 * watermark), Zoho records (all managed ones by external id, or as last applied plus those
 * modified in Zoho since), links, field lengths and the watermark to store after apply.
 */
export async function readMappingInput(session: Session, mapping: Mapping, o: ReadOptions = {}): Promise<MappingInput> {
  const now = o.now ?? session.clock.now();
  const { store } = session;
  const wm = await store.getWatermark(mapping.name);
  const { mode, reason } = chooseMode(session, mapping, wm, o, now);
  const zoho = await session.zoho(mapping.target.connection);
  const module = mapping.target.module;
  const managed = managedFields(mapping);
  const extField = mapping.externalId.field;

  // Field metadata: one call; a mapping that cannot work with this org stops here, before any read.
  const fields = await zoho.getFields(module);
  const issues = checkMappingAgainstFields(mapping, fields, (path) => session.config.locate('Mapping', mapping.name, path));
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length > 0) {
    throw new MlError('PLAN_MAPPING_UNUSABLE', `Mapping ${mapping.name} does not fit Zoho ${module}: ${errors.map((e) => e.message).join('; ')}`, {
      meta: { mapping: mapping.name, issues: errors.map((e) => ({ code: e.code, field: e.field ?? null })) },
      hint: 'Fix the mapping (or the Zoho fields); `ml-connector check` lists every issue.',
    });
  }
  const problems: RecordProblem[] = issues.map((i) => ({ mapping: mapping.name, key: '*', code: i.code, message: i.message, severity: 'warning' as const, ...(i.field ? { field: i.field } : {}) }));
  const fieldLengths: Record<string, number> = {};
  for (const f of fields) if (f.length !== undefined && managed.includes(f.apiName)) fieldLengths[f.apiName] = f.length;

  const source = await readSource(session, mapping, mode, wm, now, o.signal);
  const links = await store.getLinks(mapping.name);
  const observed = new Map<string, ObservedRecord>();
  const changedInZoho = new Set<string>();
  const previous = parseCursor(wm?.cursor);
  let zohoCursor = previous.zoho;
  const take = (rec: ZohoRecord): string | undefined => {
    const ext = rec[extField];
    if (typeof ext !== 'string' || ext === '') return undefined;
    if (observed.has(ext) && mode === 'full') {
      problems.push({ mapping: mapping.name, key: ext, code: 'ZOHO_DUPLICATE_EXTERNAL_ID', message: `two ${module} records carry ${extField} ${ext}; the first read is used`, severity: 'warning' });
      return undefined;
    }
    observed.set(ext, toObserved(rec, managed));
    zohoCursor = laterTime(zohoCursor, rec.Modified_Time);
    return ext;
  };
  if (mode === 'full') {
    for await (const rec of zoho.listRecords(module, [extField, ...managed], o.signal ? { signal: o.signal } : {})) take(rec);
  } else {
    // Offline view: what Zoho held after the last apply (snapshot), or what the last apply wrote.
    const snapshots = await store.getSnapshots(mapping.name);
    for (const [ext, link] of links) {
      // The newer of snapshot and link: apply writes a snapshot only when it differs from the link.
      const stored = snapshots.get(ext);
      const snap = stored && (link.zohoModifiedTime === undefined || Date.parse(stored.modifiedTime) >= Date.parse(link.zohoModifiedTime)) ? stored : undefined;
      observed.set(ext, {
        id: link.zohoId,
        ...(snap ? { modifiedTime: snap.modifiedTime } : link.zohoModifiedTime !== undefined ? { modifiedTime: link.zohoModifiedTime } : {}),
        values: (snap?.values ?? link.appliedValues) as Record<string, FieldValue>,
      });
    }
    // If-Modified-Since has second precision: step back a second, our own writes are recognised below.
    const since = previous.zoho !== undefined ? new Date(Date.parse(previous.zoho) - 1000).toISOString() : undefined;
    for await (const rec of zoho.listRecords(module, [extField, ...managed], { ...(since ? { modifiedSince: since } : {}), ...(o.signal ? { signal: o.signal } : {}) })) {
      const ext = take(rec);
      if (ext === undefined) continue;
      const link = links.get(ext);
      const ours = link?.zohoModifiedTime !== undefined && Date.parse(link.zohoModifiedTime) === Date.parse(rec.Modified_Time);
      if (!ours) changedInZoho.add(ext);
    }
  }

  await handOverToSiblings(session, mapping, mode, source, links, observed, changedInZoho);

  const input: MappingInput = {
    mapping,
    mappingDigest: session.config.mappingDigest(mapping.name),
    mode, reason,
    source: { records: source.records, problems: [...problems, ...source.problems], complete: source.complete, rowCount: source.rowCount },
    observed, changedInZoho, links, fieldLengths,
    watermark: {
      cursor: formatCursor({ ...(source.cursor !== undefined ? { source: source.cursor } : {}), ...(zohoCursor !== undefined ? { zoho: zohoCursor } : {}) }),
      full: mode === 'full',
      ...(source.complete ? { sourceRowCount: source.rowCount } : wm?.sourceRowCount !== undefined ? { sourceRowCount: wm.sourceRowCount } : {}),
    },
    ...(wm?.sourceRowCount !== undefined ? { lastFullRowCount: wm.sourceRowCount } : {}),
    ...(source.hashes ? { sourceHashes: source.hashes } : {}),
    ...(source.recent ? { changedSinceLastApply: source.recent } : {}),
  };
  return input;
}

/**
 * Several mappings of one source into one module under one external-id field (employees and
 * contractors): each Zoho record is planned by one of them. A source record out of this mapping's
 * scope but in a sibling's, and a Zoho record a sibling is linked to, are the sibling's: dropped
 * here, so this mapping neither deactivates them as "left source.include" nor as absent. A Zoho
 * record nobody claims (gone from the source, unlinked) is left to the first sibling by name.
 */
async function handOverToSiblings(session: Session, mapping: Mapping, mode: 'full' | 'incremental', source: SourceRead, links: Map<string, Link>, observed: Map<string, ObservedRecord>, changedInZoho: Set<string>): Promise<void> {
  const siblings = siblingMappings(mapping, session.config.mappings.values());
  if (siblings.length === 0) return;
  const theirs = new Set<string>();
  const claimed = new Set<string>();
  source.records = source.records.filter((r) => {
    const ext = externalIdOf(mapping, r);
    claimed.add(ext);
    if (inScope(mapping, r) || !siblings.some((s) => inScope(s, r))) return true;
    theirs.add(ext);
    return false;
  });
  const inMyScope = new Set(source.records.map((r) => externalIdOf(mapping, r)));
  for (const s of siblings) {
    const siblingLinks = await session.store.getLinks(s.name);
    const snapshots = mode === 'incremental' ? await session.store.getSnapshots(s.name) : undefined;
    for (const [ext, link] of siblingLinks) {
      if (links.has(ext)) continue;
      if (!inMyScope.has(ext)) {
        theirs.add(ext);
        continue;
      }
      // Handed over to this mapping (a contractor hired as an employee): an incremental plan knows the
      // record from the sibling's link, so it updates that same Zoho record instead of "creating" it.
      if (snapshots !== undefined && !observed.has(ext)) {
        const snap = snapshots.get(ext);
        observed.set(ext, {
          id: link.zohoId,
          ...(snap ? { modifiedTime: snap.modifiedTime } : link.zohoModifiedTime !== undefined ? { modifiedTime: link.zohoModifiedTime } : {}),
          values: (snap?.values ?? link.appliedValues) as Record<string, FieldValue>,
        });
      }
    }
  }
  const orphansAreMine = ownerOfOrphans(mapping, siblings);
  for (const ext of [...observed.keys()]) {
    const orphan = mode === 'full' && !claimed.has(ext) && !links.has(ext);
    if (theirs.has(ext) || (orphan && !orphansAreMine)) {
      observed.delete(ext);
      changedInZoho.delete(ext);
    }
  }
}

/** Every source record of a mapping as of now (a full read), e.g. for `plan --base`. */
export async function readFullSource(session: Session, mapping: Mapping, o: { now?: number; signal?: AbortSignal } = {}): Promise<SourceRecord[]> {
  const read = await readSource(session, mapping, 'full', undefined, o.now ?? session.clock.now(), o.signal);
  return read.records;
}
