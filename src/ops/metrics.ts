/**
 * A small Prometheus registry for `serve`: counters and gauges with labels, rendered in the text
 * exposition format 0.0.4. Hand-written because the set is fixed and small; a client library
 * would add a dependency for six metrics.
 */
type Labels = Record<string, string>;

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  values: Map<string, { labels: Labels; value: number }>;
}

function labelKey(labels: Labels): string {
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',');
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export class Metrics {
  private readonly families = new Map<string, Family>();

  private family(name: string, help: string, type: Family['type']): Family {
    let f = this.families.get(name);
    if (!f) {
      f = { name, help, type, values: new Map() };
      this.families.set(name, f);
    }
    return f;
  }

  /** Declare a metric so it shows (at 0 / without series) before anything happened. */
  declare(name: string, help: string, type: Family['type']): void {
    this.family(name, help, type);
  }

  inc(name: string, help: string, labels: Labels = {}, by = 1): void {
    const f = this.family(name, help, 'counter');
    const key = labelKey(labels);
    const cur = f.values.get(key);
    f.values.set(key, { labels, value: (cur?.value ?? 0) + by });
  }

  set(name: string, help: string, labels: Labels, value: number): void {
    const f = this.family(name, help, 'gauge');
    f.values.set(labelKey(labels), { labels, value });
  }

  get(name: string, labels: Labels = {}): number | undefined {
    return this.families.get(name)?.values.get(labelKey(labels))?.value;
  }

  /** Prometheus text format, families in name order. */
  render(): string {
    const out: string[] = [];
    for (const f of [...this.families.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      out.push(`# HELP ${f.name} ${f.help}`);
      out.push(`# TYPE ${f.name} ${f.type}`);
      for (const { labels, value } of [...f.values.values()]) {
        const ls = Object.keys(labels).sort().map((k) => `${k}="${escapeLabel(labels[k]!)}"`).join(',');
        out.push(`${f.name}${ls ? `{${ls}}` : ''} ${Number.isFinite(value) ? value : 0}`);
      }
    }
    return out.join('\n') + '\n';
  }
}

/** The metric names serve exposes, in one place so docs and tests agree. */
export const METRIC = {
  runs: ['ml_connector_runs_total', 'Runs of a mapping by final status.'],
  records: ['ml_connector_records_total', 'Records written by action (create, update, deactivate, ...).'],
  failures: ['ml_connector_failures_total', 'Failures by kind (run, record, guard, auth, alert, config-reload).'],
  apiCalls: ['ml_connector_api_calls_total', 'Calls made to Zoho and PeopleSoft.'],
  credits: ['ml_connector_zoho_credits_total', 'Zoho API credits spent.'],
  lastSuccess: ['ml_connector_last_success_timestamp_seconds', 'Unix time of the last successful run of a mapping.'],
  running: ['ml_connector_run_in_progress', '1 while a run of the mapping is in progress.'],
  webhooks: ['ml_connector_webhook_events_total', 'Zoho notifications received, by outcome.'],
  configReloads: ['ml_connector_config_reloads_total', 'Configuration reloads after a git pull, by result.'],
  up: ['ml_connector_up', '1 while serve is running.'],
} as const;
