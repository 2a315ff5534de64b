import type { StateBackend } from './backend.js';
import { StateError } from './errors.js';
import { insertAudit, insertWebhookEvent, parseSince, selectAudit, selectWebhookEvents, updateWebhookEvents } from './audit.js';
import { checkExport, exportState, importState, type StateExport } from './export.js';
import {
  clearMappingCache, countLinks, findLinkByZohoId, readAllWatermarks, readLinkPage, readLinks, readLinksByKeys, readSnapshots,
  readSnapshotsByKeys, readSourceHashes, readSourceHashesByKeys, readWatermark, removeLinks, removeSnapshots, removeSourceHashes,
  writeLinks, writeSnapshots, writeSourceHashes, writeWatermark,
} from './links.js';
import { readHistories, writeHistories } from './histories.js';
import { acquireLock, readLock, readLocks, removeLock, type LockContext } from './lock.js';
import { findPairingByZohoId, readAllPairings, readPairings, removePairingRows, writePairing } from './pairings.js';
import type { MasterKeySource } from './master-key.js';
import { currentProcess, describeOwner, type ProcessIdentity } from './process.js';
import { completeRun, createRunId, insertRun, markInterruptedRuns, readMappingHistory, readRun, readRuns, touchRuns, unknownRun, type MappingRunHistory } from './runs.js';
import { EncryptedSecretStore } from './secrets.js';
import type { BackendKind, SqlDatabase } from './sql.js';
import { SqliteBackend } from './sqlite-backend.js';
import { describeTarget, parseStateTarget, type StateTarget } from './target.js';
import type {
  AuditInput, AuditQuery, AuditRow, BatchCommit, HistoryInput, Link, LinkInput, Lock, LockInfo, LockOptions, OpenReport, Pairing, PairingInput, RunFinish, RunRow,
  RunStart, SecretStore, Snapshot, SnapshotInput, SourceHashInput, Watermark, WatermarkInput, WebhookEventInput, WebhookEventRow,
  WebhookQuery, WebhookStatus,
} from './types.js';
import type { StoredHistory } from '../model/index.js';
import { systemClock, type Clock } from '../support/clock.js';
import { silentLogger, type Logger } from '../support/log.js';

export interface StateStoreOptions extends MasterKeySource {
  clock?: Clock;
  /** Open without writing: no migration, no interrupted-run marking. The file must exist and be current. */
  readonly?: boolean;
  /** Create the file when missing (default true unless readonly); false gives STATE_NOT_FOUND. */
  create?: boolean;
  logger?: Logger;
  /** A run or lock whose heartbeat is older than this is considered gone. Default 300 s (Project `state.staleLockSeconds`). */
  staleMs?: number;
  /** How often live runs and locks refresh their heartbeat. Default min(30 s, staleMs / 4). */
  heartbeatMs?: number;
  busyTimeoutMs?: number;
  synchronous?: 'normal' | 'full';
  /** Cap on the database size in pages (see DbOptions.maxPages). */
  maxPages?: number;
  /** Who this process is (tests play other processes with it). */
  identity?: ProcessIdentity;
}

export interface StateStats {
  backend: BackendKind;
  path: string;
  schemaVersion: number;
  sizeBytes: number;
  walBytes: number;
  rows: Record<'links' | 'snapshots' | 'sourceHashes' | 'histories' | 'watermarks' | 'pairings' | 'facts' | 'runs' | 'audit' | 'webhookEvents' | 'secrets' | 'locks', number>;
}

export interface StateStore {
  /** Where it is, for messages: the file, or the PostgreSQL URL without password and the schema. */
  readonly path: string;
  readonly backend: BackendKind;
  /** What happened on open (migration, runs marked interrupted). */
  readonly opened: OpenReport;
  readonly secrets: SecretStore;
  close(): Promise<void>;

