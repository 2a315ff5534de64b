import type { Logger } from '../support/log.js';
import { describeError, isMlError } from '../support/errors.js';
import { scrub } from '../support/redact.js';
import type { Clock } from '../support/clock.js';
import { isAuthFailure, type RunReport } from './alerts.js';
import type { Metrics } from './metrics.js';

/** What serve asks for: apply these mappings (in order), incrementally or as a full reconcile. */
export interface RunRequest {
  mappings: string[];
  full: boolean;
  /** `schedule:daily`, `webhook:zoho`, `startup`, ... */
  trigger: string;
}

export interface RunContext {
  /**
   * Aborted on shutdown. The applier finishes the batch in flight (its links and audit rows are
   * committed together) and starts no other; the run ends `interrupted` and the next one resumes.
   */
  signal: AbortSignal;
  /** Aborted when the shutdown grace period is over: the calls in flight are cut too. */
  cut: AbortSignal;
  logger: Logger;
}

/** A run's result as serve needs it: the alert report, plus usage for the metrics. */
export interface RunResult extends RunReport {
  apiCalls?: { zoho?: number; peoplesoft?: number };
  credits?: number;
}

/** The applier's entry point, injected so serve does not depend on how apply is put together. */
export type RunMappings = (request: RunRequest, ctx: RunContext) => Promise<RunResult>;

/** A mapping's last finished run and last success, as the state database recorded them. */
export interface MappingHistory {
  mapping: string;
  last?: LastRun;
  lastSuccessAt?: string;
}

export interface LastRun {
  runId: string;
  status: RunResult['status'];
  finishedAt: string;
  trigger: string;
  /** Records of this mapping by action in that run. */
  counts?: Record<string, number>;
}

/** After cutting the calls in flight, how long a run gets to record itself as interrupted. */
const CUT_WAIT_MS = 5_000;

export interface CoordinatorOptions {
  run: RunMappings;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  /** Called with every finished run (alerts). Errors are logged, never thrown into the run. */
  onFinished?: (result: RunResult) => Promise<void>;
}

/**
 * Runs mappings for serve, one run at a time: runs share the state database's apply lock, so a
 * second one would only wait for it (and fail after lockWaitSeconds behind a long full
 * reconcile). A request that arrives while a run is in progress is remembered and merged into
 * the next run (several requests collapse into one; a full reconcile wins over an incremental
 * one), so a schedule tick or a webhook that arrives mid-run is neither lost nor piled up, and
 * never are two runs of the same mapping in progress at once.
 */
export class RunCoordinator {
  private readonly running = new Set<string>();
  private readonly pending = new Map<string, { full: boolean; trigger: string }>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly cut = new AbortController();
  private readonly lastRuns = new Map<string, LastRun>();
  private finished: RunResult | undefined;
  private readonly lastSuccesses = new Map<string, string>();
  private stopping = false;

  constructor(private readonly options: CoordinatorOptions) {}

  /**
   * What the state database remembers from before this process started (the last finished run
   * of each mapping and its last success), so /healthz, the status page and
   * `ml_connector_last_success_timestamp_seconds` survive a restart.
   */
  restore(history: readonly MappingHistory[]): void {
    for (const h of history) {
      if (h.last && !this.lastRuns.has(h.mapping)) this.lastRuns.set(h.mapping, h.last);
      if (h.lastSuccessAt && !this.lastSuccesses.has(h.mapping)) {
        this.lastSuccesses.set(h.mapping, h.lastSuccessAt);
        this.options.metrics.lastSuccess.set({ mapping: h.mapping }, Math.floor(Date.parse(h.lastSuccessAt) / 1000));
      }
    }
  }

  /** Mappings with a run in progress. */
  active(): string[] {
    return [...this.running];
  }

  /** The last finished run of each mapping, for /healthz. */
  last(): Record<string, LastRun> {
    return Object.fromEntries(this.lastRuns);
  }

  /** When each mapping last succeeded (ISO), from this process or the state database. */
  lastSuccess(): Record<string, string> {
    return Object.fromEntries(this.lastSuccesses);
  }

  /** The last run this process finished, whole (its problems feed the status page). */
  lastResult(): RunResult | undefined {
    return this.finished;
  }

  /** Ask for a run; returns the mappings started now ([] when queued behind the run in progress). */
  request(req: RunRequest): string[] {
    if (this.stopping) return [];
    const mappings = [...new Set(req.mappings)];
    if (this.inFlight.size === 0) {
      this.start({ ...req, mappings });
      return mappings;
    }
    for (const m of mappings) {
      const prev = this.pending.get(m);
      this.pending.set(m, { full: req.full || (prev?.full ?? false), trigger: prev?.trigger ?? req.trigger });
    }
    this.options.logger.info('run queued behind the run in progress', { mappings, trigger: req.trigger, running: this.active() });
    return [];
  }

