import type { FieldValue } from '../mapping/index.js';
import type { MappingPlan, PlanAction } from '../plan/index.js';
import type { AuditInput, Link, LinkInput, Lock, SnapshotInput } from '../state/index.js';
import { MlError } from '../support/errors.js';
import type { WriteResult, ZohoClient } from '../zoho/index.js';
import type { ApplyOptions, ApplyReport, MappingApplyReport, RecordOutcome } from './apply-plan.js';
import { formatCursor, parseCursor } from './cursor.js';
import { createSerial, runPool } from './pool.js';
import type { Session } from './session.js';
import { hashValues, resolveAfterValues, stateAfterWrite, toUpsertRecord } from './values.js';

/**
 * Applying one mapping's part of a plan: re-check a saved plan's touched records, upsert in
 * batches of 100 (concurrently), delete, re-link, and move the watermark when all went well.
 */
export interface MappingContext extends ApplyOptions {
  runId: string;
  lock: Lock;
  concurrency: number;
}

/** Zoho ids of another mapping's records, as linked now (after that mapping's apply). */
async function linkedIds(session: Session, cache: Map<string, Map<string, Link>>, mapping: string): Promise<Map<string, Link>> {
  let links = cache.get(mapping);
  if (!links) {
    links = await session.store.getLinks(mapping);
    cache.set(mapping, links);
  }
  return links;
}

