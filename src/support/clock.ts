import { setMaxListeners } from 'node:events';
/** Time as the code sees it; tests and simulators swap in a clock they can advance. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told to (simulators, tests). Starts at `start` or real now. */
export class ManualClock implements Clock {
  private current: number;
  constructor(start: number | Date = Date.now()) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(to: number | Date): void {
    this.current = typeof to === 'number' ? to : to.getTime();
  }
}

/**
 * A clock that runs with real time from an offset, so a simulator can "move a day" while
 * timers and latency still behave in real time.
 */
export class OffsetClock implements Clock {
  private offset = 0;
  constructor(private readonly base: Clock = systemClock) {}
  now(): number {
    return this.base.now() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

/**
 * A run's stop signal is shared by every call of the run at once: the queued and in-flight Zoho
 * calls (p-queue adds one abort listener per queued job) and every backoff sleep. Dozens of
 * listeners on it are the design, not a leak, so Node's leak heuristic (a warning past 10, a
 * non-JSON line in serve's log) is switched off for such a signal where the fan-out happens.
 * Each listener is still removed when its job or sleep ends.
 */
const fannedOut = new WeakSet<AbortSignal>();
export function allowManyListeners(signal: AbortSignal | undefined): void {
  if (signal && !fannedOut.has(signal)) {
    fannedOut.add(signal);
    setMaxListeners(0, signal);
  }
}
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    allowManyListeners(signal);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