  private start(req: RunRequest): void {
    for (const m of req.mappings) {
      this.running.add(m);
      this.options.metrics.running.set({ mapping: m }, 1);
    }
    const p = this.execute(req).finally(() => {
      for (const m of req.mappings) {
        this.running.delete(m);
        this.options.metrics.running.set({ mapping: m }, 0);
      }
      this.inFlight.delete(p);
      this.drainPending();
    });
    this.inFlight.add(p);
  }

  private drainPending(): void {
    if (this.stopping || this.inFlight.size > 0) return;
    const ready = [...this.pending.entries()];
    if (ready.length === 0) return;
    this.pending.clear();
    const full = ready.some(([, p]) => p.full);
    this.start({ mappings: ready.map(([m]) => m), full, trigger: ready[0]![1].trigger });
  }

  private async execute(req: RunRequest): Promise<void> {
    const { logger, metrics, clock } = this.options;
    const log = logger.child({ mappings: req.mappings, trigger: req.trigger, full: req.full });
    log.info('run started');
    const startedAt = new Date(clock.now()).toISOString();
    // Wall time, not the injected clock: the histogram says how long runs really take.
    const began = performance.now();
    let result: RunResult;
    try {
      result = await this.options.run(req, { signal: this.abort.signal, cut: this.cut.signal, logger: log });
    } catch (err) {
      const error = isMlError(err)
        ? { code: err.code, message: scrub(err.message), ...(err.hint ? { hint: err.hint } : {}) }
        : { code: 'INTERNAL', message: scrub(describeError(err)) };
      result = {
        runId: 'unrecorded',
        trigger: req.trigger,
        status: this.abort.signal.aborted ? 'interrupted' : 'failed',
        startedAt,
        finishedAt: new Date(clock.now()).toISOString(),
        mappings: req.mappings.map((mapping) => ({ mapping })),
        error,
      };
    }
    this.record(result);
    metrics.runDuration.observe({ kind: req.full ? 'full' : 'incremental', status: result.status }, (performance.now() - began) / 1000);
    const level = result.status === 'succeeded' ? 'info' : 'error';
    log[level]('run finished', { runId: result.runId, status: result.status, ...(result.error ? { error: result.error.code } : {}) });
    if (this.options.onFinished) {
      try {
        await this.options.onFinished(result);
      } catch (err) {
        metrics.failure('alert');
        log.error('alert not sent', { error: scrub(describeError(err)) });
      }
    }
  }

  private record(result: RunResult): void {
    const { metrics, clock } = this.options;
    this.finished = result;
    const finishedAt = result.finishedAt ?? new Date(clock.now()).toISOString();
    for (const m of result.mappings) {
      this.lastRuns.set(m.mapping, { runId: result.runId, status: result.status, finishedAt, trigger: result.trigger, counts: m.counts ?? {} });
      metrics.runs.inc({ mapping: m.mapping, status: result.status });
      for (const [action, n] of Object.entries(m.counts ?? {})) {
        if (n > 0) metrics.records.inc({ action, mapping: m.mapping }, n);
      }
      if ((m.failed?.length ?? 0) > 0) metrics.failure('record', m.failed!.length);
      if (m.guard) metrics.failure('guard');
      if (result.status === 'succeeded') {
        this.lastSuccesses.set(m.mapping, finishedAt);
        metrics.lastSuccess.set({ mapping: m.mapping }, Math.floor(Date.parse(finishedAt) / 1000));
      }
    }
    if (result.status === 'failed' || result.status === 'interrupted') {
      metrics.failure(isAuthFailure(result.error?.code) || result.error?.code.includes('AUTH') ? 'auth' : 'run');
    }
    for (const [system, n] of Object.entries(result.apiCalls ?? {})) {
      if (n) metrics.apiCalls.inc({ system }, n);
    }
    if (result.credits) metrics.credits.inc(result.credits);
  }

  /**
   * Stop taking requests, tell running applies to stop after their batch, and wait up to
   * `graceMs` for them. Past that, cut their calls in flight and give them a moment to record
   * the run as interrupted. Resolves true when every run ended within the grace period.
   */
  async stop(graceMs: number): Promise<boolean> {
    this.stopping = true;
    this.pending.clear();
    this.abort.abort(new Error('serve is shutting down'));
    if (this.inFlight.size === 0) return true;
    const done = Promise.allSettled([...this.inFlight]).then(() => true as const);
    const within = (ms: number): Promise<boolean> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
      return Promise.race([done, timeout]).finally(() => clearTimeout(timer));
    };
    if (await within(graceMs)) return true;
    this.cut.abort(new Error('serve shutdown grace period over'));
    await within(CUT_WAIT_MS);
    return false;
  }

  /** Resolves when no run is in progress or queued (tests, `serve --once`). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
