/**
 * The plan: plain data describing what `apply` will do to Zoho, record by record and field by
 * field. A plan has a header (what was planned, counts, guards, cost: small, whatever the size of
 * the org) and a body: a stream of entries (actions, problems, scheduled changes, bookkeeping)
 * that is never held in memory as a whole. Saved as versioned JSON (schema/plan.schema.json,
 * docs/plan-format.md) with one entry per line, so a plan of any size can be written, shown and
 * applied a line at a time.
 */
import type { FieldValue } from '../mapping/index.js';
import type { LifecycleEvent, RecordProblem } from '../model/index.js';
import type { PlanValue } from './mask.js';

export const PLAN_FORMAT_VERSION = 2;

export type ActionKind = 'create' | 'update' | 'deactivate' | 'reactivate' | 'delete' | 'adopt';
export const ACTION_KINDS: readonly ActionKind[] = ['create', 'adopt', 'update', 'reactivate', 'deactivate', 'delete'];
export type DriftPolicy = 'overwrite' | 'keep-zoho' | 'report';

/** One managed field that changes: its Zoho value now and the value the plan writes. */
export interface FieldChange {
  field: string;
  /** In a plan file, a personal field's `before` is only its keyed digest. */
  before: PlanValue;
  after: FieldValue;
  /** Someone changed this field in Zoho since the last apply; the plan overwrites it. */
  drift?: true;
}

/** A managed field someone changed in Zoho that the plan leaves alone (`keep-zoho` or `report`). */
export interface DriftNote {
  field: string;
  zoho: PlanValue;
  applied: PlanValue;
  policy: Exclude<DriftPolicy, 'overwrite'>;
}

/**
 * Why a record is in the plan, in words a reviewer can check:
 * - `source`: its PeopleSoft record changed since the last apply (or it was never synced);
 * - `mapping`: only the mapping changed (the PeopleSoft record did not);
 * - `drift`: someone changed the record in Zoho;
 * - `removed`: it is gone from a complete PeopleSoft read;
 * - `out-of-scope`: it left the mapping's `source.include`.
 */
export type ActionCause = 'source' | 'mapping' | 'drift' | 'removed' | 'out-of-scope';

/** The one reason an action is counted under in a plan's headline. */
export type ActionReason = LifecycleEvent | ActionCause | 'new' | 'adopt';

/** How an `adopt` found its Zoho record. */
export interface AdoptMatch {
  /** The match rule, e.g. `Email` or `First_Name+Last_Name+Phone`; `explicit` for `ml-connector adopt`. */
  rule: string;
}

export interface PlanAction {
  mapping: string;
  externalId: string;
  action: ActionKind;
  /** Absent for creates. */
  zohoId?: string;
  /** The lifecycle event behind the action: only when it happened since the last apply. */
  event?: LifecycleEvent;
  cause: ActionCause;
  /** Zoho `Modified_Time` the record had when planned; apply skips the record if it moved. */
  plannedAgainst?: string;
  changes: FieldChange[];
  drift?: DriftNote[];
  /** `adopt` only: how the existing Zoho record was found. */
  match?: AdoptMatch;
  /**
   * The managed values the Zoho record holds now, for a record ml-connector has no link for yet
   * (adopt, or a write after the state was lost): what the link is made from after apply.
   */
  baseline?: Record<string, FieldValue>;
  /** Short hash of what apply writes; present in plan files (written and checked there only). */
  fingerprint?: string;
}

/** A future-dated change held until it is effective (`plan --as-of` shows it applied). */
export interface ScheduledChange {
  mapping: string;
  externalId: string;
  effectiveDate: string;
  event?: LifecycleEvent;
  /** What it will do once effective. */
  action: 'create' | 'update' | 'deactivate' | 'reactivate';
}

/** A record found in Zoho, already right but not linked (the state was lost): link it, write nothing. */
export interface RelinkEntry {
  mapping: string;
  externalId: string;
  zohoId: string;
  modifiedTime?: string;
  values: Record<string, FieldValue>;
}

/** What apply remembers of a source record after it applied (hash change detection, stored history). */
export interface SourceNote {
  mapping: string;
  key: string;
  /** The external id of the record the note belongs to (what apply reports outcomes by). */
  externalId: string;
  hash?: string;
  /** The whole PeopleSoft history to keep for readers of changed rows (opaque to the planner). */
  history?: { hash: string; data: string };
}

/** One line of the plan body. */
export type PlanEntry =
  | ({ t: 'action' } & PlanAction)
  | ({ t: 'problem' } & RecordProblem)
  | ({ t: 'scheduled' } & ScheduledChange)
  /** Linked records whose Zoho state moved although nothing is written (kept drift): refresh the snapshot. */
  | ({ t: 'relink' | 'refresh' } & RelinkEntry)
  | ({ t: 'source' } & SourceNote);

export type EntryKind = PlanEntry['t'];

