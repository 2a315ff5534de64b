/** The bench's results as text: per stage, then issue 13's figures as a Markdown table. Pure. */
import { fmtSpread, issue13Figures, runsOf, scenarioSpread, type BenchResults } from './figures.js';
import { spreadOf, type Spread } from './measure.js';
import { SCENARIO_LABEL, type RunFigures, type ScenarioName, type SyncRepetition } from './sync.js';
import type { HistoryBenchResult } from './peoplesoft.js';
import { describePostgresBench } from './state-postgres.js';

const n = (x: number): string => x.toLocaleString('en-US');
const sec = (s: Spread): string => fmtSpread({ ...s, median: s.median / 1000, min: s.min / 1000, max: s.max / 1000 }, ' s', s.median < 10_000 ? 2 : 1);
const oneSec = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

function callsLine(run: RunFigures): string {
  const mods = run.modules.map((m) => {
    const kinds = Object.entries(m.calls).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${n(v)}`).join(', ') || 'none';
    const writes = m.writeLowerBound > 0 || m.writeCalls > 0 ? `; writes ${n(m.writeCalls)}, lower bound ${n(m.writeLowerBound)}` : '';
    return `${m.module}: ${kinds}${writes}`;
  });
  return `${mods.join(' | ')} | token ${run.zohoTokenCalls}; credits ${n(run.credits)}`;
}

function psLine(run: RunFigures): string {
  return Object.entries(run.peoplesoft).map(([q, v]) => `${q} ${n(v.calls)} calls, ${n(v.rows)} rows`).join('; ') || 'none';
}

function scenarioLines(reps: readonly SyncRepetition[], scenario: ScenarioName): string[] {
  const runs = runsOf(reps, scenario);
  const first = runs[0];
  if (!first) return [];
  const s = scenarioSpread(reps, scenario);
  const totals = spreadOf(runs.map((r) => r.zohoCalls));
  const varied = totals.min !== totals.max ? ` (Zoho calls varied over runs: ${n(totals.min)}–${n(totals.max)}; shown: the first)` : '';
  const b = first.bound;
  return [
    `  ${SCENARIO_LABEL[scenario]}: wall ${sec(s.wall)} = plan ${sec(s.plan)} + apply ${sec(s.apply)}; CPU ${sec(s.cpu)} (simulators ${sec(s.simCpu)}); peak RSS ${n(Math.max(...runs.map((r) => r.peakRssMb)))} MB`,
    `    latency bound ${oneSec(b.totalMs)} (PeopleSoft ${oneSec(b.peoplesoftMs)}, Zoho reads ${oneSec(b.zohoReadMs)}, writes ${oneSec(b.writesMs)}): wall / bound ${fmtSpread(s.ratio, '×', 2)}`,
    `    ${n(first.written)} records written. Zoho ${callsLine(first)}${varied}`,
    `    PeopleSoft: ${psLine(first)}`,
  ];
}

function baselineLines(reps: readonly SyncRepetition[]): string[] {
  const withBaselines = reps.filter((r) => r.batched && r.naive);
  if (withBaselines.length === 0) return [];
  const bi = spreadOf(withBaselines.map((r) => r.batched!.initial.wallMs));
  const br = spreadOf(withBaselines.map((r) => r.batched!.rerun.wallMs));
  const nv = spreadOf(withBaselines.map((r) => r.naive!.estimatedMs));
  const b = withBaselines[0]!.batched!;
  const nf = withBaselines[0]!.naive!;
  return [
    `  baseline "batched, no diff" (read all, upsert all by 100, no state): initial ${sec(bi)}, rerun ${sec(br)}; ${n(b.initial.records)} records and ${n(b.initial.writeCalls)} write calls every run`,
    `  baseline naive (one upsert call per record, one at a time): ~${sec(nv)} for ${n(nf.writeCalls)} calls (PeopleSoft read measured; ${n(nf.sampled)} calls made, ${(nf.sampledMs / Math.max(1, nf.sampled)).toFixed(1)} ms each, the rest extrapolated)`,
  ];
}

function syncSection(label: string, reps: readonly SyncRepetition[]): string[] {
  const rec = reps[0]!.records;
  const lines = [`Sync, ${label} records (${n(rec.employees)} employees + ${n(rec.vendors)} vendors), ${reps.length} run${reps.length === 1 ? '' : 's'}`];
  for (const scenario of ['initial', 'after-apply', 'noop', 'change', 'after-change'] as const) lines.push(...scenarioLines(reps, scenario));
  lines.push(...baselineLines(reps));
  return lines;
}

export function renderReport(r: BenchResults): string {
  const s = r.settings;
  const out: string[] = [
    `ml-connector bench: Zoho ${s.zohoLatencyMs} ms per call, PeopleSoft ${s.psLatencyMs} ms per page; wall figures are medians of ${s.runs} run${s.runs === 1 ? '' : 's'} (range)${s.quick ? '; --quick sizes' : ''}`,
    `node ${s.node}, ${s.cpus} CPUs, load average at start ${s.loadAverage.map((x) => x.toFixed(1)).join(' ')}`,
    'Latency bound of a run = max(PeopleSoft pages × latency, Zoho read calls × latency) + ceil(lower-bound write calls / 10) × latency (src/bench/bounds.ts, README)',
    '',
  ];
  for (const [label, reps] of Object.entries(r.sync)) out.push(...syncSection(label, reps), '');
  for (const rep of [r.rss.main, r.rss.large]) {
    if (!rep) continue;
    out.push(`Memory, ${n(rep.records.employees + rep.records.vendors)} records (${n(rep.records.employees)} employees + ${n(rep.records.vendors)} vendors): peak RSS ${n(rep.maxRssMb)} MB (getrusage, the reconciler's process; simulators apart)`);
    for (const scenario of ['initial', 'after-apply'] as const) out.push(...scenarioLines([rep], scenario));
    out.push('');
  }
  if (r.planCompute) {
    const p = r.planCompute;
    out.push(
      `Plan compute (pure planner over ${n(p.records)} records in memory; per 100,000 records): initial plan (${n(p.initialActions)} actions), full no-op plan (${n(p.noopActions)} actions)`,
      `  main-thread CPU ${sec(p.initialCpuPer100k)} / ${sec(p.noopCpuPer100k)}; process CPU (with GC threads) ${sec(p.initialProcessCpuPer100k)} / ${sec(p.noopProcessCpuPer100k)}; wall ${sec(p.initialWallPer100k)} / ${sec(p.noopWallPer100k)}`,
      '',
    );
  }
  if (r.startup) {
    const st = r.startup;
    out.push(`Start-up: node -e 0 ${fmtSpread(st.nodeMs, ' ms')}; --version ${fmtSpread(st.versionMs, ' ms')} (${fmtSpread(st.versionRatio, '×', 2)}); --help ${fmtSpread(st.helpMs, ' ms')} (${fmtSpread(st.helpRatio, '×', 2)})`, '');
  }
  if (r.profile) out.push(...profileLines(r.profile), '');
  if (r.components) out.push(...componentLines(r.components), '');
  for (const [stage, err] of Object.entries(r.errors)) out.push(`FAILED ${stage}: ${err}`);
  out.push('Issue 13 figures', '', '| figure | measured | target | |', '|---|---|---|---|');
  for (const f of issue13Figures(r)) out.push(`| ${f.figure} | ${f.measured} | ${f.target} | ${f.meets === undefined ? '–' : f.meets ? 'meets' : 'MISSES'} |`);
  return out.join('\n') + '\n';
}

function profileLines(rep: SyncRepetition): string[] {
  const run = rep.product.find((p) => p.scenario === 'initial');
  const p = run?.profile;
  if (!run || !p) return [];
  const share = (ms: number): string => `${((ms / Math.max(1, p.busyMs)) * 100).toFixed(0)}%`;
  return [
    `CPU profile of the initial sync, ${n(rep.records.employees + rep.records.vendors)} records (main thread, ${p.file})`,
    `  wall ${oneSec(p.wallMs)} (latency bound ${oneSec(run.bound.totalMs)}); main thread not idle ${oneSec(p.busyMs)} (on a loaded machine this includes waiting for a core); process CPU ${oneSec(run.cpuMs)} (all threads: SQLite's thread pool and GC helpers too)`,
    `  self time by area (share of not idle): ${p.areas.slice(0, 16).map((a) => `${a.area} ${oneSec(a.ms)} (${share(a.ms)})`).join(', ')}`,
    '  top functions by self time:',
    ...p.functions.map((f) => `    ${oneSec(f.ms).padStart(7)}  ${f.name}  ${f.where}`),
  ];
}

function componentLines(c: Record<string, unknown>): string[] {
  const out = ['Components'];
  const state = c.state as { linkUpserts: number; ms: number; perSecond: number; readMs: number; batchCommit: { perSecond: number } } | undefined;
  if (state) out.push(`  state: ${n(state.linkUpserts)} link upserts in ${n(state.ms)} ms (${n(state.perSecond)}/s); read back in ${n(state.readMs)} ms; commitBatch of 100: ${n(state.batchCommit.perSecond)} records/s`);
  const pgState = c.statePostgres as Parameters<typeof describePostgresBench>[0] | undefined;
  if (pgState) out.push(`  ${describePostgresBench(pgState)}`);
  const ps = c.peoplesoft as { records: number; rows: number; ms: number; calls: number; rowsPerSec: number; connectorCpuMs: number; peakRssMb: number } | undefined;
  if (ps) out.push(`  peoplesoft read: ${n(ps.records)} records (${n(ps.rows)} rows) in ${oneSec(ps.ms)}, ${ps.calls} calls, ${n(ps.rowsPerSec)} rows/s, connector CPU ${oneSec(ps.connectorCpuMs)}, peak RSS ${ps.peakRssMb} MB`);
  const history = c.history as HistoryBenchResult | undefined;
  if (history) {
    out.push(`  peoplesoft history (a changed-rows reader, ${n(history.employees)} employees, PeopleSoft ${history.latencyMs} ms a call): seeding ${n(history.seed.histories)} whole histories (${(history.seed.storedBytes / 1e6).toFixed(1)} MB) took ${oneSec(history.seed.ms)} (the same full read without storing: ${oneSec(history.seed.wholeMs)})`);
    for (const d of history.days) {
      out.push(`    ${d.day}: ${n(d.changedRows.records)} people read; whole-history query ${d.whole.calls} calls, ${n(d.whole.rows)} rows, ${n(d.whole.ms)} ms; changed rows ${d.changedRows.calls} calls, ${n(d.changedRows.rows)} rows, ${n(d.changedRows.ms)} ms (${d.changedRows.loaderCalls ?? 0} state loads, ${n(d.changedRows.loaderMs ?? 0)} ms)`);
      out.push(`      extra: ${d.extraCalls} PeopleSoft calls, ${n(d.extraMs)} ms; records identical: ${d.identical ? 'yes' : 'NO'}; a keyed re-read instead would cost ${d.keyedReadCalls} calls`);
    }
  }
  const z = c.zoho as { records: number; ms: number; writeCalls: number; lowerBound: number; credits: number } | undefined;
  if (z) out.push(`  zoho upsert: ${n(z.records)} records in ${oneSec(z.ms)}: ${z.writeCalls} write calls (lower bound ${z.lowerBound}), ${n(z.credits)} credits`);
  return out;
}
