/**
 * The applier: a plan's actions in, per-record outcomes out. Per mapping in plan order it streams
 * the actions to the Zoho client (which alone batches by 100 and limits concurrency), commits
 * each batch's links, snapshots and audit rows in one transaction as the batch returns, then the
 * bookkeeping (re-links, snapshot refreshes, source hashes and histories) and the watermark.
 * Nothing is held but a batch per call in flight.
 */
import type { Mapping } from '../config/types.generated.js';
import type { Config } from '../config/index.js';
import type { FieldValue } from '../mapping/index.js';
import { formatCursor, parseCursor, type MappingSummary, type PlanAction, type PlanView } from '../plan/index.js';
import type { AuditInput, Link, LinkInput, Lock, SnapshotInput, StateStore } from '../state/index.js';
import type { Clock } from '../support/clock.js';
import { MlError } from '../support/errors.js';
import type { WriteResult, ZohoClient } from '../zoho/index.js';
import { hashValues, resolveAfterValues, stateAfterWrite, toUpsertRecord } from './values.js';
import { historyScope } from '../peoplesoft/history.js';
import { peopleSoftSource } from '../config/index.js';
import { siblingMappings } from '../mapping/index.js';

export interface RecordOutcome {
  mapping: string;
  externalId: string;
  action: PlanAction['action'];
  outcome: 'applied' | 'failed' | 'skipped';
  zohoId?: string;
  code?: string;
  message?: string;
}

export interface MappingOutcome {
  name: string;
  applied: number;
  failed: number;
  skipped: number;
  relinked: number;
  /** Applied, by action kind. */
  byAction: Partial<Record<PlanAction['action'], number>>;
  /** The watermark moved: the next incremental run starts after this one. */
  watermarkAdvanced: boolean;
  /** The mapping was not applied at all: its plan failed, or the run stopped before it. */
  notApplied?: 'plan-failed' | 'interrupted';
}

export interface ApplyResult {
  mappings: MappingOutcome[];
  /** Failed and skipped records, the first MAX_KEPT of them (all are in the audit trail). */
  problems: RecordOutcome[];
  /** Failed and skipped records in all. */
  problemCount: number;
  interrupted: boolean;
}

/** Failed records kept for the report; the audit trail has every one. */
export const MAX_KEPT = 1000;

export interface ApplierDeps {
  config: Config;
  store: StateStore;
  clock: Clock;
  zoho(connection: string): Promise<ZohoClient>;
  runId: string;
  lock: Lock;
  /** The plan came from a file: touched records are re-read first and skipped if they moved. */
  saved: boolean;
  allowLargeChange: boolean;
  /** Stop: start no new batch; the batches in flight finish and are committed. */
  signal?: AbortSignal;
  /** Stop now: cut the Zoho calls in flight too (their records are reported failed, re-linked next run). */
  cutSignal?: AbortSignal;
  onProgress?: (p: { mapping: string; done: number; total: number }) => void;
}

const UPSERT_KINDS = ['create', 'update', 'deactivate', 'reactivate'] as const;
const BOOKKEEPING_CHUNK = 2000;

/** Apply a plan whose checks (configuration digest, guards) passed. */
export async function applyPlan(view: PlanView, deps: ApplierDeps): Promise<ApplyResult> {
  const problems: RecordOutcome[] = [];
  let problemCount = 0;
  const mappings: MappingOutcome[] = [];
  let interrupted = false;
  const stopped = (): boolean => deps.signal?.aborted === true;
  for (const mp of view.header.mappings) {
    const empty: MappingOutcome = { name: mp.name, applied: 0, failed: 0, skipped: 0, relinked: 0, byAction: {}, watermarkAdvanced: false };
    if (mp.status === 'failed') {
      mappings.push({ ...empty, notApplied: 'plan-failed' });
      continue;
    }
    if (stopped()) {
      interrupted = true;
      mappings.push({ ...empty, notApplied: 'interrupted' });
      continue;
    }
    const mapping = deps.config.mappings.get(mp.name);
    if (!mapping) throw new MlError('PLAN_UNKNOWN_MAPPING', `The plan names mapping ${mp.name}, which the configuration does not have.`, { hint: 'Make a new plan.' });
    const result = await new MappingApplier(view, mp, mapping, deps, (r) => {
      problemCount += 1;
      if (problems.length < MAX_KEPT) problems.push(r);
    }).run();
    if (stopped()) interrupted = true;
    mappings.push(result);
  }
  return { mappings, problems, problemCount, interrupted };
}

