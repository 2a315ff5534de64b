/**
 * `npm run bench`: issue 13's figures in one run, each stage in a process of its own (so its peak
 * RSS and CPU are its own), the simulators in another (sims.ts), with the same latency for the
 * product and the baselines. Progress goes to stderr; the report (text, or JSON with --json) to
 * stdout. Exit code 1 when a stage failed.
 *
 * Usage: see USAGE below (`npm run bench -- --help`).
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchResults } from './figures.js';
import { issue13Figures } from './figures.js';
import { renderReport } from './report.js';
import { PS_LATENCY_MS, ZOHO_LATENCY_MS } from './sims.js';
import type { SyncOptions, SyncRepetition } from './sync.js';

const USAGE = `Usage: npm run bench -- [--quick] [--runs N] [--large] [--profile] [--only STAGES] [--json]

  --quick      smaller sizes (2,000 and 20,000 records), one run: about a minute
  --runs N     repetitions of the wall figures (default 3; medians and ranges)
  --large      also plan and apply 600,000 records (500,000 employees + 100,000 vendors)
  --profile    also a CPU profile of the initial sync at 100,000 records (.cpuprofile kept)
  --only LIST  only these stages: startup, plan, sync-small, sync-large, rss, rss-large,
               profile, components (comma-separated)
  --json       the results as JSON on stdout (progress stays on stderr)
`;

type StageName = 'startup' | 'plan' | 'sync' | 'state' | 'state-postgres' | 'peoplesoft' | 'history' | 'zoho';

/** What a stage process runs, by name; parameters arrive as JSON. */
const STAGES: Record<StageName, (p: Record<string, unknown>) => Promise<unknown>> = {
  startup: async (p) => (await import('./startup.js')).benchStartup(p.runs as number),
  plan: async (p) => (await import('./plan-compute.js')).benchPlanCompute(p as { employees: number; vendors: number; runs: number }),
  sync: async (p) => (await import('./sync.js')).runSyncRepetition(p as unknown as SyncOptions),
  state: async () => (await import('./state.js')).benchState(),
  'state-postgres': async () => (await import('./state-postgres.js')).benchStatePostgres(),
  history: async (p) => (await import('./peoplesoft.js')).benchPeopleSoftHistory({ employees: p.employees as number, latencyMs: PS_LATENCY_MS }),
  peoplesoft: async (p) => (await import('./peoplesoft.js')).benchPeopleSoft({ ...(p as { employees: number; vendors: number }), latencyMs: PS_LATENCY_MS }),
  zoho: async (p) => (await import('./zoho.js')).benchZohoUpsert(p.records as number, ZOHO_LATENCY_MS),
};

const KNOWN_STAGES = ['startup', 'plan', 'sync-small', 'sync-large', 'rss', 'rss-large', 'profile', 'components'];
const OPTIONS = {
  json: { type: 'boolean', default: false },
  quick: { type: 'boolean', default: false },
  large: { type: 'boolean', default: false },
  profile: { type: 'boolean', default: false },
  runs: { type: 'string' },
  only: { type: 'string' },
  help: { type: 'boolean', default: false },
  // Between the bench and its stage processes.
  stage: { type: 'string' },
  params: { type: 'string' },
} as const;

/** The arguments, or the usage on stderr and exit code 2. */
function readArgs(): ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'] {
  const usage = (message: string): never => {
    process.stderr.write(`${message}\n\n${USAGE}`);
    process.exit(2);
  };
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];
  try {
    ({ values } = parseArgs({ options: OPTIONS }));
  } catch (err) {
    return usage(err instanceof Error ? err.message : String(err));
  }
  if (values.runs !== undefined && !(Number.isInteger(Number(values.runs)) && Number(values.runs) >= 1)) usage(`--runs must be a whole number from 1, not "${values.runs}"`);
  const unknown = (values.only ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '' && !KNOWN_STAGES.includes(x));
  if (unknown.length > 0) usage(`--only: no stage named ${unknown.join(', ')}`);
  return values;
}

const args = readArgs();

function runStage<T>(stage: StageName, params: object, heapMb?: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--stage', stage, '--params', JSON.stringify(params)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // The product runs with Node's default heap, as `ml-connector apply` would.
      execArgv: heapMb ? [`--max-old-space-size=${heapMb}`] : [],
    });
    let result: T | undefined;
    child.once('message', (m) => { result = m as T; });
    child.once('exit', (code, signal) => (code === 0 && result !== undefined ? resolve(result) : reject(new Error(`exited with ${signal ?? `code ${code}`}`))));
  });
}

