/**
 * From the stages' raw results to the figures of issue 13's table: each a measured value (median
 * of the runs, with the range), its target, and whether it meets it. Pure.
 */
import { ratioOf, spreadOf, type Spread } from './measure.js';
import type { PlanComputeResult } from './plan-compute.js';
import type { StartupResult } from './startup.js';
import type { RunFigures, ScenarioName, SyncRepetition } from './sync.js';

export interface BenchResults {
  settings: { quick: boolean; runs: number; large: boolean; zohoLatencyMs: number; psLatencyMs: number; node: string; cpus: number; loadAverage: number[] };
  startup?: StartupResult;
  planCompute?: PlanComputeResult;
  /** Sync repetitions by size label (`2,000`, `100,000`). */
  sync: Record<string, SyncRepetition[]>;
  /** The memory stages, one initial sync and the run after it each: 150,000 records, and 600,000 with --large. */
  rss: { main?: SyncRepetition; large?: SyncRepetition };
  profile?: SyncRepetition;
  components?: Record<string, unknown>;
  /** Stages that failed, with the error: a figure they would give is reported as missing. */
  errors: Record<string, string>;
}

export interface Figure {
  figure: string;
  measured: string;
  target: string;
  /** undefined: not measured in this run. */
  meets?: boolean;
}

export function runsOf(reps: readonly SyncRepetition[], scenario: ScenarioName): RunFigures[] {
  return reps.map((r) => r.product.find((p) => p.scenario === scenario)).filter((p): p is RunFigures => p !== undefined);
}

export const fmtSpread = (s: Spread, unit = '', digits = 0): string => {
  const f = (x: number): string => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  if (s.runs === 0) return 'n/a';
  return s.runs === 1 || f(s.min) === f(s.max) ? `${f(s.median)}${unit}` : `${f(s.median)}${unit} (${f(s.min)}–${f(s.max)})`;
};
const n = (x: number): string => x.toLocaleString('en-US');
const times = (s: Spread): string => fmtSpread(s, '×', 2);
const sec = (s: Spread): string => fmtSpread({ ...s, median: s.median / 1000, min: s.min / 1000, max: s.max / 1000 }, ' s', 1);

/** Wall time / latency bound, run by run. */
function boundRatio(runs: readonly RunFigures[]): Spread {
  return ratioOf(runs.map((r) => r.wallMs), runs.map((r) => r.bound.totalMs));
}

