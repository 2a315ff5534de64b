import { randomBytes } from 'node:crypto';
import { chunk, placeholdersFor, type BackendKind, type Queryable } from './sql.js';
import { StateError } from './errors.js';
import { describeOwner, type ProcessIdentity } from './process.js';
import type { FinalRunStatus, RunFinish, RunRow, RunStart } from './types.js';
import { scrub } from '../support/redact.js';

const FINAL: readonly FinalRunStatus[] = ['succeeded', 'failed', 'partial', 'interrupted', 'blocked'];

/** Sortable and readable: `20261127-011328-3fa9c1`. */
export function createRunId(nowMs: number): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** `now` is the run's business time (the injected clock); heartbeats use wall time (see lock.ts). */
export async function insertRun(q: Queryable, r: RunStart, id: string, now: string, me: ProcessIdentity): Promise<void> {
  if (!['plan', 'apply', 'serve', 'adopt'].includes(r.kind)) {
    throw new StateError('STATE_INVALID_INPUT', `Unknown run kind "${String(r.kind)}".`, { meta: { kind: r.kind } });
  }
  await q.run(
    `INSERT INTO runs (id, kind, trigger, git_commit, git_dirty, config_digest, mappings, started_at, status, counts, pid, host, heartbeat_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', '{}', ?, ?, ?)`,
    [id, r.kind, r.trigger, r.gitCommit ?? null, r.gitDirty === undefined ? null : Number(r.gitDirty), r.configDigest, JSON.stringify(r.mappings), now, me.pid, me.host, new Date().toISOString()],
  );
}

export async function completeRun(q: Queryable, id: string, r: RunFinish, now: string): Promise<void> {
  if (!FINAL.includes(r.status)) {
    throw new StateError('STATE_INVALID_INPUT', `Unknown final run status "${String(r.status)}".`, { meta: { runId: id, status: r.status } });
  }
  const res = await q.run(
    `UPDATE runs SET status = ?, finished_at = ?, heartbeat_at = ?, counts = ?, api_calls = ?, credits = ?, error = ? WHERE id = ?`,
    [r.status, now, new Date().toISOString(), JSON.stringify(r.counts), r.apiCalls, r.credits, r.error === undefined ? null : scrub(r.error), id],
  );
  if (res.changes === 0) throw unknownRun(id);
}

export function unknownRun(id: string): StateError {
  return new StateError('STATE_RUN_NOT_FOUND', `There is no run ${id} in the state database.`, {
    meta: { runId: id },
    hint: 'List runs with `ml-connector runs`.',
  });
}

interface RunDbRow {
  id: string;
  kind: RunRow['kind'];
  trigger: string;
  git_commit: string | null;
  git_dirty: number | null;
  config_digest: string;
  mappings: string;
  started_at: string;
  finished_at: string | null;
  status: RunRow['status'];
  counts: string;
  api_calls: number;
  credits: number;
  error: string | null;
  batches: number;
  pid: number;
  host: string;
  heartbeat_at: string | null;
}

function toRun(r: RunDbRow): RunRow {
  const run: RunRow = {
    id: r.id,
    kind: r.kind,
    trigger: r.trigger,
    configDigest: r.config_digest,
    mappings: JSON.parse(r.mappings) as string[],
    startedAt: r.started_at,
    status: r.status,
    counts: JSON.parse(r.counts) as Record<string, number>,
    apiCalls: r.api_calls,
    credits: r.credits,
    batches: r.batches,
    pid: r.pid,
    host: r.host,
    heartbeatAt: r.heartbeat_at ?? r.started_at,
  };
  if (r.git_commit !== null) run.gitCommit = r.git_commit;
  if (r.git_dirty !== null) run.gitDirty = r.git_dirty === 1;
  if (r.finished_at !== null) run.finishedAt = r.finished_at;
  if (r.error !== null) run.error = r.error;
  return run;
}

export async function readRuns(q: Queryable, limit: number): Promise<RunRow[]> {
  const rows = await q.all<RunDbRow>('SELECT * FROM runs ORDER BY started_at DESC, id DESC LIMIT ?', [limit]);
  return rows.map(toRun);
}

export async function readAllRuns(q: Queryable): Promise<RunRow[]> {
  return (await q.all<RunDbRow>('SELECT * FROM runs ORDER BY started_at, id')).map(toRun);
}