interface Pending {
  action: PlanAction;
  values: Record<string, FieldValue>;
}

class MappingApplier {
  private readonly outcome: MappingOutcome;
  private readonly notDone = new Set<string>();
  private firstWrite: string | undefined;
  private done = 0;
  private readonly total: number;
  private readonly siblings: string[];

  constructor(
    private readonly view: PlanView,
    private readonly mp: MappingSummary,
    private readonly mapping: Mapping,
    private readonly deps: ApplierDeps,
    private readonly report: (r: RecordOutcome) => void,
  ) {
    this.outcome = { name: mp.name, applied: 0, failed: 0, skipped: 0, relinked: 0, byAction: {}, watermarkAdvanced: false };
    const c = mp.counts;
    this.total = c.create + c.adopt + c.update + c.deactivate + c.reactivate + c.delete;
    this.siblings = siblingMappings(mapping, deps.config.mappings.values()).map((m) => m.name);
  }

  private stopped(): boolean {
    return this.deps.signal?.aborted === true;
  }

  private record(a: PlanAction, kind: RecordOutcome['outcome'], extra: Partial<RecordOutcome> = {}): AuditInput {
    const r: RecordOutcome = { mapping: this.mp.name, externalId: a.externalId, action: a.action, outcome: kind, ...(a.zohoId ? { zohoId: a.zohoId } : {}), ...extra };
    if (kind === 'applied') {
      this.outcome.applied += 1;
      this.outcome.byAction[a.action] = (this.outcome.byAction[a.action] ?? 0) + 1;
    } else {
      this.outcome[kind] += 1;
      this.notDone.add(a.externalId);
      this.report(r);
    }
    return {
      runId: this.deps.runId, mapping: this.mp.name, externalId: a.externalId, action: a.action, fields: a.changes.map((c) => c.field), outcome: r.outcome,
      ...(r.zohoId ? { zohoId: r.zohoId } : {}), ...(a.event ? { event: a.event } : {}),
      ...(r.code ? { errorCode: r.code } : {}), ...(r.message ? { errorMessage: r.message } : {}),
      ...(this.deps.allowLargeChange && this.mp.guards.some((g) => g.tripped) ? { allowLargeChange: true } : {}),
    };
  }

  private commit(audit: AuditInput[], extra: { links?: LinkInput[]; snapshots?: SnapshotInput[]; unlinked?: string[]; unpaired?: string[] } = {}): Promise<void> {
    return this.deps.store.commitBatch({
      runId: this.deps.runId, mapping: this.mp.name, links: extra.links ?? [], audit,
      ...(extra.snapshots ? { snapshots: extra.snapshots } : {}), ...(extra.unlinked ? { unlinked: extra.unlinked } : {}),
      ...(extra.unpaired?.length ? { unpaired: extra.unpaired } : {}),
    });
  }

  private progress(n: number): void {
    this.done += n;
    this.deps.onProgress?.({ mapping: this.mp.name, done: this.done, total: this.total });
  }

  async run(): Promise<MappingOutcome> {
    const client = await this.deps.zoho(this.mapping.target.connection);
    await this.write(client, 'upsert', UPSERT_KINDS);
    if (!this.stopped()) await this.write(client, 'update', ['adopt']);
    if (!this.stopped()) await this.write(client, 'delete', ['delete']);
    if (!this.stopped()) await this.bookkeeping();
    await this.finish();
    return this.outcome;
  }

