/**
 * What Zoho holds for a mapping, read the cheapest way the mode allows:
 * - full: every record of the module, listed once into the run's scratch (by external id), and
 *   those without an external id kept aside as adoption candidates;
 * - incremental: only what changed since the last run, by COQL (ids and times, 2,000 a call);
 *   records whose Modified_Time is the one our own last write got are ours and not re-read;
 *   the rest are fetched by id. Without COQL access, If-Modified-Since listing does the same job.
 */
import type { Mapping } from '../config/types.generated.js';
import { fromZohoValue, type FieldValue } from '../mapping/index.js';
import type { RecordProblem, ZohoRecord } from '../model/index.js';
import { laterTime, type ObservedRecord } from '../plan/index.js';
import type { Scratch } from '../state/scratch.js';
import { isMlError } from '../support/errors.js';
import type { ZohoClient } from '../zoho/index.js';
import type { Session } from './session.js';

/** A Zoho record → the planner's view: id, Modified_Time and managed values. */
export function toObserved(rec: ZohoRecord, fields: readonly string[]): ObservedRecord {
  const values: Record<string, FieldValue> = {};
  for (const f of fields) values[f] = fromZohoValue(rec[f]);
  return { id: String(rec.id), modifiedTime: rec.Modified_Time, values };
}

export interface ZohoRead {
  /** Records kept in scratch (by external id). */
  kept: number;
  /** Unlinked records (no external id): adoption candidates. Full mode only. */
  candidates?: ObservedRecord[];
  /** The latest Modified_Time seen: where the next run's Zoho read starts. */
  cursor: string | undefined;
  problems: RecordProblem[];
}


/** Full mode: list the whole module into scratch; unlinked records become candidates. */
export async function listModule(client: ZohoClient, scratch: Scratch, mapping: Mapping, managed: readonly string[], wantCandidates: boolean, foreignIdFields: readonly string[], signal?: AbortSignal): Promise<ZohoRead> {
  const module = mapping.target.module;
  const extField = mapping.externalId.field;
  const problems: RecordProblem[] = [];
  const candidates: ObservedRecord[] = [];
  let cursor: string | undefined;
  let kept = 0;
  let page: Array<{ externalId: string; zohoId: string; modifiedTime: string | undefined; values: Record<string, unknown> }> = [];
  const flush = async (): Promise<void> => {
    const dupes = await scratch.putZoho(mapping.name, page);
    kept += page.length - dupes.length;
    for (const ext of dupes) problems.push({ mapping: mapping.name, key: ext, code: 'ZOHO_DUPLICATE_EXTERNAL_ID', message: `two ${module} records carry ${extField} ${ext}; the first read is used`, severity: 'warning' });
    page = [];
  };
  for await (const rec of client.listRecords(module, [extField, ...managed, ...foreignIdFields], signal ? { signal } : {})) {
    cursor = laterTime(cursor, rec.Modified_Time);
    const ext = rec[extField];
    const observed = toObserved(rec, managed);
    if (typeof ext !== 'string' || ext === '') {
      // No external id yet: a candidate for adoption, unless another mapping's external id marks it as that mapping's.
      if (wantCandidates && !foreignIdFields.some((f) => typeof rec[f] === 'string' && rec[f] !== '')) candidates.push(observed);
      continue;
    }
    page.push({ externalId: ext, zohoId: observed.id, modifiedTime: observed.modifiedTime, values: observed.values });
    if (page.length >= 2000) await flush();
  }
  if (page.length > 0) await flush();
  return { kept, ...(wantCandidates ? { candidates } : {}), cursor, problems };
}

/**
 * Incremental mode: the records changed in Zoho since `since` that are not our own last write,
 * with their managed values, into scratch. Our writes are recognised by the Modified_Time their
 * write returned (kept in the link).
 */
