/**
 * Which `serve` replica runs the schedules: the one holding the `serve` lock in the shared state
 * database. The others stand by and try to take the lock every quarter lease; a leader that dies
 * is replaced when its lock is provably gone (its pid is dead on this host, PostgreSQL ended its
 * session) or its heartbeat is a lease old, so within a minute at the default 45 s lease.
 */
import type { Lock, StateStore } from '../state/index.js';
import { isMlError } from '../support/errors.js';
import type { Logger } from '../support/log.js';

export const LEADER_LOCK = 'serve';
export const DEFAULT_LEASE_MS = 45_000;

export interface LeaderElection {
  isLeader(): boolean;
  /** Begin trying; `onChange` is called with true when elected and false when deposed. */
  start(onChange: (leader: boolean) => void): void;
  /** Step down (releasing the lock, so a standby takes over at once) and stop trying. */
  stop(): Promise<void>;
}

export interface LeaderOptions {
  store: Pick<StateStore, 'acquireLock'>;
  holder: string;
  logger: Logger;
  leaseMs?: number;
}

export function createLeaderElection(o: LeaderOptions): LeaderElection {
  const leaseMs = o.leaseMs ?? DEFAULT_LEASE_MS;
  const everyMs = Math.max(50, Math.floor(leaseMs / 4));
  let lock: Lock | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let saidStandby = false;
  let notify: (leader: boolean) => void = () => undefined;

  const step = async (): Promise<void> => {
    if (lock) {
      try {
        await lock.check();
      } catch (err) {
        if (!isMlError(err) || err.code !== 'STATE_LOCK_LOST') {
          o.logger.warn('leader lock could not be checked; still leading', { error: err instanceof Error ? err.message : String(err) });
          return;
        }
        lock = undefined;
        o.logger.warn('leadership lost: another replica holds the serve lock; standing by');
        notify(false);
      }
      return;
    }
    try {
      lock = await o.store.acquireLock(LEADER_LOCK, { holder: o.holder, waitMs: 0, staleMs: leaseMs, heartbeatMs: everyMs });
    } catch (err) {
      if (!isMlError(err) || err.code !== 'STATE_LOCKED') o.logger.warn('leader election failed; retrying', { error: err instanceof Error ? err.message : String(err) });
      else if (!saidStandby) o.logger.info('standby: another replica runs the schedules', { leader: err.meta?.holder });
      saidStandby = true;
      return;
    }
    if (stopped) {
      await lock.release();
      lock = undefined;
      return;
    }
    saidStandby = false;
    o.logger.info('leader: this replica runs the schedules', { ...(lock.tookOver ? { tookOverFrom: lock.tookOver.holder, reason: lock.tookOver.staleReason } : {}) });
    notify(true);
  };

  const loop = (): void => {
    timer = setTimeout(() => {
      void step().finally(() => {
        if (!stopped) loop();
      });
    }, everyMs);
  };

  return {
    isLeader: () => lock !== undefined,
    start(onChange) {
      notify = onChange;
      void step().finally(() => {
        if (!stopped) loop();
      });
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      const held = lock;
      lock = undefined;
      await held?.release().catch(() => undefined);
    },
  };
}