export function issue13Figures(r: BenchResults): Figure[] {
  const rows: Figure[] = [];
  const sizes = Object.keys(r.sync);

  const label = (rep: SyncRepetition | undefined, fallback: string): string => (rep ? n(rep.records.employees + rep.records.vendors) : fallback);
  const failedLarge = r.errors['rss-large'];
  const largest = r.rss.large ? label(r.rss.large, '') : r.rss.main ? label(r.rss.main, '') : undefined;
  rows.push({
    figure: 'largest org that plans and applies',
    measured: `${largest === undefined ? 'not measured' : `${largest} records`}${failedLarge ? ` (${label(undefined, '600,000')} failed: ${failedLarge})` : r.rss.large ? '' : ' (600,000 not run: --large)'}`,
    target: '600,000 records',
    ...(r.rss.large ? { meets: r.rss.large.records.employees + r.rss.large.records.vendors >= 600_000 } : failedLarge ? { meets: false } : {}),
  });
  for (const [role, fallback, limit] of [['main', '150,000', 300], ['large', '600,000', 600]] as const) {
    const rep = r.rss[role];
    const err = r.errors[role === 'main' ? 'rss' : 'rss-large'];
    rows.push({
      figure: `peak RSS, ${label(rep, fallback)} records`,
      measured: rep ? `${n(rep.maxRssMb)} MB` : err ? `failed: ${err}` : role === 'large' ? 'not run (--large)' : 'not run',
      target: `≤ ${limit} MB`,
      ...(rep ? { meets: rep.maxRssMb <= limit } : err ? { meets: false } : {}),
    });
  }
  if (r.planCompute) {
    const p = r.planCompute;
    rows.push({
      figure: 'plan compute per 100,000 records (main-thread CPU)',
      measured: `initial ${sec(p.initialCpuPer100k)}, full no-op ${sec(p.noopCpuPer100k)}`,
      target: '≤ 0.7 s',
      meets: p.initialCpuPer100k.median <= 700 && p.noopCpuPer100k.median <= 700,
    });
  }
  for (const size of sizes) {
    const initial = runsOf(r.sync[size]!, 'initial');
    const ratio = boundRatio(initial);
    rows.push({ figure: `initial sync wall / latency bound, ${size}`, measured: times(ratio), target: '≤ 1.5×', meets: ratio.median <= 1.5 });
  }
  for (const size of sizes) {
    const noop = runsOf(r.sync[size]!, 'noop');
    const perModule = noop.flatMap((run) => run.modules.map((m) => m.readCalls + m.fieldsCalls));
    const reads = noop.flatMap((run) => run.modules.map((m) => m.readCalls));
    if (perModule.length === 0) continue;
    rows.push({
      figure: `no-op after no-op, Zoho calls per module, ${size}`,
      measured: `${Math.max(...perModule)} (record reads ${Math.max(...reads)}, + field metadata)`,
      target: '≤ 2',
      meets: Math.max(...perModule) <= 2,
    });
  }
  for (const size of sizes) {
    for (const scenario of ['after-apply', 'after-change'] as const) {
      const runs = runsOf(r.sync[size]!, scenario);
      if (runs.length === 0) continue;
      const mods = runs[0]!.modules.map((m) => m.module);
      const parts = mods.map((mod) => {
        const ms = runs.map((run) => run.modules.find((m) => m.module === mod)!);
        return { mod, reads: Math.max(...ms.map((m) => m.readCalls)), n: ms[0]!.writtenBefore, target: ms[0]!.readTarget };
      });
      rows.push({
        figure: `first run after an apply of N (${scenario === 'after-apply' ? 'the initial sync' : 'the 1% rerun'}), read calls, ${size}`,
        measured: parts.map((p) => `${p.mod} ${p.reads} after N=${p.n.toLocaleString('en-US')}`).join('; '),
        target: parts.map((p) => `≤ ${p.target}`).join('; '),
        meets: parts.every((p) => p.reads <= p.target),
      });
    }
  }
  for (const size of sizes) {
    const reps = r.sync[size]!.filter((rep) => rep.batched);
    if (reps.length === 0) continue;
    const initial = ratioOf(runsOf(reps, 'initial').map((x) => x.wallMs), reps.map((rep) => rep.batched!.initial.wallMs));
    const noop = ratioOf(runsOf(reps, 'noop').map((x) => x.wallMs), reps.map((rep) => rep.batched!.rerun.wallMs));
    rows.push({
      figure: `wall vs "batched, no diff" (initial / no-op), ${size}`,
      measured: `${times(initial)} / ${times(noop)}`,
      target: '≤ 1.0× / ≤ 0.5×',
      meets: initial.median <= 1 && noop.median <= 0.5,
    });
  }
  const all = Object.values(r.sync).flat().flatMap((rep) => rep.product).concat([r.rss.main, r.rss.large].flatMap((rep) => rep?.product ?? []));
  const writes = all.reduce((n, run) => n + run.modules.reduce((a, m) => a + m.writeCalls, 0), 0);
  const lower = all.reduce((n, run) => n + run.modules.reduce((a, m) => a + m.writeLowerBound, 0), 0);
  if (all.length > 0) {
    const worst = Math.max(...all.flatMap((run) => run.modules.map((m) => (m.writeLowerBound === 0 ? (m.writeCalls === 0 ? 1 : Infinity) : m.writeCalls / m.writeLowerBound))));
    rows.push({
      figure: 'write calls vs lower bound ceil(changed/100) per module',
      measured: `${(lower === 0 ? 1 : writes / lower).toFixed(2)} (${writes.toLocaleString('en-US')} calls, bound ${lower.toLocaleString('en-US')}; worst module-run ${worst.toFixed(2)})`,
      target: '1.00',
      meets: worst === 1,
    });
  }
  if (r.startup) {
    rows.push({
      figure: '`--version` / `--help` wall vs `node -e 0`',
      measured: `${times(r.startup.versionRatio)} / ${times(r.startup.helpRatio)}`,
      target: '≤ 2× / ≤ 2×',
      meets: r.startup.versionRatio.median <= 2 && r.startup.helpRatio.median <= 2,
    });
  }
  return rows;
}

/** Wall figures of one scenario over the repetitions. */
export function scenarioSpread(reps: readonly SyncRepetition[], scenario: ScenarioName): { wall: Spread; plan: Spread; apply: Spread; cpu: Spread; simCpu: Spread; bound: Spread; ratio: Spread } {
  const runs = runsOf(reps, scenario);
  return {
    wall: spreadOf(runs.map((x) => x.wallMs)),
    plan: spreadOf(runs.map((x) => x.planMs)),
    apply: spreadOf(runs.map((x) => x.applyMs)),
    cpu: spreadOf(runs.map((x) => x.cpuMs)),
    simCpu: spreadOf(runs.map((x) => x.simCpuMs)),
    bound: spreadOf(runs.map((x) => x.bound.totalMs)),
    ratio: boundRatio(runs),
  };
}