  /** Every link of a mapping (small mappings, exports and tests; the engine reads by keys or pages). */
  getLinks(mapping: string): Promise<Map<string, Link>>;
  /** The links of these external ids (one page of records). */
  getLinksByKeys(mapping: string, keys: readonly string[]): Promise<Map<string, Link>>;
  /** Links in external-id order, a page at a time. */
  scanLinks(mapping: string, pageSize?: number): AsyncIterable<Link[]>;
  countLinks(mapping: string): Promise<number>;
  upsertLinks(mapping: string, links: LinkInput[]): Promise<void>;
  deleteLinks(mapping: string, externalIds: string[]): Promise<void>;
  findLinkByZohoId(module: string, zohoId: string): Promise<{ mapping: string; externalId: string } | undefined>;

  /**
   * Store an explicit pairing (`ml-connector adopt`), with its audit row in the same transaction.
   * Throws STATE_PAIRING_CONFLICT when the Zoho record is paired with another source record.
   */
  putPairing(pairing: PairingInput, audit?: AuditInput): Promise<void>;
  /** Pairings of these source records of a mapping (batched; absent keys have none). */
  getPairings(mapping: string, keys: readonly string[]): Promise<Map<string, Pairing>>;
  /** Remove pairings (with their audit rows); returns how many existed. */
  removePairings(mapping: string, keys: readonly string[], audit?: AuditInput[]): Promise<number>;
  /** The pairing that claims a Zoho record, if any. */
  findPairingByZohoId(module: string, zohoId: string): Promise<Pairing | undefined>;
  /** Every pairing (or one mapping's), in key order. */
  listPairings(mapping?: string): Promise<Pairing[]>;

  putSnapshots(mapping: string, rows: SnapshotInput[]): Promise<void>;
  /** After a full read of Zoho: the snapshots become exactly `rows` (records gone from Zoho drop out). */
  replaceSnapshots(mapping: string, rows: SnapshotInput[]): Promise<void>;
  deleteSnapshots(mapping: string, externalIds: string[]): Promise<void>;
  getSnapshots(mapping: string): Promise<Map<string, Snapshot>>;
  getSnapshotsByKeys(mapping: string, keys: readonly string[]): Promise<Map<string, Snapshot>>;

  getSourceHashes(mapping: string): Promise<Map<string, string>>;
  getSourceHashesByKeys(mapping: string, keys: readonly string[]): Promise<Map<string, string>>;
  deleteSourceHashes(mapping: string, keys: readonly string[]): Promise<void>;
  putSourceHashes(mapping: string, rows: SourceHashInput[]): Promise<void>;
  replaceSourceHashes(mapping: string, rows: SourceHashInput[]): Promise<void>;

  /**
   * Stored whole histories of `keys` in `scope` (a connection and entity, `peoplesoft-hcm/employees`);
   * keys without one are absent from the map. One call per page of a read.
   */
  getHistories(scope: string, keys: readonly string[]): Promise<Map<string, StoredHistory>>;
  /** Store (replace) whole histories: apply does, for the records that carry `history`; plan never does. */
  putHistories(scope: string, rows: readonly HistoryInput[]): Promise<void>;

  getWatermark(mapping: string): Promise<Watermark | undefined>;
  setWatermark(mapping: string, w: WatermarkInput): Promise<void>;
  listWatermarks(): Promise<Array<Watermark & { mapping: string }>>;
  /** Forget links, snapshots, source hashes and the watermark of a mapping. */
  clearMapping(mapping: string): Promise<void>;

  /** A small remembered value (not a secret), e.g. the Zoho user id a connection acts as. */
  getFact(name: string): Promise<string | undefined>;
  setFact(name: string, value: string): Promise<void>;

  startRun(r: RunStart): Promise<string>;
  finishRun(runId: string, r: RunFinish): Promise<void>;
  listRuns(opts?: { limit?: number }): Promise<RunRow[]>;
  getRun(id: string): Promise<RunRow | undefined>;
  /** Per mapping: the last finished apply and when the last successful one finished. */
  mappingHistory(): Promise<MappingRunHistory[]>;

