/**
 * The planner of one mapping, fed a page at a time. Pure: everything it needs arrives with the
 * page (source records, their links and Zoho records, lookups), everything it decides leaves
 * through the sink as plan entries, and what needs the whole set (guards, ambiguous matches,
 * counts) is kept as counters and as the few records that wait for the end (adoption claims).
 * Memory is one page plus the keys seen (for absence) and the open claims, never every record.
 */
import type { Mapping } from '../config/types.generated.js';
import { sourceKind } from '../config/source.js';
import { mapRecord, type DesiredRecord, type FieldValue, type LookupResolver } from '../mapping/index.js';
import type { LifecycleEvent, RecordProblem, SourceRecord } from '../model/index.js';
import { BATCH_SIZE, defaultCreditEstimator } from './cost.js';
import { checkGuards } from './guards.js';
import type { PlanSink } from './plan-document.js';
import { desiredFromLink, mappingTables, planAdopt, planCreate, planExisting, planRemoved, type Draft, type MappingTables } from './record-plans.js';
import type { ActionReason, ActionCounts, CreditEstimator, LinkedRecord, MappingSummary, ObservedRecord, PlanAction, PlanWatermark, ScheduledChange } from './types.js';

/** A way to find an existing Zoho record for a source record: the key of its values under one rule. */
export interface MatchRule {
  name: string;
  fields: readonly string[];
  /** The rule's key for these Zoho-side values, or undefined when any field is empty. */
  key(values: Readonly<Record<string, FieldValue | undefined>>): string | undefined;
}

/** Zoho records with no external id yet, indexed by each rule's key: the candidates for adoption. */
export interface CandidateIndex {
  byRule: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
  records: ReadonlyMap<string, ObservedRecord>;
}

/** Index unlinked Zoho records (no external id) under every rule. */
export function indexCandidates(rules: readonly MatchRule[], records: Iterable<ObservedRecord>): CandidateIndex {
  const byRule = new Map<string, Map<string, string[]>>();
  const all = new Map<string, ObservedRecord>();
  for (const rule of rules) byRule.set(rule.name, new Map());
  for (const r of records) {
    all.set(r.id, r);
    for (const rule of rules) {
      const key = rule.key(r.values);
      if (key === undefined) continue;
      const index = byRule.get(rule.name)!;
      const ids = index.get(key);
      if (ids) ids.push(r.id);
      else index.set(key, [r.id]);
    }
  }
  return { byRule, records: all };
}

export interface PlannerOptions {
  mapping: Mapping;
  mappingDigest: string;
  mode: 'full' | 'incremental';
  reason: string;
  /** The mapping changed since the last apply: records whose source did not change are labelled `mapping`. */
  mappingChanged: boolean;
  sink: PlanSink;
  fieldLengths?: Readonly<Record<string, number>>;
  matchRules?: readonly MatchRule[];
  /**
   * A sibling mapping (same source, module and external-id field, another scope) claims this
   * record: when it leaves this mapping's scope it is the sibling's now, not removed here.
   */
  claimedBySibling?: (record: SourceRecord) => boolean;
  /** Zoho records another mapping of this run adopts already (Zoho id → who): matching one is ambiguous. */
  taken?: ReadonlyMap<string, string>;
  /** Create records that are inactive when first seen (default: leave them out). */
  createInactive?: boolean;
  personalFields?: readonly string[];
  estimateCredits?: CreditEstimator;
}

export interface SourcePage {
  records: readonly SourceRecord[];
  problems?: readonly RecordProblem[];
  /** Links of this page's external ids. */
  links: ReadonlyMap<string, LinkedRecord>;
  /** Zoho records of this page's external ids (full: as listed; incremental: as last known, overlaid with Zoho's changes). */
  observed: ReadonlyMap<string, ObservedRecord>;
  /** External ids changed in Zoho since the last run. */
  changedInZoho?: ReadonlySet<string>;
  /** Explicit pairings (`ml-connector adopt`): external id → the Zoho record it was paired with. */
  pairings?: ReadonlyMap<string, ObservedRecord>;
  /** Source records whose rows changed since the last apply (a full plan after an apply); absent: every record read did. */
  recent?: (record: SourceRecord) => boolean;
  /** Whether a record's lifecycle event happened since the last apply (only then is it labelled); absent: `recent`. */
  newEvent?: (record: SourceRecord) => boolean;
  /** Source hashes the state holds for this page's keys (hash change detection): a `source` entry when they differ. */
  storedHashes?: ReadonlyMap<string, string>;
  resolveLookup: LookupResolver;
}

