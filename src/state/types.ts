/**
 * Public shapes of the state store. Everything here is a cache of what Zoho and PeopleSoft already
 * say (see docs/state.md, "Rebuild"), except secrets, run history and the audit trail.
 */

/** What the store remembers about one linked record, as of the last successful apply. */
export interface Link {
  externalId: string;
  /** Zoho module API name, e.g. `Contacts`. */
  module: string;
  zohoId: string;
  /** Hash of the managed values as last applied; equal hash = nothing to write. */
  fieldHash: string;
  /** The managed fields as last applied (used to label drift, never to decide a write). */
  appliedValues: Record<string, unknown>;
  /** Zoho `Modified_Time` seen right after the apply (or on the last read). */
  zohoModifiedTime?: string;
  updatedAt: string;
}

export type LinkInput = Omit<Link, 'updatedAt'>;

/** Managed fields of a Zoho record as observed, for drift detection and offline plans. */
export interface Snapshot {
  externalId: string;
  zohoId: string;
  values: Record<string, unknown>;
  modifiedTime: string;
  observedAt: string;
}

export type SnapshotInput = Omit<Snapshot, 'observedAt'>;

export interface SourceHashInput {
  key: string;
  hash: string;
}

/** One source record's stored whole history (see StoredHistory in src/model): opaque to the state. */
export interface HistoryInput {
  key: string;
  hash: string;
  data: string;
}

/** Where incremental reading of a mapping's source resumes. */
export interface Watermark {
  /** Opaque to the store: a timestamp, a PeopleSoft LASTUPDDTTM, a page token. */
  cursor: string;
  /** Digest of the mapping config the cursor was reached with; a change forces a full reconcile. */
  configDigest: string;
  lastFullAt?: string;
  sourceRowCount?: number;
  updatedAt: string;
}

export type WatermarkInput = Omit<Watermark, 'updatedAt'> & { updatedAt?: string };

/** `adopt`: `ml-connector adopt` storing an explicit pairing (no Zoho write). */
export type RunKind = 'plan' | 'apply' | 'serve' | 'adopt';
/** `blocked`: a guard stopped the run before anything was written. */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'partial' | 'interrupted' | 'blocked';
export type FinalRunStatus = Exclude<RunStatus, 'running'>;

export interface RunStart {
  kind: RunKind;
  /** Who or what started it: `cli`, `schedule:daily`, `webhook`, `ci:pull-request`, ... */
  trigger: string;
  gitCommit?: string;
  gitDirty?: boolean;
  configDigest: string;
  mappings: string[];
}

export interface RunFinish {
  status: FinalRunStatus;
  counts: Record<string, number>;
  apiCalls: number;
  credits: number;
  error?: string;
}

export interface RunRow {
  id: string;
  kind: RunKind;
  trigger: string;
  gitCommit?: string;
  gitDirty?: boolean;
  configDigest: string;
  mappings: string[];
  startedAt: string;
  finishedAt?: string;
  status: RunStatus;
  counts: Record<string, number>;
  apiCalls: number;
  credits: number;
  error?: string;
  /** Batches committed through `commitBatch`: progress of an interrupted run. */
  batches: number;
  pid: number;
  host: string;
  /** Wall-clock time of the owner's last sign of life (not the injected clock). */
  heartbeatAt: string;
}

export type AuditOutcome = 'applied' | 'failed' | 'skipped';

/** One record's result in a run. Field NAMES only: values never enter the audit trail. */
export interface AuditInput {
  runId: string;
  mapping: string;
  externalId: string;
  zohoId?: string;
  /** `create`, `update`, `deactivate`, `reactivate`, `delete`, ... */
  action: string;
  /** Lifecycle event behind the action: `hire`, `termination`, ... */
  event?: string;
  fields: string[];
  outcome: AuditOutcome;
  errorCode?: string;
  errorMessage?: string;
  allowLargeChange?: boolean;
}

export interface AuditRow extends Omit<AuditInput, 'allowLargeChange'> {
  id: number;
  at: string;
  allowLargeChange: boolean;
}

export interface AuditQuery {
  runId?: string;
  mapping?: string;
  externalId?: string;
  outcome?: AuditOutcome;
  /** ISO date or date-time; rows at or after it. */
  since?: string;
  /** The most recent `limit` rows (still returned oldest first). Default 1000. */
  limit?: number;
}