  recordAudit(rows: AuditInput[]): Promise<void>;
  queryAudit(q: AuditQuery): Promise<AuditRow[]>;
  /** One applied batch (links, unlinks, snapshots, audit, run progress) in ONE transaction. */
  commitBatch(b: BatchCommit): Promise<void>;

  recordWebhookEvent(e: WebhookEventInput): Promise<number>;
  listWebhookEvents(q?: WebhookQuery): Promise<WebhookEventRow[]>;
  markWebhookEvents(ids: number[], status: WebhookStatus, runId?: string): Promise<void>;

  acquireLock(name: string, opts: LockOptions): Promise<Lock>;
  inspectLock(name: string): Promise<LockInfo | undefined>;
  listLocks(): Promise<LockInfo[]>;
  breakLock(name: string): Promise<LockInfo | undefined>;

  /**
   * Delete history older than `olderThan` (a date, or a duration back such as `90d`): finished runs
   * that started before it with their audit rows, and webhook events received before it. Running
   * runs are kept. Links, watermarks and secrets are not history and are never pruned.
   */
  pruneHistory(olderThan: string): Promise<{ runs: number; audit: number; webhookEvents: number; before: string }>;
  stats(): Promise<StateStats>;
  /** ['ok'], or the problems found (SQLite: PRAGMA quick_check; PostgreSQL: tables and version present). */
  checkIntegrity(): Promise<string[]>;
  /** Everything but secrets and locks, in a portable shape. */
  export(): Promise<StateExport>;
  /** Replace everything but secrets and locks with an export; refused while a live lock is held. */
  import(data: unknown): Promise<void>;
}

export const DEFAULT_STALE_MS = 300_000;

const backends = new WeakMap<StateStore, StateBackend>();

/** The backend under a store, for whole-state operations that work on tables (copy.ts). */
export function backendOf(store: StateStore): StateBackend {
  const b = backends.get(store);
  if (!b) throw new StateError('STATE_ERROR', 'Not a store opened by openStateStore.');
  return b;
}

/**
 * Open the state database: a SQLite file (a path, `sqlite:PATH`, `:memory:`) or a PostgreSQL
 * schema (a `postgres://` URL or a PostgresTarget); create it if needed, migrate it, and mark runs
 * whose process died as interrupted. Throws StateError STATE_TOO_NEW, STATE_CORRUPT,
 * STATE_READONLY, STATE_DISK_FULL, STATE_NOT_FOUND, STATE_UNAVAILABLE, STATE_AUTH_FAILED with a
 * hint saying what to do.
 */
export async function openStateStore(target: string | StateTarget, opts: StateStoreOptions = {}): Promise<StateStore> {
  const t = typeof target === 'string' ? parseStateTarget(target) : target;
  const readonly = opts.readonly ?? false;
  const { backend, existed } = t.backend === 'sqlite'
    ? await SqliteBackend.open(t.path, {
      readonly,
      ...(opts.create === undefined ? {} : { create: opts.create }),
      ...(opts.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: opts.busyTimeoutMs }),
      ...(opts.synchronous === undefined ? {} : { synchronous: opts.synchronous }),
      ...(opts.maxPages === undefined ? {} : { maxPages: opts.maxPages }),
    })
    // Loaded only for PostgreSQL: a SQLite user never loads pg.
    : await (await import('./postgres/backend.js')).PostgresBackend.open(t, { readonly, ...(opts.logger ? { logger: opts.logger } : {}) });
  try {
    if (t.backend === 'postgres' && !existed && (readonly || opts.create === false)) {
      throw new StateError('STATE_NOT_FOUND', `There is no state in ${describeTarget(t)}.`, {
        meta: { path: describeTarget(t) },
        hint: 'Run `ml-connector plan` or `apply` first (they create the schema and its tables), or check state.postgres.schema and the database in the URL.',
      });
    }
    return await initStore(backend, existed, opts);
  } catch (err) {
    await backend.db.close().catch(() => undefined);
    throw err;
  }
}