interface Claim {
  desired: DesiredRecord;
  rule: string;
  explicit: boolean;
  record: SourceRecord;
  /** The Zoho record of an explicit pairing, as read. */
  paired?: ObservedRecord;
}

export function emptyCounts(): ActionCounts {
  return { create: 0, adopt: 0, update: 0, deactivate: 0, reactivate: 0, delete: 0, same: 0 };
}

const SCHEDULED_ACTION: Partial<Record<LifecycleEvent, ScheduledChange['action']>> = { termination: 'deactivate', retirement: 'deactivate', rehire: 'reactivate', hire: 'reactivate' };

export class MappingPlanner {
  private readonly t: MappingTables;
  private readonly counts = emptyCounts();
  private readonly events: Partial<Record<LifecycleEvent, number>> = {};
  private readonly reasons: Partial<Record<ActionReason, number>> = {};
  /** External ids planned or problematic: never absent. */
  private readonly seen = new Set<string>();
  private readonly claims = new Map<string, Claim[]>();
  private candidates: CandidateIndex | undefined;
  private read = 0;
  private planned = 0;
  private held = 0;
  private scheduled = 0;
  private notCreated = 0;
  private errors = 0;
  private warnings = 0;
  private writes = { upsert: 0, update: 0, delete: 0 };
  /** The earliest source cursor of a record left out this run; `unknown` when one had none (a read problem). */
  private heldAt: { unknown: boolean; min?: number } = { unknown: false };

  constructor(private readonly o: PlannerOptions) {
    this.t = mappingTables(o.mapping);
  }

  get name(): string {
    return this.o.mapping.name;
  }

  /** Zoho records without an external id, to adopt from (read once per plan, when first needed). */
  setCandidates(index: CandidateIndex): void {
    this.candidates = index;
  }

  hasCandidates(): boolean {
    return this.candidates !== undefined;
  }

  /** Whether this external id was planned (or had a problem) in this run. */
  hasSeen(externalId: string): boolean {
    return this.seen.has(externalId);
  }

  private problem(p: RecordProblem): void {
    if (p.severity === 'error') this.errors += 1;
    else this.warnings += 1;
    this.o.sink.write({ t: 'problem', ...p, mapping: p.mapping ?? this.name });
  }

  /** A problem found outside a page (a field metadata warning, a read warning). */
  report(p: RecordProblem): void {
    if (p.severity === 'error' && p.key !== '*') {
      this.seen.add(p.key);
      this.held += 1;
      this.heldAt.unknown = true;
    }
    this.problem(p);
  }

  private hold(record: SourceRecord | undefined): void {
    this.held += 1;
    const ms = record?.cursor !== undefined ? Date.parse(record.cursor) : NaN;
    if (!Number.isFinite(ms)) this.heldAt.unknown = true;
    else if (this.heldAt.min === undefined || ms < this.heldAt.min) this.heldAt.min = ms;
  }

  /**
   * Where the next incremental read must start for the records left out this run to be read
   * again: before the earliest of them, or (when one had no cursor) where this run started.
   * Undefined when nothing was held.
   */
  heldCursor(): { keepPrevious: true } | { before: string } | undefined {
    if (this.heldAt.unknown) return { keepPrevious: true };
    return this.heldAt.min !== undefined ? { before: new Date(this.heldAt.min - 1).toISOString() } : undefined;
  }