export interface GuardResult {
  guard: 'maxDeactivations' | 'maxChanges' | 'minSourceRows' | 'maxDrop' | 'maxAdoptions';
  /** The configured limit, e.g. `10%` or `100`. */
  limit: number | string;
  /** The limit as a count for this run. */
  allowed: number;
  actual: number;
  tripped: boolean;
  message: string;
}

export interface ActionCounts {
  create: number;
  adopt: number;
  update: number;
  deactivate: number;
  reactivate: number;
  delete: number;
  same: number;
}

export interface PlanCost {
  /** Zoho calls apply makes, by kind (adoptions are updates by id). */
  calls: { upsert: number; update: number; delete: number };
  credits: number;
}

/** Where the next incremental run starts, stored by apply once this mapping applied cleanly. */
export interface PlanWatermark {
  cursor: string;
  /** Source records in a complete read, for the next run's `maxDrop` guard. */
  sourceRowCount?: number;
  full: boolean;
}

export interface MappingSummary {
  name: string;
  module: string;
  externalIdField: string;
  mappingDigest: string;
  mode: 'full' | 'incremental';
  /** Why this mode, e.g. `--full`, `first run`, `mapping changed since the last apply`. */
  reason: string;
  /** `failed`: the mapping could not be planned (its read is not trustworthy); nothing of it is applied. */
  status: 'planned' | 'failed';
  error?: { code: string; message: string; hint?: string };
  source: {
    /** Source records read (after change filtering). */
    read: number;
    /** Records compared with Zoho. */
    planned: number;
    /** Every source record was read. */
    complete: boolean;
    /** Rows read before change filtering, for `minSourceRows` and `maxDrop`. */
    rowCount: number;
  };
  counts: ActionCounts;
  /** Lifecycle events behind this mapping's actions (only events since the last apply). */
  events: Partial<Record<LifecycleEvent, number>>;
  /** Records left out (an error problem, an ambiguous match): retried next run. */
  held: number;
  scheduled: number;
  /** Records inactive the first time they are seen (left before the first sync): not created (`options.createInactive`). */
  notCreated: number;
  problems: { errors: number; warnings: number };
  guards: GuardResult[];
  cost: PlanCost;
  /** Zoho fields this mapping treats as personal data (masked in plans). */
  personalFields: string[];
  /** The PeopleSoft entity read (how a renderer words the changes: HR events or vendor changes). */
  entity?: 'employees' | 'vendors' | 'departments' | 'static';
  /** Actions by why they are in the plan, one reason each: the event, else `new` (creates), `adopt`, else the cause. */
  reasons?: Partial<Record<ActionReason, number>>;
  watermark?: PlanWatermark;
  /** Hash change detection after a complete read: apply replaces the stored hashes (drops keys gone from the source). */
  replaceSourceHashes?: boolean;
}

export interface PlanSummary extends ActionCounts {
  /** Records to write: every action. */
  changes: number;
  /** Zoho write calls apply will make, and their credits. */
  calls: number;
  credits: number;
  /** Calls made while planning (reading), and their credits. */
  reads: { zoho: number; peoplesoft: number; credits: number };
  events: Partial<Record<LifecycleEvent, number>>;
  held: number;
  scheduled: number;
  problems: { errors: number; warnings: number };
}

export interface PlanHeader {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  createdAt: string;
  /** The business date effective-dated rows were read as of (YYYY-MM-DD). */
  asOf: string;
  configDigest: string;
  gitCommit?: string;
  /** The configuration directory had uncommitted changes when the plan was made. */
  gitDirty?: boolean;
  mappings: MappingSummary[];
  summary: PlanSummary;
  /** A guard tripped and `--allow-large-change` was not given: apply refuses. */
  blocked: boolean;
  allowLargeChange: boolean;
  /** Random key of the masked-value digests (src/plan/mask.ts); absent in plans made before it existed. */
  maskKey?: string;
}

/**
 * A plan to read: its header, and its body entries as streams (each call reads the body again,
 * in order). The one interface renderers, the applier and `show` read plans through, whether the
 * plan is a file on disk, a spool of the run in progress, or an array in a test.
 */
export interface PlanView {
  readonly header: PlanHeader;
  entries(filter?: EntryFilter): AsyncIterable<PlanEntry>;
  actions(filter?: { mapping?: string; kinds?: readonly ActionKind[] }): AsyncIterable<PlanAction>;
  problems(filter?: { mapping?: string }): AsyncIterable<RecordProblem>;
  scheduled(filter?: { mapping?: string }): AsyncIterable<ScheduledChange>;
}

export interface EntryFilter {
  t?: readonly EntryKind[];
  mapping?: string;
}

export type CreditEstimator = (kind: 'upsert' | 'update' | 'delete' | 'read', records: number) => number;

/** A Zoho record as the planner sees it: managed values only. */
export interface ObservedRecord {
  id: string;
  modifiedTime?: string;
  values: Record<string, FieldValue>;
}

/** What the state remembers of the last apply (structurally the state store's Link). */
export interface LinkedRecord {
  zohoId: string;
  appliedValues: Record<string, unknown>;
  zohoModifiedTime?: string;
}
