/**
 * `npm run bench`: every measured figure of ml-connector in one run, printed as text (and as JSON
 * with --json). Each part runs against the simulators on 127.0.0.1; see docs/decisions.md for
 * what the targets are and why. Each stage runs in a fresh child process, so a stage's peak RSS
 * is its own and not what an earlier stage left on the heap.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchPeopleSoft, benchPeopleSoftHistory, type HistoryBenchResult, type PeopleSoftBenchResult } from './peoplesoft.js';
import { benchReconcile, benchReconcileLarge, type ScenarioResult } from './reconcile.js';

type ReconcileBenchResult = Awaited<ReturnType<typeof benchReconcile>>;
import { benchState } from './state.js';
import { benchStatePostgres, describePostgresBench } from './state-postgres.js';
import { benchZohoUpsert } from './zoho.js';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const STAGE_FLAG = '--stage';
const out: Record<string, unknown> = {};
const say = (line: string): void => {
  if (!json) process.stdout.write(line + '\n');
};
const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

const stages = {
  state: () => benchState(),
  'state-postgres': () => benchStatePostgres(),
  peoplesoft: () => benchPeopleSoft({ employees: quick ? 2_000 : 100_000, vendors: quick ? 1_000 : 20_000, latencyMs: 100 }),
  history: () => benchPeopleSoftHistory({ employees: quick ? 2_000 : 100_000, latencyMs: 100 }),
  zoho: () => benchZohoUpsert(quick ? 2_000 : 10_000, 30),
  reconcile: () => benchReconcile(quick ? { employees: 2_000, vendors: 1_000, naiveSample: 50 } : {}),
  large: () => benchReconcileLarge(quick ? 20_000 : 100_000),
};
type Stage = keyof typeof stages;

/** Run one stage in a child process of this file and return its result. */
function runStage<T>(stage: Stage): Promise<T> {
  return new Promise((resolve, reject) => {
    const args = [STAGE_FLAG, stage, ...(quick ? ['--quick'] : [])];
    const child = fork(fileURLToPath(import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--max-old-space-size=4096'] });
    let result: T | undefined;
    child.once('message', (m) => { result = m as T; });
    child.once('exit', (code) => (code === 0 && result !== undefined ? resolve(result) : reject(new Error(`bench stage ${stage} exited with code ${code}`))));
  });
}

const stageArg = process.argv.indexOf(STAGE_FLAG);
if (stageArg >= 0) {
  const stage = process.argv[stageArg + 1] as Stage;
  const result = await stages[stage]();
  process.send?.(result, () => process.exit(0));
} else {
  await runAll();
}

function scenarioLines(r: ScenarioResult): string[] {
  const calls = Object.entries(r.zohoCalls).sort().map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  const writeVerdict = r.writeCalls === r.writeLowerBound ? 'at the lower bound' : `lower bound ${r.writeLowerBound}`;
  return [
    `  ${r.scenario} (${r.records.employees.toLocaleString('en-US')} employees, ${r.records.vendors.toLocaleString('en-US')} vendors): ${r.changed.toLocaleString('en-US')} records written`,
    `    wall ${sec(r.wallMs)}; plan compute ${r.planComputeMs} ms (CPU ${r.planComputeCpuMs} ms); peak RSS ${r.peakRssMb} MB`,
    `    Zoho calls: ${calls}; write calls ${r.writeCalls} (${writeVerdict}); credits ${r.credits} (writes alone cannot cost less than ${r.writeCreditsLowerBound})`,
    `    PeopleSoft calls: ${r.peoplesoftCalls}`,
  ];
}

async function runAll(): Promise<void> {
  say('ml-connector bench');

  const state = await runStage<Awaited<ReturnType<typeof benchState>>>('state');
  out.state = state;
  say(`state: ${state.linkUpserts.toLocaleString('en-US')} link upserts in ${state.ms} ms (${state.perSecond.toLocaleString('en-US')}/s, ${state.batches} transactions); read back in ${state.readMs} ms; commitBatch of 100: ${state.batchCommit.perSecond.toLocaleString('en-US')} records/s`);

  say(describePostgresBench((out.statePostgres = await runStage<Awaited<ReturnType<typeof benchStatePostgres>>>('state-postgres')) as Awaited<ReturnType<typeof benchStatePostgres>>));

  const ps = await runStage<PeopleSoftBenchResult>('peoplesoft');
  out.peoplesoft = ps;
  say(`peoplesoft: ${ps.records.toLocaleString('en-US')} records (${ps.rows.toLocaleString('en-US')} rows) in ${sec(ps.ms)}, ${ps.calls} calls, ${ps.rowsPerSec.toLocaleString('en-US')} rows/s, peak RSS ${ps.peakRssMb} MB`);

  const history = await runStage<HistoryBenchResult>('history');
  out.peoplesoftHistory = history;
  say(`peoplesoft history: changed-rows reader, ${history.employees.toLocaleString('en-US')} employees (PeopleSoft ${history.latencyMs} ms per call); seeding ${history.seed.histories.toLocaleString('en-US')} whole histories (${(history.seed.storedBytes / 1e6).toFixed(1)} MB) took ${sec(history.seed.ms)} (the same full read without storing: ${sec(history.seed.wholeMs)})`);
  for (const d of history.days) {
    say(`  ${d.day}: ${d.changedRows.records} people read; whole query ${d.whole.calls} calls, ${d.whole.rows} rows, ${d.whole.ms} ms; changed rows ${d.changedRows.calls} calls, ${d.changedRows.rows} rows, ${d.changedRows.ms} ms (${d.changedRows.loaderCalls} state loads, ${d.changedRows.loaderMs} ms)`);
    say(`    extra: ${d.extraCalls} PeopleSoft calls, ${d.extraMs} ms; records identical: ${d.identical ? 'yes' : 'NO'}; a keyed re-read instead would cost ${d.keyedReadCalls} calls`);
  }

  const zoho = await runStage<Awaited<ReturnType<typeof benchZohoUpsert>>>('zoho');
  out.zohoUpsert = zoho;
  say(`zoho upsert: ${zoho.records.toLocaleString('en-US')} records in ${sec(zoho.ms)}: ${zoho.writeCalls} write calls (lower bound ${zoho.lowerBound}), ${zoho.credits} credits`);

  say('reconcile (Zoho 30 ms per call, PeopleSoft 100 ms per page):');
  const reconcile = await runStage<ReconcileBenchResult>('reconcile');
  out.reconcile = reconcile;
  for (const r of reconcile.scenarios) for (const line of scenarioLines(r)) say(line);
  const n = reconcile.naive;
  say(`  naive script (one upsert call per record, sequential), ${n.records.toLocaleString('en-US')} contacts: ${n.calls.toLocaleString('en-US')} calls, ${n.credits.toLocaleString('en-US')} credits, ~${sec(n.estimatedMs)} (measured ${n.sampled} calls in ${sec(n.sampledMs)}, extrapolated)`);
  say(`    naive / reconciler: ${n.ratio.calls}× the calls, ${n.ratio.credits}× the credits, ~${n.ratio.time}× the time`);

  const large = await runStage<ScenarioResult>('large');
  out.reconcileLarge = large;
  for (const line of scenarioLines(large)) say(line);

  const targets = {
    writeCallsAtLowerBound: [...reconcile.scenarios, large].every((r) => r.writeCalls === r.writeLowerBound),
    noopWrites: reconcile.scenarios[1]?.writeCalls ?? -1,
    planComputeUnder2s: large.planComputeMs < 2000,
    peakRssUnder500Mb: Math.max(large.peakRssMb, ...reconcile.scenarios.map((r) => r.peakRssMb)) < 500,
  };
  out.targets = targets;
  say(`targets: write calls = lower bound: ${targets.writeCallsAtLowerBound ? 'yes' : 'NO'}; no-op writes: ${targets.noopWrites}; plan compute < 2 s for ${large.records.employees.toLocaleString('en-US')}: ${targets.planComputeUnder2s ? 'yes' : 'NO'} (${large.planComputeMs} ms); peak RSS < 500 MB: ${targets.peakRssUnder500Mb ? 'yes' : 'NO'}`);
  if (json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}