  private emit(draft: Draft): void {
    if (draft.changes.length === 0 && draft.action !== 'delete' && draft.action !== 'adopt') {
      this.counts.same += 1;
      return;
    }
    this.counts[draft.action] += 1;
    if (draft.event !== undefined) this.events[draft.event] = (this.events[draft.event] ?? 0) + 1;
    const reason: ActionReason = draft.event ?? (draft.action === 'create' ? 'new' : draft.action === 'adopt' ? 'adopt' : draft.cause);
    this.reasons[reason] = (this.reasons[reason] ?? 0) + 1;
    if (draft.action === 'delete') this.writes.delete += 1;
    else if (draft.action === 'adopt') this.writes.update += 1;
    else this.writes.upsert += 1;
    this.o.sink.write({ t: 'action', ...draft });
  }

  private reportDrift(draft: Draft): void {
    for (const d of draft.drift ?? []) {
      if (d.policy === 'report') this.problem({ mapping: this.name, key: draft.externalId, code: 'DRIFT_REPORTED', message: `${d.field} was changed in Zoho since the last apply; left as is`, field: d.field, severity: 'warning' });
    }
  }

  /** An existing record: update/deactivate/reactivate, or the bookkeeping of an unchanged one. */
  private existing(draft: Draft, observed: ObservedRecord, linked: boolean, changedInZoho: boolean): void {
    this.reportDrift(draft);
    if (draft.changes.length === 0) {
      this.counts.same += 1;
      const entry = { mapping: this.name, externalId: draft.externalId, zohoId: observed.id, values: observed.values, ...(observed.modifiedTime !== undefined ? { modifiedTime: observed.modifiedTime } : {}) };
      if (!linked) this.o.sink.write({ t: 'relink', ...entry });
      else if (changedInZoho && observed.modifiedTime !== undefined) this.o.sink.write({ t: 'refresh', ...entry });
      return;
    }
    this.emit(draft);
  }

  /** Plan one page of source records. */
  planPage(page: SourcePage): void {
    for (const p of page.problems ?? []) this.report(p);
    const options = this.o.fieldLengths ? { resolveLookup: page.resolveLookup, fieldLengths: this.o.fieldLengths } : { resolveLookup: page.resolveLookup };
    for (const record of page.records) {
      this.read += 1;
      const outcome = mapRecord(this.o.mapping, record, options);
      for (const p of outcome.problems) this.problem(p);
      const id = outcome.kind === 'desired' ? outcome.record.externalId : outcome.externalId;
      if (this.seen.has(id) && outcome.kind !== 'rejected') {
        this.problem({ mapping: this.name, key: id, code: 'MAP_DUPLICATE_KEY', message: `two source records map to external id ${id}; the first is used`, severity: 'warning' });
        continue;
      }
      this.seen.add(id);
      if (outcome.kind === 'rejected') {
        this.hold(record);
        continue;
      }
      if (outcome.kind === 'ignored') continue;
      const observed = page.observed.get(id);
      const link = page.links.get(id);
      if (outcome.kind === 'out-of-scope') {
        // A record that moved into a sibling mapping's scope (a contractor hired as an employee) is
        // the sibling's now: it updates the record, this mapping does not deactivate it.
        if (observed && !this.o.claimedBySibling?.(record)) this.removal(id, observed, link, 'out-of-scope');
        continue;
      }
      this.planned += 1;
      this.planSource(record, outcome.record, observed, link, page);
    }
  }