export async function readChanges(session: Session, client: ZohoClient, scratch: Scratch, mapping: Mapping, managed: readonly string[], since: string | undefined, siblings: readonly string[], signal?: AbortSignal): Promise<ZohoRead & { changed: number }> {
  const module = mapping.target.module;
  const extField = mapping.externalId.field;
  if (since === undefined) return { kept: 0, changed: 0, cursor: undefined, problems: [] };
  let cursor: string | undefined = since;
  let changed = 0;
  const keep = async (records: ZohoRecord[]): Promise<void> => {
    const rows = records.filter((r) => typeof r[extField] === 'string' && r[extField] !== '').map((r) => {
      const o = toObserved(r, managed);
      return { externalId: r[extField] as string, zohoId: o.id, modifiedTime: o.modifiedTime, values: o.values };
    });
    await scratch.putZoho(mapping.name, rows);
    changed += rows.length;
  };
  try {
    for await (const page of client.changedSince(module, [extField], since, signal ? { signal } : {})) {
      for (const r of page) cursor = laterTime(cursor, r.Modified_Time);
      const keyed = page.filter((r) => typeof r[extField] === 'string' && r[extField] !== '');
      const ours = await ownWrites(session, [mapping.name, ...siblings], keyed.map((r) => r[extField] as string));
      const others = keyed.filter((r) => ours.get(r[extField] as string) !== `${r.id}@${Date.parse(r.Modified_Time)}`);
      if (others.length > 0) await keep(await client.getRecords(module, others.map((r) => r.id), [extField, ...managed]));
    }
    return { kept: changed, changed, cursor, problems: [] };
  } catch (err) {
    if (!(isMlError(err) && /SCOPE|NO_PERMISSION|FEATURE_NOT_SUPPORTED/.test(err.code))) throw err;
  }
  // No COQL for this connection (scope or edition): If-Modified-Since listing, our writes recognised the same way.
  const problems: RecordProblem[] = [{ mapping: mapping.name, key: '*', code: 'ZOHO_COQL_UNAVAILABLE', severity: 'warning', message: `COQL is not available to this connection (scope ZohoCRM.coql.READ): changes in ${module} were read by listing, which re-reads what the last apply wrote` }];
  changed = 0;
  cursor = since;
  let batch: ZohoRecord[] = [];
  const sinceListing = new Date(Date.parse(since) - 1000).toISOString();
  const flushListed = async (): Promise<void> => {
    const ours = await ownWrites(session, [mapping.name, ...siblings], batch.map((r) => r[extField] as string));
    await keep(batch.filter((r) => ours.get(r[extField] as string) !== `${r.id}@${Date.parse(r.Modified_Time)}`));
    batch = [];
  };
  for await (const rec of client.listRecords(module, [extField, ...managed], { modifiedSince: sinceListing, ...(signal ? { signal } : {}) })) {
    cursor = laterTime(cursor, rec.Modified_Time);
    if (typeof rec[extField] !== 'string' || rec[extField] === '') continue;
    batch.push(rec);
    if (batch.length >= 2000) await flushListed();
  }
  if (batch.length > 0) await flushListed();
  return { kept: changed, changed, cursor, problems };
}

/**
 * What the last applies wrote, by external id: `zohoId@Modified_Time` of the write, from the
 * links of this mapping and of its siblings (mappings sharing the module and external-id field,
 * whose writes show in this mapping's change query too).
 */
async function ownWrites(session: Session, mappings: readonly string[], keys: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let rest = keys;
  for (const name of mappings) {
    if (rest.length === 0) break;
    const links = await session.store.getLinksByKeys(name, rest);
    for (const [k, l] of links) if (l.zohoModifiedTime !== undefined) out.set(k, `${l.zohoId}@${Date.parse(l.zohoModifiedTime)}`);
    rest = rest.filter((k) => !links.has(k));
  }
  return out;
}

/** Incremental mode, when a record has no link and no Zoho record: the module's unlinked records, once (COQL `is null`). */
export async function readUnlinked(client: ZohoClient, mapping: Mapping, managed: readonly string[], foreignIdFields: readonly string[], signal?: AbortSignal): Promise<ObservedRecord[]> {
  const out: ObservedRecord[] = [];
  const extField = mapping.externalId.field;
  const unclaimed = (r: ZohoRecord): boolean => !foreignIdFields.some((f) => typeof r[f] === 'string' && r[f] !== '');
  try {
    for await (const page of client.withEmptyField(mapping.target.module, extField, [...managed, ...foreignIdFields], signal ? { signal } : {})) {
      for (const r of page) if (unclaimed(r)) out.push(toObserved(r, managed));
    }
    return out;
  } catch (err) {
    if (!(isMlError(err) && /SCOPE|NO_PERMISSION|FEATURE_NOT_SUPPORTED/.test(err.code))) throw err;
  }
  for await (const rec of client.listRecords(mapping.target.module, [extField, ...managed, ...foreignIdFields], signal ? { signal } : {})) {
    const ext = rec[extField];
    if ((typeof ext !== 'string' || ext === '') && unclaimed(rec)) out.push(toObserved(rec, managed));
  }
  return out;
}
