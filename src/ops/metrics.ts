import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * serve's Prometheus metrics, on prom-client (histograms, the exposition format and label
 * escaping are what a client library does well). Every counter is declared with its known label
 * values at 0 from the start, so `rate()` and `increase()` work before the first event and a
 * dashboard shows "0 failures" instead of "no data".
 */

/** Run kinds, statuses and failure kinds: the label values every counter starts with. */
export const RUN_STATUSES = ['succeeded', 'partial', 'failed', 'interrupted'] as const;
export const RECORD_ACTIONS = ['create', 'update', 'deactivate', 'reactivate', 'delete'] as const;
export const FAILURE_KINDS = ['run', 'auth', 'record', 'guard', 'alert', 'channel-renewal', 'config-reload'] as const;
export const SYSTEMS = ['zoho', 'peoplesoft'] as const;
export const WEBHOOK_OUTCOMES = ['accepted', 'rejected', 'rate-limited'] as const;
export const RELOAD_RESULTS = ['ok', 'rejected', 'fetch-failed'] as const;

export type FailureKind = (typeof FAILURE_KINDS)[number];
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

/** Run durations from seconds (an empty incremental run) to hours (a full reconcile of 500,000). */
const RUN_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200];
/** One HTTP call (one attempt): loopback milliseconds to PeopleSoft queries of a minute. */
const API_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface BuildInfo {
  version: string;
  node: string;
}

export class Metrics {
  readonly registry = new Registry();
  readonly up: Gauge;
  readonly buildInfo: Gauge;
  readonly runs: Counter;
  readonly records: Counter;
  readonly failures: Counter;
  readonly apiCalls: Counter;
  readonly credits: Counter;
  readonly lastSuccess: Gauge;
  readonly running: Gauge;
  readonly webhooks: Counter;
  readonly configReloads: Counter;
  readonly leader: Gauge;
  readonly runDuration: Histogram;
  readonly apiLatency: Histogram;

  constructor(build: BuildInfo) {
    const registers = [this.registry];
    this.up = new Gauge({ name: 'ml_connector_up', help: '1 while serve is running.', registers });
    this.buildInfo = new Gauge({ name: 'ml_connector_build_info', help: 'Always 1; the labels say which ml-connector and Node.js run.', labelNames: ['version', 'node'], registers });
    this.runs = new Counter({ name: 'ml_connector_runs_total', help: 'Runs of a mapping by final status.', labelNames: ['mapping', 'status'], registers });
    this.records = new Counter({ name: 'ml_connector_records_total', help: 'Records written by action (create, update, deactivate, ...).', labelNames: ['mapping', 'action'], registers });
    this.failures = new Counter({ name: 'ml_connector_failures_total', help: 'Failures by kind (run, auth, record, guard, alert, channel-renewal, config-reload).', labelNames: ['kind'], registers });
    this.apiCalls = new Counter({ name: 'ml_connector_api_calls_total', help: 'Calls made to Zoho and PeopleSoft by runs.', labelNames: ['system'], registers });
    this.credits = new Counter({ name: 'ml_connector_zoho_credits_total', help: 'Zoho API credits spent by runs.', registers });
    this.lastSuccess = new Gauge({ name: 'ml_connector_last_success_timestamp_seconds', help: 'Unix time of the last successful run of a mapping (restored from the state database at start).', labelNames: ['mapping'], registers });
    this.running = new Gauge({ name: 'ml_connector_run_in_progress', help: '1 while a run of the mapping is in progress.', labelNames: ['mapping'], registers });
    this.webhooks = new Counter({ name: 'ml_connector_webhook_events_total', help: 'Calls to /webhooks/zoho by outcome (rejected and rate-limited ones are counted, never stored).', labelNames: ['outcome'], registers });
    this.configReloads = new Counter({ name: 'ml_connector_config_reloads_total', help: 'Configuration reloads after a git pull, by result.', labelNames: ['result'], registers });
    this.leader = new Gauge({ name: 'ml_connector_leader', help: 'Whether this replica runs the schedules (1) or stands by for another (0).', registers });
    this.runDuration = new Histogram({ name: 'ml_connector_run_duration_seconds', help: 'Wall time of a run, by kind (incremental, full) and final status.', labelNames: ['kind', 'status'], buckets: RUN_BUCKETS, registers });
    this.apiLatency = new Histogram({ name: 'ml_connector_api_request_duration_seconds', help: 'Time of one HTTP request to Zoho or PeopleSoft (each attempt), by system and outcome.', labelNames: ['system', 'outcome'], buckets: API_BUCKETS, registers });

    this.buildInfo.set({ version: build.version, node: build.node }, 1);
    this.credits.inc(0);
    for (const kind of FAILURE_KINDS) this.failures.inc({ kind }, 0);
    for (const system of SYSTEMS) this.apiCalls.inc({ system }, 0);
    for (const outcome of WEBHOOK_OUTCOMES) this.webhooks.inc({ outcome }, 0);
    for (const result of RELOAD_RESULTS) this.configReloads.inc({ result }, 0);
    for (const kind of ['incremental', 'full']) for (const status of RUN_STATUSES) this.runDuration.zero({ kind, status });
    for (const system of SYSTEMS) for (const outcome of ['ok', 'error']) this.apiLatency.zero({ system, outcome });
  }

  /** Series at 0 for the mappings of a (new) configuration; existing values are kept. */
  declareMappings(mappings: readonly string[]): void {
    for (const mapping of mappings) {
      for (const status of RUN_STATUSES) this.runs.inc({ mapping, status }, 0);
      for (const action of RECORD_ACTIONS) this.records.inc({ action, mapping }, 0);
      this.running.inc({ mapping }, 0);
    }
  }

  failure(kind: FailureKind, by = 1): void {
    this.failures.inc({ kind }, by);
  }

  /** Prometheus text format 0.0.4. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** The current value of one series (tests, the status page). */
  async value(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
    const metric = this.registry.getSingleMetric(name);
    if (!metric) return undefined;
    const { values } = await metric.get();
    const wanted = Object.entries(labels);
    return values.find((v) => wanted.every(([k, x]) => v.labels[k] === x) && Object.keys(v.labels).length === wanted.length)?.value;
  }
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