  /**
   * A saved plan: the records it touches are re-read (100 per call) and one someone changed since
   * planning is skipped; then lookups still pending are resolved from the looked-up mapping's links.
   */
  private async *ready(client: ZohoClient, kinds: readonly PlanAction['action'][]): AsyncGenerator<Pending> {
    let chunk: PlanAction[] = [];
    const flush = async function* (this: MappingApplier): AsyncGenerator<Pending> {
      const batch = chunk;
      chunk = [];
      await this.deps.lock.check();
      const checked = this.deps.saved ? await this.recheck(client, batch) : batch;
      const resolved = await this.resolveLookups(checked);
      for (const p of resolved) yield p;
    }.bind(this);
    for await (const a of this.view.actions({ mapping: this.mp.name, kinds })) {
      if (this.stopped()) return;
      chunk.push(a);
      if (chunk.length >= 100) yield* flush();
    }
    if (chunk.length > 0 && !this.stopped()) yield* flush();
  }

  private async recheck(client: ZohoClient, batch: PlanAction[]): Promise<PlanAction[]> {
    const touched = batch.filter((a) => a.zohoId !== undefined);
    if (touched.length === 0) return batch;
    const current = new Map((await client.getRecords(this.mapping.target.module, touched.map((a) => a.zohoId!), [this.mapping.externalId.field])).map((r) => [String(r.id), r]));
    const skipped: AuditInput[] = [];
    const kept = batch.filter((a) => {
      if (a.zohoId === undefined) return true;
      const now = current.get(a.zohoId);
      const moved = !now ? 'RECORD_GONE' : a.plannedAgainst !== undefined && Date.parse(now.Modified_Time) !== Date.parse(a.plannedAgainst) ? 'RECORD_CHANGED_SINCE_PLAN' : undefined;
      if (moved === undefined) return true;
      const message = moved === 'RECORD_GONE' ? 'the record is no longer in Zoho' : `changed in Zoho since the plan was made (Modified_Time ${a.plannedAgainst} → ${now!.Modified_Time}); make a new plan`;
      skipped.push(this.record(a, 'skipped', { code: moved, message }));
      return false;
    });
    if (skipped.length > 0) await this.commit(skipped);
    return kept;
  }

  private async resolveLookups(batch: PlanAction[]): Promise<Pending[]> {
    const wanted = new Map<string, Set<string>>();
    for (const a of batch) {
      for (const c of a.changes) {
        const v = c.after;
        if (v !== null && typeof v === 'object' && v.id === undefined) {
          const set = wanted.get(v.lookup) ?? new Set<string>();
          set.add(v.key);
          wanted.set(v.lookup, set);
        }
      }
    }
    const ids = new Map<string, Map<string, Link>>();
    for (const [target, keys] of wanted) ids.set(target, await this.deps.store.getLinksByKeys(target, [...keys]));
    const out: Pending[] = [];
    const failed: AuditInput[] = [];
    for (const a of batch) {
      const r = resolveAfterValues(a, (m, key) => ids.get(m)?.get(key)?.zohoId);
      if (r.ok) out.push({ action: a, values: r.values });
      else failed.push(this.record(a, 'failed', { code: 'LOOKUP_UNRESOLVED', message: `${r.field}: ${r.message}` }));
    }
    if (failed.length > 0) await this.commit(failed);
    return out;
  }

  private body(kind: 'upsert' | 'update' | 'delete', p: Pending): Record<string, unknown> {
    const extField = this.mapping.externalId.field;
    if (kind === 'delete') return { id: p.action.zohoId };
    const record = toUpsertRecord(extField, p.action.externalId, p.values);
    // Adoption: an update by id that writes the external id, so the record is ours from now on.
    if (kind === 'update') record.id = p.action.zohoId;
    return record;
  }

