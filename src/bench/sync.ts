/**
 * One repetition of the sync scenarios at one size, against both simulators with the bench's
 * latency: the product (runReconcile, as `apply --auto-approve` runs it) through an initial sync,
 * the first run after that apply, a no-op after a no-op, a run with 1% changed and the run after
 * it; then the two baselines (scripts.ts) into empty Zoho orgs. Every run opens its own session and
 * state connection, as a CLI process would. Calls are counted by the simulators, not the client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { runReconcile } from '../engine/run.js';
import type { PlanHeader } from '../plan/index.js';
import { concurrencyOf } from '../zoho/index.js';
import { latencyBound, readsAfterApplyTarget, writeCallsLowerBound, type LatencyBound, type WriteCounts } from './bounds.js';
import { cpuMsSince, maxRssMb, sampleRss } from './measure.js';
import { profileWhile, summariseProfile, type ProfileSummary } from './profile.js';
import { runBatchedScript, runNaiveScript, type NaiveRun, type ScriptRun } from './scripts.js';
import { PS_LATENCY_MS, startSims, ZOHO_LATENCY_MS, type SimOptions, type Sims, type SimStats } from './sims.js';
import { loadBenchConfig, openRunSession, PS_MAX_ROWS } from './world.js';

export type ScenarioName = 'initial' | 'after-apply' | 'noop' | 'change' | 'after-change';

export const SCENARIO_LABEL: Record<ScenarioName, string> = {
  initial: 'initial sync',
  'after-apply': 'first run after that apply',
  noop: 'no-op after a no-op',
  change: 'rerun, 1% changed in PeopleSoft',
  'after-change': 'first run after that apply',
};

const READ_KINDS = new Set(['list', 'get', 'search', 'coql', 'count', 'deleted']);
const WRITE_KINDS = new Set(['upsert', 'insert', 'update', 'delete']);

export interface ModuleFigures {
  module: string;
  /** Records the run's plan wrote to this module. */
  changed: number;
  writeCalls: number;
  writeLowerBound: number;
  /** Record reads (list, get, search, COQL) and field-metadata calls. */
  readCalls: number;
  fieldsCalls: number;
  /** The run before wrote this many records here (0 for the first run). */
  writtenBefore: number;
  /** ceil(writtenBefore / 200) + 1: issue 13's limit for the run after an apply. */
  readTarget: number;
  calls: Record<string, number>;
}

export interface RunFigures {
  scenario: ScenarioName;
  wallMs: number;
  /** Until the plan was complete, and from then to the end. */
  planMs: number;
  applyMs: number;
  /** The reconciler's CPU (user + system, all threads), the simulators' not included. */
  cpuMs: number;
  simCpuMs: number;
  peakRssMb: number;
  written: number;
  modules: ModuleFigures[];
  zohoCalls: number;
  zohoTokenCalls: number;
  credits: number;
  peoplesoft: SimStats['ps'];
  bound: LatencyBound;
  /** With SyncOptions.profileFile, the initial sync's CPU profile. */
  profile?: ProfileSummary;
}

export interface SyncRepetition {
  records: { employees: number; vendors: number };
  product: RunFigures[];
  batched?: { initial: ScriptRun; rerun: ScriptRun };
  naive?: NaiveRun;
  /** getrusage's high-water mark of this process after the product's runs. */
  maxRssMb: number;
}

export interface SyncOptions extends Pick<SimOptions, 'employees' | 'vendors'> {
  /** Calls the naive script makes before extrapolating. */
  naiveSample: number;
  /** Also run the baselines (default true). */
  baselines?: boolean;
  /** Only the initial sync and the run after it (the RSS stages). */
  initialOnly?: boolean;
  /** Latency off (tests). */
  noLatency?: boolean;
  /** Profile the initial sync's main thread into this .cpuprofile file. */
  profileFile?: string;
}

/**
 * Per module: what the plan writes and the fewest write calls for it. Mappings are applied one
 * after another (a lookup's target first), each in batches of its own, so the bound is the sum of
 * each mapping's ceil(n/100): two mappings into Accounts cannot share a batch.
 */
function modulesOf(header: PlanHeader): Map<string, { writes: WriteCounts; lower: number }> {
  const out = new Map<string, { writes: WriteCounts; lower: number }>();
  for (const m of header.mappings) {
    const c = m.counts;
    const mine: WriteCounts = { upsert: c.create + c.update + c.deactivate + c.reactivate, update: c.adopt, delete: c.delete };
    const w = out.get(m.module) ?? { writes: { upsert: 0, update: 0, delete: 0 }, lower: 0 };
    w.writes.upsert += mine.upsert;
    w.writes.update += mine.update;
    w.writes.delete += mine.delete;
    w.lower += writeCallsLowerBound(mine);
    out.set(m.module, w);
  }
  return out;
}