export async function applyMapping(session: Session, mp: MappingPlan, client: ZohoClient, o: MappingContext, report: ApplyReport): Promise<MappingApplyReport> {
  const { store } = session;
  const mapping = session.config.mappings.get(mp.name)!;
  const module = mp.module;
  const extField = mp.externalIdField;
  const result: MappingApplyReport = { name: mp.name, applied: 0, failed: 0, skipped: 0, relinked: 0, watermarkAdvanced: false };
  let firstWrite: string | undefined;
  const links = await store.getLinks(mp.name);
  const snapshots = mp.baseline ? undefined : await store.getSnapshots(mp.name);
  const commit = createSerial();
  const outcome = (a: PlanAction, kind: RecordOutcome['outcome'], extra: Partial<RecordOutcome> = {}): RecordOutcome => {
    const r: RecordOutcome = { mapping: mp.name, externalId: a.externalId, action: a.action, outcome: kind, ...(a.zohoId ? { zohoId: a.zohoId } : {}), ...extra };
    if (kind !== 'applied') report.problems.push(r);
    result[kind === 'applied' ? 'applied' : kind] += 1;
    return r;
  };
  const audit = (a: PlanAction, r: RecordOutcome): AuditInput => ({
    runId: o.runId, mapping: mp.name, externalId: a.externalId, action: a.action, fields: a.changes.map((c) => c.field), outcome: r.outcome,
    ...(r.zohoId ? { zohoId: r.zohoId } : {}), ...(a.event ? { event: a.event } : {}),
    ...(r.code ? { errorCode: r.code } : {}), ...(r.message ? { errorMessage: r.message } : {}),
    ...(o.allowLargeChange && mp.guards.some((g) => g.tripped) ? { allowLargeChange: true } : {}),
  });

  // A saved plan: re-read just the touched records; one someone changed since planning is skipped.
  let actions = mp.actions;
  const skippedAudit: AuditInput[] = [];
  if (o.saved) {
    const touched = actions.filter((a) => a.zohoId !== undefined);
    const current = new Map((await client.getRecords(module, touched.map((a) => a.zohoId!), [extField])).map((r) => [String(r.id), r]));
    actions = actions.filter((a) => {
      if (a.zohoId === undefined) return true;
      const now = current.get(a.zohoId);
      const moved = !now ? 'RECORD_GONE' : a.plannedAgainst !== undefined && Date.parse(now.Modified_Time) !== Date.parse(a.plannedAgainst) ? 'RECORD_CHANGED_SINCE_PLAN' : undefined;
      if (moved === undefined) return true;
      const message = moved === 'RECORD_GONE' ? 'the record is no longer in Zoho' : `changed in Zoho since the plan was made (Modified_Time ${a.plannedAgainst} → ${now!.Modified_Time}); make a new plan`;
      skippedAudit.push(audit(a, outcome(a, 'skipped', { code: moved, message })));
      return false;
    });
    if (skippedAudit.length > 0) await store.commitBatch({ runId: o.runId, mapping: mp.name, links: [], audit: skippedAudit });
  }

  const lookupCache = new Map<string, Map<string, Link>>();
  for (const f of mapping.fields) if (f.lookup) await linkedIds(session, lookupCache, f.lookup.mapping);
  const lookupId = (m: string, key: string): string | undefined => lookupCache.get(m)?.get(key)?.zohoId;

  const upserts = actions.filter((a) => a.action !== 'delete');
  const deletes = actions.filter((a) => a.action === 'delete');
  const total = actions.length;
  let done = 0;
  const progress = (n: number): void => {
    done += n;
    o.onProgress?.({ mapping: mp.name, done, total });
  };

  // Upserts: resolve lookups, batch by 100, commit each batch's results as it returns.
  const ready: Array<{ a: PlanAction; values: Record<string, FieldValue> }> = [];
  const unresolved: AuditInput[] = [];
  for (const a of upserts) {
    const r = resolveAfterValues(a, lookupId);
    if (r.ok) ready.push({ a, values: r.values });
    else unresolved.push(audit(a, outcome(a, 'failed', { code: 'LOOKUP_UNRESOLVED', message: `${r.field}: ${r.message}` })));
  }
  if (unresolved.length > 0) await store.commitBatch({ runId: o.runId, mapping: mp.name, links: [], audit: unresolved });
  const batches: Array<typeof ready> = [];
  for (let i = 0; i < ready.length; i += 100) batches.push(ready.slice(i, i + 100));
  const stop = (): boolean => o.signal?.aborted === true;
  await runPool(batches, o.concurrency, async (batch) => {
    await o.lock.check();
    const body = batch.map(({ a, values }) => toUpsertRecord(extField, a.externalId, values));
    let results: WriteResult[];
    try {
      // Only a cut ends a call in flight: a stop lets this batch finish and be committed.
      results = await client.upsert(module, body, { duplicateCheckFields: [extField], ...(o.cutSignal ? { signal: o.cutSignal } : {}) });
    } catch (err) {
      const code = err instanceof MlError ? err.code : 'ZOHO_CALL_FAILED';
      results = batch.map((_, index) => ({ ok: false, index, code, message: err instanceof Error ? err.message : String(err) }));
    }
    const newLinks: LinkInput[] = [];
    const newSnaps: SnapshotInput[] = [];
    const rows: AuditInput[] = [];
    batch.forEach(({ a, values }, i) => {
      const r = results[i];
      if (!r?.ok || !r.id) {
        rows.push(audit(a, outcome(a, 'failed', { code: r?.code ?? 'ZOHO_NO_RESULT', message: r?.message ?? 'no result' })));
        return;
      }
      const before = { ...(mp.baseline?.get(a.externalId) ? { baseline: mp.baseline.get(a.externalId)! } : {}), ...(links.get(a.externalId) ? { link: links.get(a.externalId)! } : {}), ...(snapshots?.get(a.externalId) ? { snapshot: snapshots.get(a.externalId)! } : {}) };
      const state = stateAfterWrite(a, values, before);
      newLinks.push({ externalId: a.externalId, module, zohoId: r.id, fieldHash: hashValues(state.applied), appliedValues: state.applied, ...(r.modifiedTime ? { zohoModifiedTime: r.modifiedTime } : {}) });
      // A snapshot only says something the link does not when a drifted field was kept in Zoho;
      // otherwise the newer link is the record's state (read-inputs takes the newer of the two).
      if (state.snapshot !== state.applied || snapshots?.has(a.externalId) || mp.baseline?.has(a.externalId)) {
        newSnaps.push({ externalId: a.externalId, zohoId: r.id, values: state.snapshot, modifiedTime: r.modifiedTime ?? '' });
      }
      if (r.modifiedTime && (firstWrite === undefined || Date.parse(r.modifiedTime) < Date.parse(firstWrite))) firstWrite = r.modifiedTime;
      rows.push(audit(a, outcome(a, 'applied', { zohoId: r.id })));
    });
    await commit(() => store.commitBatch({ runId: o.runId, mapping: mp.name, links: newLinks, snapshots: newSnaps.filter((s) => s.modifiedTime !== ''), audit: rows }));
    progress(batch.length);
  }, stop);

  // Deletes (only with onRemove: delete), 100 ids per call.
  for (let i = 0; i < deletes.length && !stop(); i += 100) {
    await o.lock.check();
    const batch = deletes.slice(i, i + 100);
    let results: WriteResult[];
    try {
      results = await client.deleteRecords(module, batch.map((a) => a.zohoId!), o.cutSignal ? { signal: o.cutSignal } : {});
    } catch (err) {
      results = batch.map((_, index) => ({ ok: false, index, code: err instanceof MlError ? err.code : 'ZOHO_CALL_FAILED', message: err instanceof Error ? err.message : String(err) }));
    }
    const rows: AuditInput[] = [];
    const unlinked: string[] = [];
    batch.forEach((a, j) => {
      const r = results[j];
      if (r?.ok) {
        unlinked.push(a.externalId);
        rows.push(audit(a, outcome(a, 'applied')));
      } else rows.push(audit(a, outcome(a, 'failed', { code: r?.code ?? 'ZOHO_NO_RESULT', message: r?.message ?? 'no result' })));
    });
    await store.commitBatch({ runId: o.runId, mapping: mp.name, links: [], unlinked, audit: rows });
    progress(batch.length);
  }
  if (stop()) report.interrupted = true;

  // Records found in Zoho and already right, but not linked (the state was lost): link them, no write.
  const relink = mp.relink ?? [];
  for (let i = 0; i < relink.length; i += 5000) {
    const part = relink.slice(i, i + 5000);
    await store.commitBatch({
      runId: o.runId, mapping: mp.name, audit: [],
      links: part.map((b) => ({ externalId: b.externalId, module, zohoId: b.zohoId, fieldHash: hashValues(b.values), appliedValues: b.values, ...(b.modifiedTime ? { zohoModifiedTime: b.modifiedTime } : {}) })),
    });
    result.relinked += part.length;
  }

  // Records changed in Zoho and deliberately left so (kept drift): remember what Zoho holds now.
  const refresh = (mp.refresh ?? []).filter((b) => b.modifiedTime !== undefined);
  if (refresh.length > 0) {
    await store.commitBatch({
      runId: o.runId, mapping: mp.name, audit: [], links: [],
      snapshots: refresh.map((b) => ({ externalId: b.externalId, zohoId: b.zohoId, values: b.values, modifiedTime: b.modifiedTime! })),
    });
  }

  await finishMapping(session, mp, result, report, stop(), firstWrite);
  return result;
}

