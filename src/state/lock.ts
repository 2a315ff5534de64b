import { randomBytes } from 'node:crypto';
import type { LockBeacon, LockBeacons } from './backend.js';
import { StateError } from './errors.js';
import { describeOwner, type ProcessIdentity } from './process.js';
import type { Queryable, SqlDatabase } from './sql.js';
import type { Lock, LockInfo, LockOptions } from './types.js';
import { sleep } from '../support/clock.js';
import type { Logger } from '../support/log.js';

interface LockDbRow {
  name: string;
  holder: string;
  pid: number;
  host: string;
  token: string;
  acquired_at: string;
  heartbeat_at: string;
  /** PostgreSQL only: the backend of the holder's lock session. */
  session_pid?: number | null;
}

/**
 * Lock times are real wall time, never the injected clock: they are compared across processes,
 * and a simulator or demo may run one process a day ahead of another.
 */
export interface LockContext {
  db: SqlDatabase;
  logger: Logger;
  me: ProcessIdentity;
  staleMs: number;
  heartbeatMs: number;
  beacons?: LockBeacons;
}

function toInfo(r: LockDbRow, nowMs: number, staleMs: number, me: ProcessIdentity): LockInfo {
  const info: LockInfo = { name: r.name, holder: r.holder, pid: r.pid, host: r.host, acquiredAt: r.acquired_at, heartbeatAt: r.heartbeat_at };
  const reason = describeOwner({ pid: r.pid, host: r.host, heartbeatAt: r.heartbeat_at }, nowMs, staleMs, me);
  if (reason !== undefined) info.staleReason = reason;
  return info;
}

/** The row's holder, judged by pid and heartbeat and, where the backend can tell, by its session. */
async function judge(tx: Queryable, ctx: LockContext, r: LockDbRow, staleMs: number): Promise<LockInfo> {
  const info = toInfo(r, Date.now(), staleMs, ctx.me);
  if (info.staleReason === undefined && ctx.beacons && typeof r.session_pid === 'number' && (await ctx.beacons.sessionEnded(tx, r.name, r.session_pid))) {
    info.staleReason = 'session-ended';
  }
  return info;
}

type Attempt = { lock: LockDbRow; tookOver: LockInfo | undefined } | { heldBy: LockInfo };

/**
 * One try, in one transaction. Written so that it stays right when two processes try at once on a
 * database that does not serialise writers (PostgreSQL): the stale row is deleted only if it is
 * still the one judged, and the insert does nothing if someone else's row got there first.
 */
async function tryAcquire(tx: Queryable, ctx: LockContext, name: string, holder: string, staleMs: number): Promise<Attempt> {
  const current = async (): Promise<Attempt> => {
    const row = await tx.get<LockDbRow>('SELECT * FROM locks WHERE name = ?', [name]);
    return { heldBy: row ? toInfo(row, Date.now(), staleMs, ctx.me) : { name, holder: '(released meanwhile)', pid: 0, host: '', acquiredAt: '', heartbeatAt: '' } };
  };
  const existing = await tx.get<LockDbRow>('SELECT * FROM locks WHERE name = ?', [name]);
  let tookOver: LockInfo | undefined;
  if (existing) {
    const info = await judge(tx, ctx, existing, staleMs);
    if (info.staleReason === undefined) return { heldBy: info };
    tookOver = info;
    const removed = await tx.run('DELETE FROM locks WHERE name = ? AND token = ?', [name, existing.token]);
    if (removed.changes === 0) return current();
  }
  const now = new Date().toISOString();
  const row: LockDbRow = { name, holder, pid: ctx.me.pid, host: ctx.me.host, token: randomBytes(16).toString('hex'), acquired_at: now, heartbeat_at: now };
  const inserted = await tx.run('INSERT INTO locks (name, holder, pid, host, token, acquired_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING', [
    row.name, row.holder, row.pid, row.host, row.token, row.acquired_at, row.heartbeat_at,
  ]);
  if (inserted.changes === 0) return current();
  return { lock: row, tookOver };
}

/**
 * One holder per lock name per database. A lock row carries holder, pid, host and a heartbeat the
 * holder refreshes; a second caller polls until `waitMs` runs out and then fails naming the
 * holder. A holder that is provably gone (dead pid on this host, no heartbeat for `staleMs`, or
 * on PostgreSQL its lock session ended) is taken over and reported, so a crashed CI job never
 * blocks the next one forever.
 */
export async function acquireLock(ctx: LockContext, name: string, opts: LockOptions, onRelease: (lock: Lock) => void): Promise<Lock> {
  const staleMs = opts.staleMs ?? ctx.staleMs;
  const pollMs = opts.pollMs ?? 200;
  const deadline = Date.now() + Math.max(0, opts.waitMs);
  for (;;) {
    const attempt = await ctx.db.transaction((tx) => tryAcquire(tx, ctx, name, opts.holder, staleMs), `taking the ${name} lock`);
    if ('lock' in attempt) {
      if (attempt.tookOver) {
        ctx.logger.warn('took over a stale lock', { lock: name, previousHolder: attempt.tookOver.holder, pid: attempt.tookOver.pid, host: attempt.tookOver.host, reason: attempt.tookOver.staleReason });
      }
      const beacon = ctx.beacons ? await ctx.beacons.hold(name) : undefined;
      if (beacon?.sessionPid !== undefined) {
        await ctx.db.run('UPDATE locks SET session_pid = ? WHERE name = ? AND token = ?', [beacon.sessionPid, name, attempt.lock.token]);
      }
      return startHeldLock(ctx, attempt.lock, attempt.tookOver, beacon, opts.heartbeatMs ?? ctx.heartbeatMs, onRelease);
    }
    const left = deadline - Date.now();
    if (left <= 0) throw lockedError(ctx.db.path, attempt.heldBy, opts.waitMs, staleMs);
    await sleep(Math.min(pollMs, left));
  }
}