  private async write(client: ZohoClient, kind: 'upsert' | 'update' | 'delete', kinds: readonly PlanAction['action'][]): Promise<void> {
    const extField = this.mapping.externalId.field;
    const module = this.mapping.target.module;
    const self = this;
    async function* items(): AsyncGenerator<{ record: Record<string, unknown>; tag: Pending }> {
      for await (const p of self.ready(client, kinds)) yield { record: self.body(kind, p), tag: p };
    }
    try {
      await client.write(kind, module, items(), {
        ...(kind === 'upsert' ? { duplicateCheckFields: [extField] } : {}),
        stop: () => this.stopped(),
        // Only a cut ends a call in flight: a stop lets the batch finish and be committed.
        ...(this.deps.cutSignal ? { signal: this.deps.cutSignal } : {}),
        onBatch: (results) => (kind === 'delete' ? this.committedDeletes(results) : this.committedWrites(results)),
      });
    } catch (err) {
      // A systemic error before anything was written (auth, module, scope): every record of the call failed already.
      if (!(err instanceof MlError)) throw err;
    }
  }

  private async committedWrites(results: Array<{ tag: Pending; result: WriteResult }>): Promise<void> {
    const module = this.mapping.target.module;
    const keys = results.filter((r) => r.result.ok && r.tag.action.action !== 'create').map((r) => r.tag.action.externalId);
    const links = keys.length > 0 ? await this.deps.store.getLinksByKeys(this.mp.name, keys) : new Map<string, Link>();
    const snapshots = keys.length > 0 ? await this.deps.store.getSnapshotsByKeys(this.mp.name, keys) : new Map();
    const newLinks: LinkInput[] = [];
    const newSnaps: SnapshotInput[] = [];
    const audit: AuditInput[] = [];
    const unpaired: string[] = [];
    for (const { tag: { action: a, values }, result: r } of results) {
      if (!r.ok || !r.id) {
        audit.push(this.record(a, 'failed', { code: r.code ?? 'ZOHO_NO_RESULT', message: r.message ?? 'no result' }));
        continue;
      }
      const link = links.get(a.externalId);
      const snapshot = snapshots.get(a.externalId);
      const baseline = a.baseline ? { externalId: a.externalId, zohoId: r.id, values: a.baseline } : undefined;
      const state = stateAfterWrite(a, values, { ...(baseline ? { baseline } : {}), ...(link ? { link } : {}), ...(snapshot ? { snapshot } : {}) });
      newLinks.push({ externalId: a.externalId, module, zohoId: r.id, fieldHash: hashValues(state.applied), appliedValues: state.applied, ...(r.modifiedTime ? { zohoModifiedTime: r.modifiedTime } : {}) });
      // A snapshot only says something the link does not when a drifted field was kept in Zoho.
      if ((state.snapshot !== state.applied || snapshot) && r.modifiedTime) newSnaps.push({ externalId: a.externalId, zohoId: r.id, values: state.snapshot, modifiedTime: r.modifiedTime });
      if (r.modifiedTime && (this.firstWrite === undefined || Date.parse(r.modifiedTime) < Date.parse(this.firstWrite))) this.firstWrite = r.modifiedTime;
      audit.push(this.record(a, 'applied', { zohoId: r.id }));
      // An explicit pairing is done once the record is adopted: from now on the link says it all.
      if (a.action === 'adopt' && a.match?.rule === 'explicit') unpaired.push(a.externalId);
    }
    await this.commit(audit, { links: newLinks, snapshots: newSnaps, unpaired });
    // A record handed over from a sibling mapping (a contractor hired as an employee) is linked here now, not there.
    for (const sib of this.siblings) await this.deps.store.deleteLinks(sib, newLinks.map((l) => l.externalId));
    this.progress(results.length);
  }

  private async committedDeletes(results: Array<{ tag: Pending; result: WriteResult }>): Promise<void> {
    const audit: AuditInput[] = [];
    const unlinked: string[] = [];
    for (const { tag: { action: a }, result: r } of results) {
      if (r.ok) {
        unlinked.push(a.externalId);
        audit.push(this.record(a, 'applied'));
      } else audit.push(this.record(a, 'failed', { code: r.code ?? 'ZOHO_NO_RESULT', message: r.message ?? 'no result' }));
    }
    await this.commit(audit, { unlinked });
    this.progress(results.length);
  }

