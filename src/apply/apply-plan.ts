import type { Plan, PlanAction } from '../plan/index.js';
import type { Lock } from '../state/index.js';
import { MlError } from '../support/errors.js';
import { concurrencyOf, type ZohoClient } from '../zoho/index.js';
import { SUB_CONCURRENCY } from '../zoho/credits.js';
import { applyMapping } from './apply-mapping.js';
import type { Session } from './session.js';

export interface ApplyOptions {
  /** The plan came from a file: refuse a changed config, re-read touched records, skip moved ones. */
  saved?: boolean;
  allowLargeChange?: boolean;
  /** `cli`, `schedule:daily`, ... (recorded with the run). */
  trigger?: string;
  /** The configuration had uncommitted changes (`apply --allow-dirty`); recorded with the run. */
  gitDirty?: boolean;
  /** Held by the caller (plan and apply under one lock); otherwise taken here. */
  lock?: Lock;
  holder?: string;
  /** Stop: start no new batch; the batches in flight finish and are committed. */
  signal?: AbortSignal;
  /**
   * Stop now: cut the Zoho calls in flight too (serve's grace period is over). Their records are
   * reported failed; Zoho may hold them, and the next run's upsert by external id links them
   * without duplicates.
   */
  cutSignal?: AbortSignal;
  onProgress?: (p: { mapping: string; done: number; total: number }) => void;
}

export interface RecordOutcome {
  mapping: string;
  externalId: string;
  action: PlanAction['action'];
  outcome: 'applied' | 'failed' | 'skipped';
  zohoId?: string;
  code?: string;
  message?: string;
}

export interface MappingApplyReport {
  name: string;
  applied: number;
  failed: number;
  skipped: number;
  relinked: number;
  /** The watermark moved: the next incremental run starts after this one. */
  watermarkAdvanced: boolean;
}

export interface ApplyReport {
  runId: string;
  ok: boolean;
  interrupted: boolean;
  mappings: MappingApplyReport[];
  /** Failed and skipped records (applied ones are in the audit trail). */
  problems: RecordOutcome[];
  zohoCalls: number;
  /** Of those, the write calls (upsert, delete): what the plan's cost line counts. */
  writeCalls: number;
  credits: number;
}

const WRITE_KINDS = ['upsert', 'update', 'insert', 'delete'];
const writeCallsOf = (byKind: Record<string, number>): number => WRITE_KINDS.reduce((n, k) => n + (byKind[k] ?? 0), 0);

/** The lock every apply takes: one apply per state database at a time. */
export const APPLY_LOCK = 'apply';

export async function acquireApplyLock(session: Session, holder: string): Promise<Lock> {
  const waitMs = (session.config.project.state?.lockWaitSeconds ?? 60) * 1000;
  return session.store.acquireLock(APPLY_LOCK, { holder, waitMs });
}

function checkApplicable(session: Session, plan: Plan, o: ApplyOptions): void {
  if (o.saved && plan.configDigest !== session.config.digest()) {
    throw new MlError('PLAN_CONFIG_CHANGED', 'The configuration changed since this plan was made; it cannot be applied.', {
      meta: { planDigest: plan.configDigest, configDigest: session.config.digest() },
      hint: 'Make a new plan with `ml-connector plan --out plan.json` and review it.',
    });
  }
  const tripped = plan.mappings.flatMap((m) => m.guards.filter((g) => g.tripped).map((g) => `${m.name}: ${g.message}`));
  if (tripped.length > 0 && !(o.allowLargeChange || plan.allowLargeChange)) {
    throw new MlError('APPLY_GUARD_TRIPPED', `A guard stopped the apply before anything was written: ${tripped.join('; ')}.`, {
      meta: { guards: tripped },
      hint: 'If the change is real, run again with --allow-large-change (the audit trail records it); if not, check the PeopleSoft extract.',
    });
  }
}

/**
 * Apply a plan: per mapping in plan order, upsert batches of at most 100 by the external-id field
 * (concurrently up to the connection's limit), deletes by id, and commit each batch's links,
 * snapshots and audit rows in one transaction as soon as it returns. Per-record failures are
 * reported and audited, not linked, and retried next run; the rest goes on. The watermark moves
 * only for mappings that applied without a failure.
 */
export async function applyPlan(session: Session, plan: Plan, o: ApplyOptions = {}): Promise<ApplyReport> {
  checkApplicable(session, plan, o);
  const { store } = session;
  const lock = o.lock ?? (await acquireApplyLock(session, o.holder ?? `apply pid ${process.pid}`));
  const runId = await store.startRun({
    kind: 'apply', trigger: o.trigger ?? 'cli', configDigest: plan.configDigest,
    mappings: plan.mappings.map((m) => m.name), ...(plan.gitCommit ? { gitCommit: plan.gitCommit } : {}), ...(o.gitDirty !== undefined ? { gitDirty: o.gitDirty } : {}),
  });
  const report: ApplyReport = { runId, ok: true, interrupted: false, mappings: [], problems: [], zohoCalls: 0, writeCalls: 0, credits: 0 };
  const clients = new Map<string, { client: ZohoClient; calls: number; writes: number; credits: number }>();
  const counts: Record<string, number> = {};
  let error: unknown;
  try {
    for (const mp of plan.mappings) {
      if (o.signal?.aborted) {
        report.interrupted = true;
        break;
      }
      const mapping = session.config.mappings.get(mp.name);
      if (!mapping) throw new MlError('PLAN_UNKNOWN_MAPPING', `The plan names mapping ${mp.name}, which the configuration does not have.`, { hint: 'Make a new plan.' });
      const client = await session.zoho(mapping.target.connection);
      if (!clients.has(mapping.target.connection)) {
        const s = client.stats();
        clients.set(mapping.target.connection, { client, calls: s.calls, writes: writeCallsOf(s.callsByKind), credits: s.credits });
      }
      const conn = session.config.zoho.get(mapping.target.connection);
      // Upserts of more than 10 records share Zoho's sub-concurrency of 10 whatever the edition:
      // more batches in flight would only wait in the client's queue, holding memory.
      const concurrency = Math.min(conn ? concurrencyOf(conn) : SUB_CONCURRENCY, SUB_CONCURRENCY);
      const mr = await applyMapping(session, mp, client, { ...o, runId, lock, concurrency, allowLargeChange: o.allowLargeChange ?? plan.allowLargeChange }, report);
      report.mappings.push(mr);
      for (const k of ['applied', 'failed', 'skipped'] as const) counts[k] = (counts[k] ?? 0) + mr[k];
    }
  } catch (err) {
    error = err;
  } finally {
    for (const c of clients.values()) {
      const s = c.client.stats();
      report.zohoCalls += s.calls - c.calls;
      report.writeCalls += writeCallsOf(s.callsByKind) - c.writes;
      report.credits += s.credits - c.credits;
    }
    report.ok = error === undefined && !report.interrupted && report.problems.length === 0;
    const status = error !== undefined ? 'failed' : report.interrupted ? 'interrupted' : report.ok ? 'succeeded' : 'partial';
    await store.finishRun(runId, {
      status, counts, apiCalls: report.zohoCalls, credits: report.credits,
      ...(error !== undefined ? { error: error instanceof Error ? error.message : String(error) } : {}),
    }).catch(() => undefined);
    if (!o.lock) await lock.release().catch(() => undefined);
  }
  if (error !== undefined) throw error;
  return report;
}