async function initStore(backend: StateBackend, existed: boolean, opts: StateStoreOptions): Promise<StateStore> {
  const { db } = backend;
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger;
  const me = opts.identity ?? currentProcess();
  const staleMs = opts.staleMs ?? DEFAULT_STALE_MS;
  const heartbeatMs = opts.heartbeatMs ?? Math.max(10, Math.min(30_000, Math.floor(staleMs / 4)));
  let from: number;
  let interruptedRuns: string[] = [];
  if (db.readonly) {
    from = await backend.readVersion();
    if (from > backend.latestVersion) throw backend.tooNew(from);
    if (from < backend.latestVersion) {
      throw new StateError('STATE_OUTDATED', `The state database ${db.path} has schema version ${from} and must be migrated to ${backend.latestVersion} before a read-only open.`, {
        meta: { path: db.path, schemaVersion: from, expected: backend.latestVersion },
        hint: 'Run any command that writes (e.g. `ml-connector state show`) once with write access; it migrates the database.',
      });
    }
  } else {
    from = (await backend.migrate()).from;
    if (from > 0 && from < backend.latestVersion) logger.info('state database migrated', { path: db.path, from, to: backend.latestVersion });
    interruptedRuns = await db.transaction((tx) => markInterruptedRuns(tx, new Date(clock.now()).toISOString(), staleMs, me), 'marking interrupted runs');
    for (const id of interruptedRuns) logger.warn('run was interrupted (its process ended without finishing it)', { runId: id });
  }
  const opened: OpenReport = { path: db.path, created: !existed, migratedFrom: from, schemaVersion: backend.latestVersion, interruptedRuns };
  const store = new SqlStateStore(backend, { clock, logger, me, staleMs, heartbeatMs }, opts, opened);
  backends.set(store, backend);
  return store;
}

/** The store over either backend: every query here and in the table modules is shared. */
class SqlStateStore implements StateStore {
  readonly secrets: SecretStore;
  private readonly lockCtx: LockContext;
  private readonly activeRuns = new Set<string>();
  private readonly heldLocks = new Set<Lock>();
  private runTimer: NodeJS.Timeout | undefined;

  private readonly db: SqlDatabase;

  constructor(
    private readonly backendOf: StateBackend,
    private readonly ctx: { clock: Clock; logger: Logger; me: ProcessIdentity; staleMs: number; heartbeatMs: number },
    keySource: MasterKeySource,
    readonly opened: OpenReport,
  ) {
    this.db = backendOf.db;
    this.secrets = new EncryptedSecretStore(this.db, ctx.clock, keySource, ctx.logger);
    this.lockCtx = {
      db: this.db, logger: ctx.logger, me: ctx.me, staleMs: ctx.staleMs, heartbeatMs: ctx.heartbeatMs,
      ...(backendOf.beacons ? { beacons: backendOf.beacons } : {}),
    };
  }

  get path(): string {
    return this.db.path;
  }

  get backend(): BackendKind {
    return this.db.kind;
  }

  private now(): string {
    return new Date(this.ctx.clock.now()).toISOString();
  }

  async close(): Promise<void> {
    if (this.runTimer) clearInterval(this.runTimer);
    for (const lock of [...this.heldLocks]) await lock.release().catch(() => undefined);
    await this.db.close();
  }

  getLinks(mapping: string): Promise<Map<string, Link>> {
    return readLinks(this.db, mapping);
  }
  getLinksByKeys(mapping: string, keys: readonly string[]): Promise<Map<string, Link>> {
    return readLinksByKeys(this.db, mapping, keys);
  }
  async *scanLinks(mapping: string, pageSize = 5000): AsyncIterable<Link[]> {
    let after: string | undefined;
    for (;;) {
      const page = await readLinkPage(this.db, mapping, after, pageSize);
      if (page.length === 0) return;
      yield page;
      if (page.length < pageSize) return;
      after = page[page.length - 1]!.externalId;
    }
  }
  countLinks(mapping: string): Promise<number> {
    return countLinks(this.db, mapping);
  }
  upsertLinks(mapping: string, links: LinkInput[]): Promise<void> {
    return this.db.transaction((tx) => writeLinks(tx, mapping, links, this.now()), `saving links of ${mapping}`);
  }
  deleteLinks(mapping: string, externalIds: string[]): Promise<void> {
    return this.db.transaction((tx) => removeLinks(tx, mapping, externalIds), `deleting links of ${mapping}`);
  }
  findLinkByZohoId(module: string, zohoId: string): Promise<{ mapping: string; externalId: string } | undefined> {
    return findLinkByZohoId(this.db, module, zohoId);
  }