/** Move the watermark and remember source hashes, only when the mapping applied cleanly. */
async function finishMapping(session: Session, mp: MappingPlan, result: MappingApplyReport, report: ApplyReport, interrupted: boolean, firstWrite: string | undefined): Promise<void> {
  const { store } = session;
  const notDone = new Set(report.problems.filter((p) => p.mapping === mp.name).map((p) => p.externalId));
  if (mp.sourceHashes) {
    const keep = mp.sourceHashes.filter((h) => !notDone.has(h.key));
    if (mp.mode === 'full' && notDone.size === 0 && !interrupted) await store.replaceSourceHashes(mp.name, keep);
    else await store.putSourceHashes(mp.name, keep);
  }
  if (!mp.watermark || interrupted || result.failed > 0 || result.skipped > 0) return;
  const previous = await store.getWatermark(mp.name);
  const now = new Date(session.clock.now()).toISOString();
  // Zoho was empty when planned: the next run reads Zoho changes from this apply's first write on
  // (our own writes are recognised then; anything a user changes meanwhile is not missed).
  const cursor = parseCursor(mp.watermark.cursor);
  if (cursor.zoho === undefined && firstWrite !== undefined) cursor.zoho = firstWrite;
  await store.setWatermark(mp.name, {
    cursor: formatCursor(cursor),
    configDigest: mp.mappingDigest,
    ...(mp.watermark.full ? { lastFullAt: now } : previous?.lastFullAt ? { lastFullAt: previous.lastFullAt } : {}),
    ...(mp.watermark.sourceRowCount !== undefined ? { sourceRowCount: mp.watermark.sourceRowCount } : {}),
  });
  result.watermarkAdvanced = true;
}