const total = (e: number, v: number): string => (e + v).toLocaleString('en-US');
const note = (line: string): void => { process.stderr.write(`[bench] ${line}\n`); };

async function runBench(): Promise<number> {
  const quick = args.quick;
  const runs = Math.max(1, Number(args.runs ?? (quick ? 1 : 3)));
  const only = args.only ? new Set(args.only.split(',').map((s) => s.trim())) : undefined;
  const wants = (stage: string, byDefault = true): boolean => (only ? only.has(stage) : byDefault);
  // Employees : vendors as in the largest target (500,000 : 100,000), except the 150,000 of issue 13's RSS figure.
  const small = { employees: 1_600, vendors: 400 };
  const large = quick ? { employees: 16_000, vendors: 4_000 } : { employees: 80_000, vendors: 20_000 };
  const rssMain = quick ? { employees: 20_000, vendors: 10_000 } : { employees: 100_000, vendors: 50_000 };
  const rssLarge = { employees: 500_000, vendors: 100_000 };
  const naiveSample = quick ? 50 : 100;

  const cacheDir = mkdtempSync(join(tmpdir(), 'ml-bench-cache-'));
  process.env.ML_CONNECTOR_CACHE_DIR = cacheDir;
  const results: BenchResults = {
    settings: { quick, runs, large: args.large, zohoLatencyMs: ZOHO_LATENCY_MS, psLatencyMs: PS_LATENCY_MS, node: process.version, cpus: cpus().length, loadAverage: loadavg() },
    sync: {}, rss: {}, errors: {},
  };
  const attempt = async (stage: string, fn: () => Promise<void>): Promise<void> => {
    const started = performance.now();
    note(`${stage} ...`);
    try {
      await fn();
      note(`${stage} done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    } catch (err) {
      results.errors[stage] = err instanceof Error ? err.message : String(err);
      note(`${stage} FAILED: ${results.errors[stage]}`);
    }
  };
  try {
    if (wants('startup')) await attempt('startup', async () => { results.startup = await runStage('startup', { runs: quick ? 5 : 11 }); });
    if (wants('plan')) await attempt('plan', async () => { results.planCompute = await runStage('plan', { ...large, runs }, 4096); });
    // Repetitions alternate between the sizes, so a change in the machine's load spreads over both.
    for (let i = 0; i < runs; i++) {
      for (const [stage, size] of [['sync-small', small], ['sync-large', large]] as const) {
        if (!wants(stage)) continue;
        await attempt(`${stage} run ${i + 1}/${runs}`, async () => {
          const rep = await runStage<SyncRepetition>('sync', { ...size, naiveSample } satisfies SyncOptions);
          (results.sync[total(size.employees, size.vendors)] ??= []).push(rep);
        });
      }
    }
    if (wants('rss')) await attempt('rss', async () => { results.rss.main = await runStage('sync', { ...rssMain, naiveSample, baselines: false, initialOnly: true } satisfies SyncOptions); });
    if (wants('rss-large', args.large)) await attempt('rss-large', async () => { results.rss.large = await runStage('sync', { ...rssLarge, naiveSample, baselines: false, initialOnly: true } satisfies SyncOptions); });
    if (wants('profile', args.profile)) {
      await attempt('profile', async () => {
        const profileFile = join(tmpdir(), `ml-bench-initial-${total(large.employees, large.vendors).replace(/,/g, '')}-${Date.now()}.cpuprofile`);
        results.profile = await runStage('sync', { ...large, naiveSample, baselines: false, initialOnly: true, profileFile } satisfies SyncOptions);
      });
    }
    if (wants('components')) {
      await attempt('components', async () => {
        results.components = {
          state: await runStage('state', {}),
          statePostgres: await runStage('state-postgres', {}),
          peoplesoft: await runStage('peoplesoft', quick ? { employees: 2_000, vendors: 1_000 } : { employees: 100_000, vendors: 20_000 }),
          history: await runStage('history', { employees: quick ? 2_000 : 100_000 }),
          zoho: await runStage('zoho', { records: quick ? 2_000 : 10_000 }),
        };
      });
    }
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
  process.stdout.write(args.json ? JSON.stringify({ ...results, figures: issue13Figures(results) }, null, 2) + '\n' : renderReport(results));
  return Object.keys(results.errors).length > 0 ? 1 : 0;
}

// Last, once everything above is defined: a stage process, or the bench that starts them.
if (args.help) {
  process.stdout.write(USAGE);
} else if (args.stage) {
  const result = await STAGES[args.stage as StageName](JSON.parse(args.params ?? '{}') as Record<string, unknown>);
  process.send?.(result, () => process.exit(0));
} else {
  process.exitCode = await runBench();
}