/**
 * "Source record `externalId` of `mapping` is Zoho record `zohoId`": an explicit pairing made with
 * `ml-connector adopt`, which the planner turns into an `adopt` action (rule "explicit").
 */
export interface Pairing {
  mapping: string;
  externalId: string;
  /** Zoho module API name, e.g. `Contacts`. */
  module: string;
  zohoId: string;
  createdAt: string;
  /** The `adopt` run that stored it (its audit row). */
  runId?: string;
}

export type PairingInput = Omit<Pairing, 'createdAt'> & { createdAt?: string };

/** One applied batch: its links, snapshots and audit rows become durable together. */
export interface BatchCommit {
  runId: string;
  mapping: string;
  links: LinkInput[];
  /** External ids whose links must go (records deleted in Zoho). */
  unlinked?: string[];
  /** External ids whose explicit pairings this batch fulfilled (adopted): removed with it. */
  unpaired?: string[];
  snapshots?: SnapshotInput[];
  audit: AuditInput[];
}

export type WebhookStatus = 'received' | 'processed' | 'ignored' | 'rejected';

export interface WebhookEventInput {
  /** `zoho` for CRM notifications. */
  source: string;
  channelId?: string;
  module?: string;
  operation?: string;
  recordIds: string[];
  status?: WebhookStatus;
  /** A short, secret-free note (why it was ignored or rejected). Never the notification token. */
  detail?: string;
}

export interface WebhookEventRow extends Omit<WebhookEventInput, 'status'> {
  id: number;
  receivedAt: string;
  status: WebhookStatus;
  runId?: string;
}

export interface WebhookQuery {
  status?: WebhookStatus;
  since?: string;
  limit?: number;
}

export interface LockOptions {
  /** Who is asking, for the error message of the one who waits: `apply (ci job 42)`. */
  holder: string;
  /** How long to wait for the current holder before failing with STATE_LOCKED. */
  waitMs: number;
  /** A heartbeat older than this makes the lock stale (taken over). Default: the store's staleMs. */
  staleMs?: number;
  /** How often to look again while waiting. Default 200 ms. */
  pollMs?: number;
  /** How often the holder refreshes the heartbeat. Default: the store's heartbeatMs (a quarter of staleMs, at most 30 s). */
  heartbeatMs?: number;
}

export interface LockInfo {
  name: string;
  holder: string;
  pid: number;
  host: string;
  acquiredAt: string;
  heartbeatAt: string;
  /**
   * Present when the holder looks gone: its process is dead (same host), its heartbeat is old, or
   * (PostgreSQL) the database ended the session it held the lock with.
   */
  staleReason?: 'process-gone' | 'heartbeat-old' | 'session-ended';
}

export interface Lock {
  readonly info: LockInfo;
  /** The stale lock this one replaced, if any (reported to the user). */
  readonly tookOver: LockInfo | undefined;
  /** Throws STATE_LOCK_LOST when someone broke the lock (`state unlock`); call before each batch. */
  check(): Promise<void>;
  release(): Promise<void>;
}

export interface SecretInfo {
  name: string;
  createdAt: string;
  updatedAt: string;
}

export interface SecretStore {
  /** Load the master key now (MASTER_KEY_MISSING / MASTER_KEY_INVALID if it cannot be) and name it by its id. */
  checkKey(): Promise<{ keyId: string }>;
  set(name: string, value: string): Promise<void>;
  /** Throws SECRET_NOT_FOUND, MASTER_KEY_MISSING or SECRET_DECRYPT_FAILED; never returns garbage. */
  get(name: string): Promise<string>;
  has(name: string): Promise<boolean>;
  list(): Promise<SecretInfo[]>;
  /** True when the secret existed. */
  remove(name: string): Promise<boolean>;
  /** Re-encrypt every secret with `newKey` in one transaction; the store then uses `newKey`. */
  rotateKey(newKey: Buffer): Promise<{ count: number }>;
}

export interface OpenReport {
  path: string;
  created: boolean;
  migratedFrom: number;
  schemaVersion: number;
  /** Runs found `running` whose process is gone, now marked `interrupted`. */
  interruptedRuns: string[];
}