export async function readRun(q: Queryable, id: string): Promise<RunRow | undefined> {
  const row = await q.get<RunDbRow>('SELECT * FROM runs WHERE id = ?', [id]);
  return row && toRun(row);
}

export async function touchRuns(q: Queryable, ids: readonly string[]): Promise<void> {
  const now = new Date().toISOString();
  for (const part of chunk(ids)) {
    await q.run(`UPDATE runs SET heartbeat_at = ? WHERE status = 'running' AND id IN (${placeholdersFor(part.length)})`, [now, ...part]);
  }
}

/**
 * Runs still `running` whose process is gone (same host, pid not alive) or whose heartbeat is
 * older than `staleMs` (another host, or a reused pid) were killed or crashed: mark them
 * `interrupted` so history tells the truth. Returns their ids.
 */
export async function markInterruptedRuns(q: Queryable, finishedAt: string, staleMs: number, me: ProcessIdentity): Promise<string[]> {
  const nowMs = Date.now();
  const running = await q.all<RunDbRow>(`SELECT * FROM runs WHERE status = 'running'`);
  const gone: string[] = [];
  for (const row of running) {
    const run = toRun(row);
    const reason = describeOwner({ pid: run.pid, host: run.host, heartbeatAt: run.heartbeatAt }, nowMs, staleMs, me);
    if (reason === undefined) continue;
    const why = reason === 'process-gone' ? `process ${run.pid} on ${run.host} ended without finishing the run` : `no heartbeat from ${run.host} (pid ${run.pid}) since ${run.heartbeatAt}`;
    await q.run(`UPDATE runs SET status = 'interrupted', finished_at = ?, error = ? WHERE id = ? AND status = 'running'`, [
      finishedAt,
      `Interrupted: ${why} (killed or crashed). Committed batches (${run.batches}) are kept; rerun to finish.`,
      run.id,
    ]);
    gone.push(run.id);
  }
  return gone;
}

/** A mapping's last finished apply and its last successful one (serve's status after a restart). */
export interface MappingRunHistory {
  mapping: string;
  /** `counts`: this mapping's records applied by action (create, update, ...), from the audit trail. */
  last?: { runId: string; status: FinalRunStatus; finishedAt: string; trigger: string; counts: Record<string, number> };
  lastSuccessAt?: string;
}

/**
 * Per mapping named in any finished apply: the newest one with the mapping's records applied by
 * action, and when the newest successful one finished. One pass over the runs table with a
 * window function, then one indexed count of the audit trail per mapping.
 */
export async function readMappingHistory(q: Queryable, kind: BackendKind): Promise<MappingRunHistory[]> {
  // The one statement that needs each backend's way of expanding a JSON array into rows.
  const eachMapping = kind === 'postgres' ? 'json_array_elements_text(r.mappings::json) AS j(value)' : 'json_each(r.mappings) j';
  const rows = await q.all<{ mapping: string; id: string; status: FinalRunStatus; finished_at: string; trigger: string; last_success: string | null }>(
    `WITH per_mapping AS (
       SELECT j.value AS mapping, r.id, r.status, r.finished_at, r.trigger, r.counts, r.started_at,
              ROW_NUMBER() OVER (PARTITION BY j.value ORDER BY r.started_at DESC, r.id DESC) AS n,
              MAX(CASE WHEN r.status = 'succeeded' THEN r.finished_at END) OVER (PARTITION BY j.value) AS last_success
       FROM runs r, ${eachMapping}
       WHERE r.kind = 'apply' AND r.status != 'running' AND r.finished_at IS NOT NULL)
     SELECT mapping, id, status, finished_at, trigger, last_success FROM per_mapping WHERE n = 1 ORDER BY mapping`,
  );
  // The run row counts all its mappings together; the audit trail has each mapping's own.
  const perMapping = new Map<string, Record<string, number>>();
  for (const r of rows) {
    const counted = await q.all<{ action: string; n: number }>(`SELECT action, count(*) AS n FROM audit WHERE run_id = ? AND mapping = ? AND outcome = 'applied' GROUP BY action`, [r.id, r.mapping]);
    perMapping.set(r.mapping, Object.fromEntries(counted.map((c) => [c.action, c.n])));
  }
  return rows.map((r) => ({
    mapping: r.mapping,
    last: { runId: r.id, status: r.status, finishedAt: r.finished_at, trigger: r.trigger, counts: perMapping.get(r.mapping) ?? {} },
    ...(r.last_success ? { lastSuccessAt: r.last_success } : {}),
  }));
}