async function runProduct(scenario: ScenarioName, config: Config, statePath: string, sims: Sims, before: ReadonlyMap<string, number>, profileFile?: string): Promise<RunFigures> {
  await sims.clear();
  const { session, close } = await openRunSession(config, statePath, sims.info);
  const rss = sampleRss();
  const cpu = process.cpuUsage();
  const started = performance.now();
  let planned = started;
  let header: PlanHeader | undefined;
  try {
    const reconcile = () => runReconcile(session, {
      apply: true, trigger: 'bench', holder: 'bench',
      onPlan: (view) => {
        header = view.header;
        planned = performance.now();
      },
    });
    let profile: ProfileSummary | undefined;
    let outcome: Awaited<ReturnType<typeof reconcile>>;
    if (profileFile) {
      const profiled = await profileWhile(profileFile, reconcile);
      outcome = profiled.result;
      profile = summariseProfile(profiled.profile, profileFile);
    } else {
      outcome = await reconcile();
    }
    const ended = performance.now();
    const cpuMs = cpuMsSince(cpu);
    const peakRssMb = rss.stop();
    if (outcome.status !== 'succeeded' || !header) {
      throw new Error(`bench ${scenario}: run ${outcome.status}: ${JSON.stringify(outcome.error ?? outcome.failures.slice(0, 3))}`);
    }
    const stats = await sims.stats();
    const modules: ModuleFigures[] = [];
    let lowerTotal = 0;
    for (const [module, { writes, lower }] of modulesOf(header)) {
      const calls = stats.zoho[module] ?? {};
      const count = (kinds: Set<string>): number => Object.entries(calls).filter(([k]) => kinds.has(k)).reduce((n, [, v]) => n + v, 0);
      lowerTotal += lower;
      const writtenBefore = before.get(module) ?? 0;
      modules.push({
        module, changed: writes.upsert + writes.update + writes.delete, writeCalls: count(WRITE_KINDS), writeLowerBound: lower,
        readCalls: count(READ_KINDS), fieldsCalls: calls.fields ?? 0, writtenBefore, readTarget: readsAfterApplyTarget(writtenBefore), calls,
      });
    }
    const conn = config.zoho.values().next().value!;
    const bound = latencyBound({
      // Each query the run sent is one reader's chain of pages.
      peoplesoftRows: Object.values(stats.ps).map((q) => q.rows),
      maxRows: PS_MAX_ROWS,
      zohoRecordsToRead: modules.map(() => 0),
      writeCalls: lowerTotal,
      concurrency: concurrencyOf(conn),
      peoplesoftLatencyMs: PS_LATENCY_MS,
      zohoLatencyMs: ZOHO_LATENCY_MS,
    });
    return {
      scenario, wallMs: Math.round(ended - started), planMs: Math.round(planned - started), applyMs: Math.round(ended - planned),
      cpuMs, simCpuMs: stats.simCpuMs, peakRssMb, written: header.summary.changes, modules,
      zohoCalls: Object.values(stats.zoho).reduce((n, kinds) => n + Object.values(kinds).reduce((a, b) => a + b, 0), 0),
      zohoTokenCalls: stats.zohoTokenCalls, credits: stats.credits, peoplesoft: stats.ps, bound,
      ...(profile ? { profile } : {}),
    };
  } finally {
    rss.stop();
    await close();
  }
}

export async function runSyncRepetition(o: SyncOptions): Promise<SyncRepetition> {
  const latency = o.noLatency ? {} : { zohoLatencyMs: ZOHO_LATENCY_MS, psLatencyMs: PS_LATENCY_MS };
  const sims = await startSims({ employees: o.employees, vendors: o.vendors, ...latency });
  const dir = mkdtempSync(join(tmpdir(), 'ml-bench-sync-'));
  try {
    const config = await loadBenchConfig(join(dir, 'product'), sims.info);
    const statePath = join(dir, 'state.db');
    const product: RunFigures[] = [];
    const run = async (scenario: ScenarioName): Promise<void> => {
      const last = product[product.length - 1];
      const before = new Map((last?.modules ?? []).map((m) => [m.module, m.changed]));
      product.push(await runProduct(scenario, config, statePath, sims, before, scenario === 'initial' ? o.profileFile : undefined));
    };
    await run('initial');
    await run('after-apply');
    if (!o.initialOnly) {
      await run('noop');
      await sims.change(Math.round(o.employees / 100), Math.round(o.vendors / 100));
      await run('change');
      await run('after-change');
    }
    const out: SyncRepetition = { records: { employees: o.employees, vendors: o.vendors }, product, maxRssMb: maxRssMb() };
    if (o.baselines !== false) {
      const scriptConfig = await loadBenchConfig(join(dir, 'batched'), await sims.freshZoho());
      out.batched = { initial: await runBatchedScript(scriptConfig, sims.info), rerun: await runBatchedScript(scriptConfig, sims.info) };
      const naiveConfig = await loadBenchConfig(join(dir, 'naive'), await sims.freshZoho());
      out.naive = await runNaiveScript(naiveConfig, sims.info, o.naiveSample);
    }
    return out;
  } finally {
    await sims.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