  putPairing(pairing: PairingInput, audit?: AuditInput): Promise<void> {
    return this.db.transaction(async (tx) => {
      const now = this.now();
      await writePairing(tx, pairing, now);
      if (audit) await insertAudit(tx, [audit], now);
    }, `pairing ${pairing.mapping} ${pairing.externalId}`);
  }
  getPairings(mapping: string, keys: readonly string[]): Promise<Map<string, Pairing>> {
    return readPairings(this.db, mapping, keys);
  }
  removePairings(mapping: string, keys: readonly string[], audit: AuditInput[] = []): Promise<number> {
    return this.db.transaction(async (tx) => {
      const removed = await removePairingRows(tx, mapping, keys);
      if (audit.length > 0) await insertAudit(tx, audit, this.now());
      return removed;
    }, `removing pairings of ${mapping}`);
  }
  findPairingByZohoId(module: string, zohoId: string): Promise<Pairing | undefined> {
    return findPairingByZohoId(this.db, module, zohoId);
  }
  listPairings(mapping?: string): Promise<Pairing[]> {
    return readAllPairings(this.db, mapping);
  }

  putSnapshots(mapping: string, rows: SnapshotInput[]): Promise<void> {
    return this.db.transaction((tx) => writeSnapshots(tx, mapping, rows, this.now()), `saving snapshots of ${mapping}`);
  }
  replaceSnapshots(mapping: string, rows: SnapshotInput[]): Promise<void> {
    return this.db.transaction(async (tx) => {
      await removeSnapshots(tx, mapping, 'all');
      await writeSnapshots(tx, mapping, rows, this.now());
    }, `replacing snapshots of ${mapping}`);
  }
  deleteSnapshots(mapping: string, externalIds: string[]): Promise<void> {
    return this.db.transaction((tx) => removeSnapshots(tx, mapping, externalIds), `deleting snapshots of ${mapping}`);
  }
  getSnapshots(mapping: string): Promise<Map<string, Snapshot>> {
    return readSnapshots(this.db, mapping);
  }
  getSnapshotsByKeys(mapping: string, keys: readonly string[]): Promise<Map<string, Snapshot>> {
    return readSnapshotsByKeys(this.db, mapping, keys);
  }

  getSourceHashes(mapping: string): Promise<Map<string, string>> {
    return readSourceHashes(this.db, mapping);
  }
  getSourceHashesByKeys(mapping: string, keys: readonly string[]): Promise<Map<string, string>> {
    return readSourceHashesByKeys(this.db, mapping, keys);
  }
  deleteSourceHashes(mapping: string, keys: readonly string[]): Promise<void> {
    return this.db.transaction((tx) => removeSourceHashes(tx, mapping, keys), `deleting source hashes of ${mapping}`);
  }
  putSourceHashes(mapping: string, rows: SourceHashInput[]): Promise<void> {
    return this.db.transaction((tx) => writeSourceHashes(tx, mapping, rows, false), `saving source hashes of ${mapping}`);
  }
  replaceSourceHashes(mapping: string, rows: SourceHashInput[]): Promise<void> {
    return this.db.transaction((tx) => writeSourceHashes(tx, mapping, rows, true), `replacing source hashes of ${mapping}`);
  }

  getHistories(scope: string, keys: readonly string[]): Promise<Map<string, StoredHistory>> {
    return readHistories(this.db, scope, keys);
  }
  putHistories(scope: string, rows: readonly HistoryInput[]): Promise<void> {
    return this.db.transaction((tx) => writeHistories(tx, scope, rows, this.now()), `saving histories of ${scope}`);
  }