  private planSource(record: SourceRecord, desired0: DesiredRecord, observed: ObservedRecord | undefined, link: LinkedRecord | undefined, page: SourcePage): void {
    const recent = page.recent ? page.recent(record) : page.storedHashes ? page.storedHashes.get(record.key) !== record.hash : true;
    // A label says what happened since the last apply: a 2017 hire renamed today is no hire.
    const news = page.newEvent ? page.newEvent(record) : recent;
    const desired = !news && desired0.event !== undefined ? withoutEvent(desired0) : desired0;
    const hashChanged = page.storedHashes !== undefined && page.storedHashes.get(record.key) !== record.hash;
    if (hashChanged || record.history) {
      this.o.sink.write({ t: 'source', mapping: this.name, key: record.key, externalId: desired.externalId, ...(hashChanged ? { hash: record.hash } : {}), ...(record.history ? { history: record.history } : {}) });
    }
    // Not effective yet (only future-dated rows, e.g. a hire entered before the start date): held
    // until its effective date, whether or not Zoho has a record for it.
    if (record.effectiveDate === undefined && record.scheduled && record.scheduled.length > 0) {
      const first = record.scheduled[0]!;
      this.schedule(desired.externalId, first.effectiveDate, first.event, observed ? SCHEDULED_ACTION[first.event ?? 'hire'] ?? 'update' : 'create');
      return;
    }
    for (const s of record.scheduled ?? []) this.schedule(desired.externalId, s.effectiveDate, s.event, SCHEDULED_ACTION[s.event ?? 'data-change'] ?? 'update');
    if (observed) {
      const draft = planExisting(this.t, desired, observed, link?.appliedValues, 'source');
      if (draft.changes.length > 0 && link && !recent) draft.cause = this.o.mappingChanged ? 'mapping' : draft.changes.some((c) => c.drift) ? 'drift' : 'source';
      this.existing(draft, observed, link !== undefined, page.changedInZoho?.has(desired.externalId) ?? false);
      return;
    }
    const paired = page.pairings?.get(desired.externalId);
    if (paired) {
      this.claim(paired.id, { desired, rule: 'explicit', explicit: true, record, paired });
      return;
    }
    if (this.matchCandidates(desired, record)) return;
    if (desired.state === 'deactivated' && !this.o.createInactive) {
      // Inactive the first time it is seen (left before the first sync): not created by default.
      this.notCreated += 1;
      return;
    }
    this.emit(planCreate(this.name, desired));
  }

  /** True when a match rule found (or held) an existing Zoho record for this source record. */
  private matchCandidates(desired: DesiredRecord, record: SourceRecord): boolean {
    const index = this.candidates;
    if (!index) return false;
    for (const rule of this.o.matchRules ?? []) {
      const key = rule.key(desired.values);
      if (key === undefined) continue;
      const ids = index.byRule.get(rule.name)?.get(key);
      if (!ids || ids.length === 0) continue;
      const taken = this.o.taken?.get(ids[0]!);
      if (ids.length === 1 && taken !== undefined) {
        this.hold(record);
        this.problem({
          mapping: this.name, key: desired.externalId, code: 'MATCH_AMBIGUOUS', severity: 'error',
          message: `matches Zoho record ${ids[0]} by ${rule.name}, which ${taken} also matches and adopts in this run; not created nor adopted until resolved (ml-connector adopt --mapping ${this.name} ${desired.externalId} ZOHO_ID)`,
        });
        return true;
      }
      if (ids.length > 1) {
        this.hold(record);
        this.problem({
          mapping: this.name, key: desired.externalId, code: 'MATCH_AMBIGUOUS', severity: 'error',
          message: `matches ${ids.length} Zoho records by ${rule.name} (${ids.slice(0, 5).join(', ')}); neither created nor adopted until resolved (ml-connector adopt --mapping ${this.name} ${desired.externalId} ZOHO_ID)`,
        });
        return true;
      }
      this.claim(ids[0]!, { desired, rule: rule.name, explicit: false, record });
      return true;
    }
    return false;
  }

  private claim(zohoId: string, c: Claim): void {
    const list = this.claims.get(zohoId);
    if (list) list.push(c);
    else this.claims.set(zohoId, [c]);
  }

  private schedule(externalId: string, effectiveDate: string, event: LifecycleEvent | undefined, action: ScheduledChange['action']): void {
    this.scheduled += 1;
    this.o.sink.write({ t: 'scheduled', mapping: this.name, externalId, effectiveDate, ...(event !== undefined ? { event } : {}), action });
  }

  private removal(externalId: string, observed: ObservedRecord, link: LinkedRecord | undefined, cause: 'removed' | 'out-of-scope'): void {
    const draft = planRemoved(this.t, externalId, observed, link?.appliedValues, cause);
    if (draft) {
      this.reportDrift(draft);
      this.emit(draft);
    }
  }

  /** A linked record changed in Zoho that the source did not bring this run: put back what the last apply wrote. */
  planDrift(externalId: string, observed: ObservedRecord, link: LinkedRecord): void {
    if (this.seen.has(externalId)) return;
    this.seen.add(externalId);
    this.planned += 1;
    const draft = planExisting(this.t, desiredFromLink(this.t, externalId, link.appliedValues), observed, link.appliedValues, 'drift');
    this.existing(draft, observed, true, true);
  }