  /** Re-links (no write), snapshot refreshes (kept drift), then what the source notes ask to remember. */
  private async bookkeeping(): Promise<void> {
    const module = this.mapping.target.module;
    let links: LinkInput[] = [];
    let snaps: SnapshotInput[] = [];
    let hashes: Array<{ key: string; hash: string }> = [];
    let histories: Array<{ key: string; hash: string; data: string }> = [];
    // Histories are facts about PeopleSoft, kept per connection and entity (shared by the mappings reading it).
    const ps = peopleSoftSource(this.mapping);
    const scope = ps ? historyScope(ps.connection, ps.entity) : '';
    const flush = async (): Promise<void> => {
      if (links.length > 0 || snaps.length > 0) await this.commit([], { links, snapshots: snaps });
      if (hashes.length > 0) await this.deps.store.putSourceHashes(this.mp.name, hashes);
      if (histories.length > 0 && scope !== '') await this.deps.store.putHistories(scope, histories);
      this.outcome.relinked += links.length;
      links = [];
      snaps = [];
      hashes = [];
      histories = [];
    };
    for await (const e of this.view.entries({ mapping: this.mp.name, t: ['relink', 'refresh', 'source'] })) {
      if (e.t === 'relink') {
        links.push({ externalId: e.externalId, module, zohoId: e.zohoId, fieldHash: hashValues(e.values), appliedValues: e.values, ...(e.modifiedTime ? { zohoModifiedTime: e.modifiedTime } : {}) });
      } else if (e.t === 'refresh') {
        if (e.modifiedTime !== undefined) snaps.push({ externalId: e.externalId, zohoId: e.zohoId, values: e.values, modifiedTime: e.modifiedTime });
      } else if (e.t === 'source' && !this.notDone.has(e.externalId)) {
        if (e.hash !== undefined) hashes.push({ key: e.key, hash: e.hash });
        if (e.history !== undefined) histories.push({ key: e.key, hash: e.history.hash, data: e.history.data });
      }
      if (links.length + snaps.length + hashes.length + histories.length >= BOOKKEEPING_CHUNK) await flush();
    }
    await flush();
    // A vendor removed from Zoho forgets its hash: if it comes back unchanged, it is planned again.
    let gone: string[] = [];
    for await (const a of this.view.actions({ mapping: this.mp.name, kinds: ['deactivate', 'delete'] })) {
      if (a.cause !== 'removed' && a.cause !== 'out-of-scope') continue;
      if (!this.notDone.has(a.externalId)) gone.push(a.externalId);
      if (gone.length >= BOOKKEEPING_CHUNK) {
        await this.deps.store.deleteSourceHashes(this.mp.name, gone);
        gone = [];
      }
    }
    if (gone.length > 0) await this.deps.store.deleteSourceHashes(this.mp.name, gone);
  }

  /** Move the watermark only when the mapping applied cleanly: failed records are re-read next run. */
  private async finish(): Promise<void> {
    const w = this.mp.watermark;
    if (!w || this.stopped() || this.outcome.failed > 0 || this.outcome.skipped > 0) return;
    const { store, clock } = this.deps;
    const previous = await store.getWatermark(this.mp.name);
    const now = new Date(clock.now()).toISOString();
    // Zoho was empty when planned: the next run reads Zoho changes from this apply's first write on
    // (our own writes are recognised then; anything a user changes meanwhile is not missed).
    const cursor = parseCursor(w.cursor);
    if (cursor.zoho === undefined && this.firstWrite !== undefined) cursor.zoho = this.firstWrite;
    await store.setWatermark(this.mp.name, {
      cursor: formatCursor(cursor),
      configDigest: this.mp.mappingDigest,
      ...(w.full ? { lastFullAt: now } : previous?.lastFullAt ? { lastFullAt: previous.lastFullAt } : {}),
      ...(w.sourceRowCount !== undefined ? { sourceRowCount: w.sourceRowCount } : {}),
    });
    this.outcome.watermarkAdvanced = true;
  }
}