  getWatermark(mapping: string): Promise<Watermark | undefined> {
    return readWatermark(this.db, mapping);
  }
  setWatermark(mapping: string, w: WatermarkInput): Promise<void> {
    return this.db.transaction((tx) => writeWatermark(tx, mapping, w, this.now()), `saving the watermark of ${mapping}`);
  }
  listWatermarks(): Promise<Array<Watermark & { mapping: string }>> {
    return readAllWatermarks(this.db);
  }
  clearMapping(mapping: string): Promise<void> {
    return this.db.transaction((tx) => clearMappingCache(tx, mapping), `clearing ${mapping}`);
  }

  async getFact(name: string): Promise<string | undefined> {
    return (await this.db.get<{ value: string }>('SELECT value FROM facts WHERE name = ?', [name]))?.value;
  }
  setFact(name: string, value: string): Promise<void> {
    return this.db.transaction(async (tx) => {
      await tx.run('INSERT INTO facts (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at', [name, value, this.now()]);
    }, 'saving a fact');
  }

  async startRun(r: RunStart): Promise<string> {
    const id = createRunId(this.ctx.clock.now());
    await this.db.transaction((tx) => insertRun(tx, r, id, this.now(), this.ctx.me), 'starting a run');
    this.activeRuns.add(id);
    this.runTimer ??= this.startRunHeartbeat();
    return id;
  }

  /** Live runs refresh their heartbeat so another host can tell them from crashed ones. */
  private startRunHeartbeat(): NodeJS.Timeout {
    const timer = setInterval(() => {
      if (this.activeRuns.size === 0 || this.db.isClosed) return;
      touchRuns(this.db, [...this.activeRuns]).catch((err: unknown) =>
        this.ctx.logger.warn('run heartbeat failed', { error: err instanceof Error ? err.message : String(err) }),
      );
    }, this.ctx.heartbeatMs);
    timer.unref();
    return timer;
  }

  async finishRun(runId: string, r: RunFinish): Promise<void> {
    await this.db.transaction((tx) => completeRun(tx, runId, r, this.now()), 'finishing a run');
    this.activeRuns.delete(runId);
  }
  listRuns(opts: { limit?: number } = {}): Promise<RunRow[]> {
    return readRuns(this.db, Math.max(1, opts.limit ?? 50));
  }
  getRun(id: string): Promise<RunRow | undefined> {
    return readRun(this.db, id);
  }
  mappingHistory(): Promise<MappingRunHistory[]> {
    return readMappingHistory(this.db, this.db.kind);
  }

  recordAudit(rows: AuditInput[]): Promise<void> {
    return this.db.transaction((tx) => insertAudit(tx, rows, this.now()), 'writing audit rows');
  }
  queryAudit(q: AuditQuery): Promise<AuditRow[]> {
    return selectAudit(this.db, q, this.ctx.clock.now());
  }

  commitBatch(b: BatchCommit): Promise<void> {
    return this.db.transaction(async (tx) => {
      const now = this.now();
      const progress = await tx.run('UPDATE runs SET batches = batches + 1, heartbeat_at = ? WHERE id = ?', [new Date().toISOString(), b.runId]);
      if (progress.changes === 0) throw unknownRun(b.runId);
      await writeLinks(tx, b.mapping, b.links, now);
      if (b.unlinked?.length) await removeLinks(tx, b.mapping, b.unlinked);
      if (b.unpaired?.length) await removePairingRows(tx, b.mapping, b.unpaired);
      if (b.snapshots?.length) await writeSnapshots(tx, b.mapping, b.snapshots, now);
      await insertAudit(tx, b.audit, now);
    }, `committing a batch of ${b.mapping}`);
  }

