/**
 * `npm run bench`: every measured figure of ml-connector in one run, printed as text (and as JSON
 * with --json). Each part runs against the simulators on 127.0.0.1; see docs/decisions.md for
 * what the targets are and why.
 */
import { benchPeopleSoft } from './peoplesoft.js';
import { benchReconcile, benchReconcileLarge, type ScenarioResult } from './reconcile.js';
import { benchState } from './state.js';
import { benchZohoUpsert } from './zoho.js';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const out: Record<string, unknown> = {};
const say = (line: string): void => {
  if (!json) process.stdout.write(line + '\n');
};
const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

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

say('ml-connector bench');

const state = await benchState();
out.state = state;
say(`state: ${state.linkUpserts.toLocaleString('en-US')} link upserts in ${state.ms} ms (${state.perSecond.toLocaleString('en-US')}/s, ${state.batches} transactions); read back in ${state.readMs} ms; commitBatch of 100: ${state.batchCommit.perSecond.toLocaleString('en-US')} records/s`);

const ps = await benchPeopleSoft({ employees: quick ? 2_000 : 10_000, vendors: quick ? 1_000 : 5_000, latencyMs: 100 });
out.peoplesoft = ps;
say(`peoplesoft: ${ps.records.toLocaleString('en-US')} records (${ps.rows.toLocaleString('en-US')} rows) in ${sec(ps.ms)}, ${ps.calls} calls, ${ps.rowsPerSec.toLocaleString('en-US')} rows/s, peak RSS ${ps.peakRssMb} MB`);

const zoho = await benchZohoUpsert(quick ? 2_000 : 10_000, 30);
out.zohoUpsert = zoho;
say(`zoho upsert: ${zoho.records.toLocaleString('en-US')} records in ${sec(zoho.ms)}: ${zoho.writeCalls} write calls (lower bound ${zoho.lowerBound}), ${zoho.credits} credits`);

say('reconcile (Zoho 30 ms per call, PeopleSoft 100 ms per page):');
const reconcile = await benchReconcile(quick ? { employees: 2_000, vendors: 1_000, naiveSample: 50 } : {});
out.reconcile = reconcile;
for (const r of reconcile.scenarios) for (const line of scenarioLines(r)) say(line);
const n = reconcile.naive;
say(`  naive script (one upsert call per record, sequential), ${n.records.toLocaleString('en-US')} contacts: ${n.calls.toLocaleString('en-US')} calls, ${n.credits.toLocaleString('en-US')} credits, ~${sec(n.estimatedMs)} (measured ${n.sampled} calls in ${sec(n.sampledMs)}, extrapolated)`);
say(`    naive / reconciler: ${n.ratio.calls}× the calls, ${n.ratio.credits}× the credits, ~${n.ratio.time}× the time`);

const large = await benchReconcileLarge(quick ? 20_000 : 100_000);
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