const formatMs = (ms: number): string => (ms < 10_000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`);

function lockedError(path: string, h: LockInfo, waitMs: number, staleMs: number): StateError {
  return new StateError(
    'STATE_LOCKED',
    `The state database ${path} is locked by "${h.holder}" (pid ${h.pid} on ${h.host}) since ${h.acquiredAt}; gave up after waiting ${formatMs(waitMs)}.`,
    {
      meta: { path, lock: h.name, holder: h.holder, pid: h.pid, host: h.host, since: h.acquiredAt, heartbeatAt: h.heartbeatAt, waitedMs: waitMs },
      hint: `Only one apply runs per state database. Wait for that run to end (or raise state.lockWaitSeconds). If it is gone, its lock is taken over once its heartbeat is ${Math.round(staleMs / 1000)} s old; \`ml-connector state unlock\` breaks it now.`,
    },
  );
}

function startHeldLock(ctx: LockContext, row: LockDbRow, tookOver: LockInfo | undefined, beacon: LockBeacon | undefined, heartbeatMs: number, onRelease: (lock: Lock) => void): Lock {
  let lost = false;
  let released = false;
  const info: LockInfo = { name: row.name, holder: row.holder, pid: row.pid, host: row.host, acquiredAt: row.acquired_at, heartbeatAt: row.heartbeat_at };
  const beat = async (): Promise<void> => {
    if (released || lost || ctx.db.isClosed) return;
    const now = new Date().toISOString();
    const res = await ctx.db.run('UPDATE locks SET heartbeat_at = ? WHERE name = ? AND token = ?', [now, row.name, row.token]);
    if (res.changes === 0) {
      lost = true;
      ctx.logger.error('lock lost: someone broke it', { lock: row.name });
    } else info.heartbeatAt = now;
  };
  const timer = setInterval(() => {
    beat().catch((err: unknown) => ctx.logger.warn('lock heartbeat failed', { lock: row.name, error: String((err as Error).message ?? err) }));
  }, heartbeatMs);
  // A heartbeat must never keep a finished CLI alive.
  timer.unref();
  const lock: Lock = {
    info,
    tookOver,
    async check() {
      if (!lost && !released) {
        const still = await ctx.db.get<{ token: string }>('SELECT token FROM locks WHERE name = ?', [row.name]);
        if (still?.token !== row.token) lost = true;
      }
      if (lost || released) {
        throw new StateError('STATE_LOCK_LOST', `The ${row.name} lock on ${ctx.db.path} is no longer held by this process (it was broken or released).`, {
          meta: { path: ctx.db.path, lock: row.name },
          hint: 'Someone ran `ml-connector state unlock` (or this process lost its database session and another took the lock over) while this run was active; stop and rerun so two applies never write at once.',
        });
      }
    },
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      onRelease(lock);
      try {
        if (!ctx.db.isClosed) await ctx.db.run('DELETE FROM locks WHERE name = ? AND token = ?', [row.name, row.token]);
      } finally {
        await beacon?.close();
      }
    },
  };
  return lock;
}

async function judgeAll(ctx: LockContext, rows: LockDbRow[]): Promise<LockInfo[]> {
  if (!ctx.beacons || !rows.some((r) => typeof r.session_pid === 'number')) return rows.map((r) => toInfo(r, Date.now(), ctx.staleMs, ctx.me));
  return ctx.db.transaction(async (tx) => {
    const out: LockInfo[] = [];
    for (const r of rows) out.push(await judge(tx, ctx, r, ctx.staleMs));
    return out;
  }, 'looking at locks');
}

export async function readLock(ctx: LockContext, name: string): Promise<LockInfo | undefined> {
  const row = await ctx.db.get<LockDbRow>('SELECT * FROM locks WHERE name = ?', [name]);
  return row && (await judgeAll(ctx, [row]))[0];
}

export async function readLocks(ctx: LockContext): Promise<LockInfo[]> {
  return judgeAll(ctx, await ctx.db.all<LockDbRow>('SELECT * FROM locks ORDER BY name'));
}

/** Delete the lock row whoever holds it; returns what was there (for the report). */
export async function removeLock(ctx: LockContext, name: string): Promise<LockInfo | undefined> {
  return ctx.db.transaction(async (tx) => {
    const row = await tx.get<LockDbRow>('SELECT * FROM locks WHERE name = ?', [name]);
    if (!row) return undefined;
    await tx.run('DELETE FROM locks WHERE name = ?', [name]);
    return judge(tx, ctx, row, ctx.staleMs);
  }, `breaking the ${name} lock`);
}