  recordWebhookEvent(e: WebhookEventInput): Promise<number> {
    return this.db.transaction((tx) => insertWebhookEvent(tx, e, this.now()), 'recording a webhook event');
  }
  listWebhookEvents(q: WebhookQuery = {}): Promise<WebhookEventRow[]> {
    return selectWebhookEvents(this.db, q, this.ctx.clock.now());
  }
  markWebhookEvents(ids: number[], status: WebhookStatus, runId?: string): Promise<void> {
    return this.db.transaction((tx) => updateWebhookEvents(tx, ids, status, runId), 'updating webhook events');
  }

  async acquireLock(name: string, opts: LockOptions): Promise<Lock> {
    const lock = await acquireLock(this.lockCtx, name, opts, (l) => this.heldLocks.delete(l));
    this.heldLocks.add(lock);
    return lock;
  }
  inspectLock(name: string): Promise<LockInfo | undefined> {
    return readLock(this.lockCtx, name);
  }
  listLocks(): Promise<LockInfo[]> {
    return readLocks(this.lockCtx);
  }
  breakLock(name: string): Promise<LockInfo | undefined> {
    return removeLock(this.lockCtx, name);
  }

  async pruneHistory(olderThan: string): Promise<{ runs: number; audit: number; webhookEvents: number; before: string }> {
    const before = parseSince(olderThan, this.ctx.clock.now());
    return this.db.transaction(async (tx) => {
      const old = `SELECT id FROM runs WHERE status <> 'running' AND started_at < ?`;
      const audit = await tx.run(`DELETE FROM audit WHERE run_id IN (${old})`, [before]);
      const runs = await tx.run(`DELETE FROM runs WHERE status <> 'running' AND started_at < ?`, [before]);
      const events = await tx.run('DELETE FROM webhook_events WHERE received_at < ?', [before]);
      return { runs: runs.changes, audit: audit.changes, webhookEvents: events.changes, before };
    }, 'pruning history');
  }

  async stats(): Promise<StateStats> {
    const count = async (table: string): Promise<number> => (await this.db.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))?.n ?? 0;
    return {
      backend: this.db.kind,
      path: this.db.path,
      schemaVersion: await this.backendOf.readVersion(),
      ...(await this.backendOf.sizes()),
      rows: {
        links: await count('links'),
        snapshots: await count('snapshots'),
        sourceHashes: await count('source_hashes'),
        histories: await count('histories'),
        watermarks: await count('watermarks'),
        pairings: await count('pairings'),
        facts: await count('facts'),
        runs: await count('runs'),
        audit: await count('audit'),
        webhookEvents: await count('webhook_events'),
        secrets: await count('secrets'),
        locks: await count('locks'),
      },
    };
  }

  checkIntegrity(): Promise<string[]> {
    return this.backendOf.checkIntegrity();
  }

  async export(): Promise<StateExport> {
    const events = await selectWebhookEvents(this.db, { limit: Number.MAX_SAFE_INTEGER }, this.ctx.clock.now());
    return exportState(this.db, this.now(), events, this.backendOf.latestVersion);
  }

  async import(data: unknown): Promise<void> {
    const checked = checkExport(data);
    await this.db.transaction(async (tx) => {
      const locks = await tx.all<{ name: string; holder: string; pid: number; host: string; heartbeat_at: string; acquired_at: string }>('SELECT * FROM locks');
      for (const l of locks) {
        if (describeOwner({ pid: l.pid, host: l.host, heartbeatAt: l.heartbeat_at }, Date.now(), this.ctx.staleMs, this.ctx.me) === undefined) {
          throw new StateError('STATE_LOCKED', `Cannot import while "${l.holder}" (pid ${l.pid} on ${l.host}) holds the ${l.name} lock since ${l.acquired_at}.`, {
            meta: { lock: l.name, holder: l.holder, pid: l.pid, host: l.host, since: l.acquired_at },
            hint: 'Wait for that run to finish, then import again.',
          });
        }
      }
      await importState(tx, checked);
      await this.backendOf.afterExplicitIds(tx);
    }, 'importing state', { lockTables: ['locks'] });
  }
}