  /** A Zoho record of this mapping that a complete source read did not bring (full mode only). */
  planAbsent(externalId: string, observed: ObservedRecord, link: LinkedRecord | undefined): void {
    if (this.o.mode !== 'full' || this.seen.has(externalId)) return;
    this.seen.add(externalId);
    this.removal(externalId, observed, link, 'removed');
  }

  /** The Zoho records this mapping adopts (after `finish`): Zoho id → external id. */
  readonly adopted = new Map<string, string>();

  /** Resolve adoption claims (a Zoho record claimed twice is held for both), then check the guards. */
  finish(facts: { known: number; sourceComplete: boolean; sourceRows: number; lastFullRowCount?: number; watermark?: PlanWatermark; replaceSourceHashes?: boolean }): MappingSummary {
    for (const [zohoId, list] of this.claims) {
      const explicit = list.find((c) => c.explicit);
      const winner = explicit ?? (list.length === 1 ? list[0] : undefined);
      for (const c of list) {
        if (c === winner) continue;
        this.hold(c.record);
        this.problem({
          mapping: this.name, key: c.desired.externalId, code: 'MATCH_AMBIGUOUS', severity: 'error',
          message: `Zoho record ${zohoId} matches ${list.length} source records (${list.map((x) => x.desired.externalId).join(', ')}) by ${c.rule}; neither created nor adopted until resolved (ml-connector adopt --mapping ${this.name} EXTERNAL_ID ${zohoId})`,
        });
      }
      const candidate = winner && (winner.paired ?? this.candidates?.records.get(zohoId));
      if (winner && candidate) {
        this.emit(planAdopt(this.t, winner.desired, candidate, winner.rule));
        this.adopted.set(zohoId, winner.desired.externalId);
      }
    }
    this.claims.clear();
    const estimate = this.o.estimateCredits ?? defaultCreditEstimator;
    const credits = batchCredits(estimate, 'upsert', this.writes.upsert) + batchCredits(estimate, 'update', this.writes.update) + batchCredits(estimate, 'delete', this.writes.delete);
    const known = facts.known;
    const summary: MappingSummary = {
      name: this.name,
      module: this.o.mapping.target.module,
      externalIdField: this.o.mapping.externalId.field,
      mappingDigest: this.o.mappingDigest,
      mode: this.o.mode,
      reason: this.o.reason,
      status: 'planned',
      source: { read: this.read, planned: this.planned, complete: facts.sourceComplete, rowCount: facts.sourceRows },
      counts: { ...this.counts },
      events: { ...this.events },
      reasons: { ...this.reasons },
      entity: sourceKind(this.o.mapping),
      held: this.held,
      scheduled: this.scheduled,
      notCreated: this.notCreated,
      problems: { errors: this.errors, warnings: this.warnings },
      guards: checkGuards(this.o.mapping, {
        counts: this.counts, known, desired: this.seen.size, sourceComplete: facts.sourceComplete, sourceRows: facts.sourceRows,
        ...(facts.lastFullRowCount !== undefined ? { lastFullRowCount: facts.lastFullRowCount } : {}),
      }),
      cost: {
        calls: { upsert: Math.ceil(this.writes.upsert / BATCH_SIZE), update: Math.ceil(this.writes.update / BATCH_SIZE), delete: Math.ceil(this.writes.delete / BATCH_SIZE) },
        credits,
      },
      personalFields: [...(this.o.personalFields ?? [])],
    };
    if (facts.watermark) summary.watermark = facts.watermark;
    if (facts.replaceSourceHashes) summary.replaceSourceHashes = true;
    return summary;
  }
}

function withoutEvent(d: DesiredRecord): DesiredRecord {
  const copy = { ...d };
  delete copy.event;
  return copy;
}

function batchCredits(estimate: CreditEstimator, kind: 'upsert' | 'update' | 'delete', n: number): number {
  let credits = 0;
  for (let left = n; left > 0; left -= BATCH_SIZE) credits += estimate(kind, Math.min(BATCH_SIZE, left));
  return credits;
}

export type { PlanAction };
