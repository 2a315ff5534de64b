/**
 * The plan: plain data describing what `apply` will do to Zoho, record by record and field by
 * field. It is computed by a pure function, saved as versioned JSON (schema/plan.schema.json),
 * rendered for people, and is the only input of the applier.
 */
import type { Mapping } from '../config/types.generated.js';
import type { FieldValue } from '../mapping/index.js';
import type { LifecycleEvent, RecordProblem, SourceRecord } from '../model/index.js';

export const PLAN_FORMAT_VERSION = 1;

export type ActionKind = 'create' | 'update' | 'deactivate' | 'reactivate' | 'delete';
export type DriftPolicy = 'overwrite' | 'keep-zoho' | 'report';

/** One managed field that changes: its Zoho value now and the value the plan writes. */
export interface FieldChange {
  field: string;
  before: FieldValue;
  after: FieldValue;
  /** Someone changed this field in Zoho since the last apply; the plan overwrites it. */
  drift?: true;
}

/** A managed field someone changed in Zoho that the plan leaves alone (`keep-zoho` or `report`). */
export interface DriftNote {
  field: string;
  zoho: FieldValue;
  applied: FieldValue;
  policy: Exclude<DriftPolicy, 'overwrite'>;
}

/** Why a record is in the plan. */
export type ActionCause = 'source' | 'removed' | 'out-of-scope' | 'drift';

export interface PlanAction {
  externalId: string;
  action: ActionKind;
  /** Absent for creates. */
  zohoId?: string;
  event?: LifecycleEvent;
  cause: ActionCause;
  /** Zoho `Modified_Time` the record had when planned; apply skips the record if it moved. */
  plannedAgainst?: string;
  changes: FieldChange[];
  drift?: DriftNote[];
  /** Short hash of everything above: detects edited plan files and identifies the action in audit. */
  fingerprint: string;
}

export interface GuardResult {
  guard: 'maxDeactivations' | 'maxChanges' | 'minSourceRows' | 'maxDrop';
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
  update: number;
  deactivate: number;
  reactivate: number;
  delete: number;
  same: number;
}

export interface PlanCost {
  /** Zoho calls the apply makes, by kind. */
  calls: { upsert: number; delete: number };
  credits: number;
}

/** Where the next incremental run starts, stored by apply once this mapping applied cleanly. */
export interface PlanWatermark {
  cursor: string;
  /** Source records in a complete read, for the next run's `maxDrop` guard. */
  sourceRowCount?: number;
  full: boolean;
}

export interface MappingPlan {
  name: string;
  module: string;
  externalIdField: string;
  mappingDigest: string;
  mode: 'full' | 'incremental';
  /** Why this mode, e.g. `--full`, `first run`, `mapping changed since the last apply`. */
  reason: string;
  source: { read: number; planned: number; complete: boolean };
  counts: ActionCounts;
  /** Sorted by external id. `same` records are counted, not listed. */
  actions: PlanAction[];
  guards: GuardResult[];
  cost: PlanCost;
  watermark?: PlanWatermark;
  /**
   * Not saved in plan files. Managed values the records hold in Zoho now (for link state after
   * apply), and records to re-link without writing (after the state was lost).
   */
  baseline?: Map<string, BaselineRecord>;
  relink?: BaselineRecord[];
  /** Not saved: linked records changed in Zoho but left as they are (kept drift): their snapshot is refreshed. */
  refresh?: BaselineRecord[];
  /** Not saved: source content hashes to remember after apply (hash change detection). */
  sourceHashes?: Array<{ key: string; hash: string }>;
}

export interface BaselineRecord {
  externalId: string;
  zohoId: string;
  modifiedTime?: string;
  values: Record<string, FieldValue>;
}

export interface Plan {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  createdAt: string;
  configDigest: string;
  gitCommit?: string;
  /** The configuration directory had uncommitted changes when the plan was made. */
  gitDirty?: boolean;
  asOf?: string;
  mappings: MappingPlan[];
  problems: RecordProblem[];
  summary: ActionCounts & { calls: number; credits: number; changes: number };
  /** A guard tripped and `--allow-large-change` was not given: apply refuses. */
  blocked: boolean;
  allowLargeChange: boolean;
}

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

export interface MappingInput {
  mapping: Mapping;
  mappingDigest: string;
  mode: 'full' | 'incremental';
  reason: string;
  source: {
    records: readonly SourceRecord[];
    problems: readonly RecordProblem[];
    /** Every source record was read (full mode, or a reader that always reads everything). */
    complete: boolean;
    /** Rows read before change filtering, for `minSourceRows` and `maxDrop`. */
    rowCount: number;
  };
  /** Zoho records with an external id, by external id (full: all of them; incremental: as last known). */
  observed: ReadonlyMap<string, ObservedRecord>;
  /**
   * A full read after an earlier apply: the source keys whose rows changed since then (what an
   * incremental read would have returned). Only their lifecycle events label the plan: an old
   * hire is not why a record changes after a mapping edit. Absent: every event labels.
   */
  changedSinceLastApply?: ReadonlySet<string>;
  /** External ids of records changed in Zoho since the last run (incremental): planned even without a source change. */
  changedInZoho?: ReadonlySet<string>;
  links: ReadonlyMap<string, LinkedRecord>;
  /** Source records in the last complete read (watermark), for `maxDrop`. */
  lastFullRowCount?: number;
  fieldLengths?: Readonly<Record<string, number>>;
  watermark?: PlanWatermark;
  sourceHashes?: Array<{ key: string; hash: string }>;
}

export type CreditEstimator = (kind: 'upsert' | 'delete' | 'read', records: number) => number;

export interface PlanInput {
  mappings: readonly MappingInput[];
  /** External id → Zoho id of mappings looked up but not planned in this run. */
  lookupIndex?: ReadonlyMap<string, ReadonlyMap<string, string>>;
  createdAt: string;
  configDigest: string;
  gitCommit?: string;
  gitDirty?: boolean;
  asOf?: string;
  allowLargeChange?: boolean;
  estimateCredits?: CreditEstimator;
}
