/**
 * Bench: the whole reconcile (read PeopleSoft, read Zoho, plan, apply) against both simulators
 * with realistic latency (30 ms per Zoho call, 100 ms per PeopleSoft page), in scenarios: an
 * initial sync, a no-op rerun, a rerun with 1% changed, and (in a fresh process, so its memory is
 * its own) an initial sync of 100,000 employees; plus the naive way (one upsert call per record).
 * The simulators run in a child process when this file runs as compiled JavaScript, so the RSS
 * measured is the reconciler's.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runReconcile } from '../engine/run.js';
import { openSession, type Session } from '../engine/session.js';
import { loadValidConfig } from '../config/index.js';
import type { PlanHeader } from '../plan/index.js';
import { openStateStore } from '../state/index.js';
import { createZohoClient, estimateCredits } from '../zoho/index.js';

export interface ScenarioResult {
  scenario: string;
  records: { employees: number; vendors: number };
  /** Records the plan writes. */
  changed: number;
  wallMs: number;
  /** The pure planner alone (mapping, diff, guards), reads excluded: wall time, and CPU time (steadier on a shared machine). */
  planComputeMs: number;
  planComputeCpuMs: number;
  zohoCalls: Record<string, number>;
  writeCalls: number;
  /** ceil(changed / 100) per module: the fewest write calls Zoho's 100-record limit allows. */
  writeLowerBound: number;
  credits: number;
  /** Credits the writes cannot cost less than (Zoho's published 1 per 10 records, per batch of 100). */
  writeCreditsLowerBound: number;
  peoplesoftCalls: number;
  peakRssMb: number;
}

export interface NaiveResult {
  /** Records the naive script upserted (sequentially, one call each), and how long that took. */
  sampled: number;
  sampledMs: number;
  /** The same for 10,000 records: calls exact, time extrapolated from the sample. */
  records: number;
  calls: number;
  credits: number;
  estimatedMs: number;
  /** Naive / reconciler, for the 10,000-contact initial sync. */
  ratio: { calls: number; credits: number; time: number };
}

interface SimInfo {
  zoho: { url: string; clientId: string; clientSecret: string; refreshToken: string };
  ps: { url: string; password: string };
}

type SimCommand = { cmd: 'stats' } | { cmd: 'clear' } | { cmd: 'change'; employees: number; vendors: number } | { cmd: 'close' };
interface SimStats { zoho: Record<string, number>; credits: number; ps: number }

const SIM_FLAG = '--ml-reconcile-bench-sim';
const BIG_FLAG = '--ml-reconcile-bench-big';
const ZOHO_LATENCY_MS = 30;
const PS_LATENCY_MS = 100;

/** Both simulators, here or in a child process; `send` runs a command against them. */
interface Sims {
  info: SimInfo;
  send(c: SimCommand): Promise<unknown>;
  close(): Promise<void>;
}

async function startSims(employees: number, vendors: number): Promise<Sims> {
  const self = fileURLToPath(import.meta.url);
  if (!self.endsWith('.js')) {
    const local = await runSims(employees, vendors);
    return { info: local.info, send: async (c) => local.handle(c), close: () => local.close() };
  }
  const child: ChildProcess = fork(self, [SIM_FLAG, String(employees), String(vendors)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: ['--max-old-space-size=4096'] });
  const pending: Array<(v: unknown) => void> = [];
  const info = await new Promise<SimInfo>((resolve, reject) => {
    child.once('message', (m) => resolve(m as SimInfo));
    child.once('exit', (code) => reject(new Error(`bench simulators exited with code ${code}`)));
  });
  child.on('message', (m) => pending.shift()?.(m));
  const send = (c: SimCommand): Promise<unknown> => new Promise((resolve) => {
    pending.push(resolve);
    child.send(c);
  });
  return {
    info, send,
    close: () => new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.send({ cmd: 'close' });
    }),
  };
}

async function runSims(employees: number, vendors: number): Promise<{ info: SimInfo; handle(c: SimCommand): unknown; close(): Promise<void> }> {
  const { startPeopleSoftSimulator } = await import('../sim/peoplesoft/index.js');
  const { startZohoSimulator } = await import('../sim/zoho/index.js');
  const { generateDataset, toPsDateTime } = await import('../sim/dataset/index.js');
  const ps = await startPeopleSoftSimulator({ dataset: generateDataset({ seed: 42, employees, vendors }), latencyMs: PS_LATENCY_MS });
  const zoho = await startZohoSimulator({ latencyMs: ZOHO_LATENCY_MS, dailyCredits: 1_000_000_000 });
  const handle = (c: SimCommand): unknown => {
    if (c.cmd === 'clear') {
      zoho.requests.clear();
      ps.requests.clear();
      return { ok: true };
    }
    if (c.cmd === 'stats') {
      const byKind: Record<string, number> = {};
      for (const e of zoho.requests.entries) if (e.kind !== 'token') byKind[e.kind] = (byKind[e.kind] ?? 0) + 1;
      return { zoho: byKind, credits: zoho.creditsUsed(), ps: ps.requests.entries.length } satisfies SimStats;
    }
    if (c.cmd === 'change') {
      // Spread the changes over the data: a new business email, and a vendor renamed.
      const stamp = toPsDateTime(ps.clock.now());
      const emps = ps.data.employees;
      for (let i = 0; i < c.employees; i++) {
        const e = emps[Math.floor((i * emps.length) / c.employees)]!;
        const mail = e.emails.find((m) => m.E_ADDR_TYPE === 'BUSN') ?? e.emails[0];
        if (mail) mail.EMAIL_ADDR = `changed.${e.EMPLID}@example.com`;
        e.LASTUPDDTTM = stamp;
      }
      const vs = ps.data.vendors;
      for (let i = 0; i < c.vendors; i++) {
        const v = vs[Math.floor((i * vs.length) / c.vendors)]!;
        v.NAME1 = `${v.NAME1} Renamed`;
      }
      return { ok: true };
    }
    return { ok: true };
  };
  return {
    info: { zoho: { url: zoho.url, ...zoho.credentials }, ps: { url: ps.url, password: ps.credentials.password } },
    handle,
    close: async () => {
      await zoho.close();
      await ps.close();
    },
  };
}

/** The example mappings, with connections that read both entities by QAS (100 ms per 5,000-row page). */
function writeConfig(dir: string, info: SimInfo): string {
  const conf = join(dir, 'configs');
  mkdirSync(join(conf, 'mappings'), { recursive: true });
  const here = fileURLToPath(new URL('../../configs/mappings/', import.meta.url));
  for (const m of ['employees-to-contacts.yaml', 'vendors-to-accounts.yaml']) {
    // The bench is about scale: an initial sync of 100,000 is a large change by design, and the
    // large run has no vendors, so the guards that are on by default are turned off.
    writeFileSync(join(conf, 'mappings', m), readFileSync(join(here, m), 'utf8').replace(/\nguards:[\s\S]*$/, '\nguards: { maxDeactivations: off, minSourceRows: off, maxDrop: off }\n'));
  }
  const ps = (name: string, node: string, reader: string): string => `apiVersion: ml-connector/v1
kind: PeopleSoftConnection
name: ${name}
baseUrl: ${info.ps.url}
node: ${node}
auth: { type: basic, username: ML_SYNC, password: "\${env:BENCH_PS_PASSWORD}" }
timeouts: { requestMs: 120000 }
normalization: { serverTimezone: UTC }
readers:
${reader}`;
  writeFileSync(join(conf, 'hcm.yaml'), ps('peoplesoft-hcm', 'PSFT_HR', `  employees:
    kind: qas
    query: ML_EMPLOYEES
    maxRows: 5000
    keyset: EMPLID
    prompts:
      - { name: LASTUPD_FROM, value: "{since}" }
      - { name: LASTUPD_TO, value: "{until}" }
      - { name: EFFDT_FROM, value: "{effdtFrom}" }
      - { name: EFFDT_TO, value: "{effdtTo}" }
      - { name: AFTER_EMPLID, value: "{after}" }
    changeDetection: { mode: cursor, cursorField: LASTUPDDTTM }
`));
  writeFileSync(join(conf, 'fscm.yaml'), ps('peoplesoft-fscm', 'PSFT_EP', `  vendors:
    kind: qas
    query: ML_VENDORS
    maxRows: 5000
    keyset: VENDOR_ID
    prompts:
      - { name: SETID, value: SHARE }
      - { name: AFTER_VENDOR_ID, value: "{after}" }
    changeDetection: { mode: hash }
`));
  writeFileSync(join(conf, 'zoho.yaml'), `apiVersion: ml-connector/v1
kind: ZohoConnection
name: zoho
region: us
accountsUrl: ${info.zoho.url}
apiUrl: ${info.zoho.url}
edition: enterprise
auth: { type: refresh_token, clientId: "${info.zoho.clientId}", clientSecret: "\${env:BENCH_ZOHO_SECRET}", refreshToken: "\${env:BENCH_ZOHO_TOKEN}" }
trigger: []
`);
  writeFileSync(join(conf, 'project.yaml'), `apiVersion: ml-connector/v1
kind: Project
name: bench
defaults: { timezone: UTC }
`);
  return conf;
}

/** BENCH_TRACE=1 prints memory at each step (to find what holds the peak). */
function trace(step: string): void {
  if (!process.env.BENCH_TRACE) return;
  const m = process.memoryUsage();
  process.stderr.write(`[bench] ${step}: rss ${Math.round(m.rss / 1e6)} MB, heap ${Math.round(m.heapUsed / 1e6)}/${Math.round(m.heapTotal / 1e6)} MB\n`);
}

function rssSampler(): { peak(): number; stop(): void } {
  // process.memoryUsage.rss() does not walk the heap (memoryUsage() does, and costs ~1 ms a call).
  let peak = process.memoryUsage.rss();
  const t = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  return { peak: () => Math.round(Math.max(peak, process.memoryUsage.rss()) / 1024 / 1024), stop: () => clearInterval(t) };
}

async function runScenario(name: string, sims: Sims, session: Session, records: ScenarioResult['records']): Promise<ScenarioResult> {
  await sims.send({ cmd: 'clear' });
  const creditsBefore = ((await sims.send({ cmd: 'stats' })) as SimStats).credits;
  const rss = rssSampler();
  const started = performance.now();
  let header: PlanHeader | undefined;
  const outcome = await runReconcile(session, { apply: true, trigger: 'bench', holder: 'bench', onPlan: (view) => { header = view.header; trace('planned'); } });
  const wallMs = Math.round(performance.now() - started);
  trace('applied');
  rss.stop();
  if (outcome.status !== 'succeeded' || !header) throw new Error(`bench apply failed: ${outcome.status} ${JSON.stringify(outcome.error ?? outcome.failures.slice(0, 3))}`);
  const stats = (await sims.send({ cmd: 'stats' })) as SimStats;
  const writeCalls = (stats.zoho.upsert ?? 0) + (stats.zoho.insert ?? 0) + (stats.zoho.update ?? 0) + (stats.zoho.delete ?? 0);
  const lower = header.mappings.reduce((n, m) => n + m.cost.calls.upsert + m.cost.calls.update + m.cost.calls.delete, 0);
  const lowerCredits = header.mappings.reduce((n, m) => n + m.cost.credits, 0);
  return {
    scenario: name, records, changed: header.summary.changes, wallMs, planComputeMs: 0, planComputeCpuMs: 0,
    zohoCalls: stats.zoho, writeCalls, writeLowerBound: lower, credits: stats.credits - creditsBefore, writeCreditsLowerBound: lowerCredits,
    peoplesoftCalls: outcome.usage.peoplesoft, peakRssMb: rss.peak(),
  };
}

async function withWorld<T>(employees: number, vendors: number, fn: (sims: Sims, session: Session) => Promise<T>): Promise<T> {
  const sims = await startSims(employees, vendors);
  const dir = mkdtempSync(join(tmpdir(), 'ml-bench-reconcile-'));
  const env = { BENCH_PS_PASSWORD: sims.info.ps.password, BENCH_ZOHO_SECRET: sims.info.zoho.clientSecret, BENCH_ZOHO_TOKEN: sims.info.zoho.refreshToken };
  const config = await loadValidConfig(writeConfig(dir, sims.info), { env });
  const store = await openStateStore(join(dir, 'state.db'));
  const session = openSession({ config, store, env });
  try {
    return await fn(sims, session);
  } finally {
    await session.close();
    await store.close();
    await sims.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The naive script: one upsert call per record, one after the other. */
async function benchNaive(sims: Sims, sample: number): Promise<{ ms: number; calls: number }> {
  const client = createZohoClient(
    { apiVersion: 'ml-connector/v1', kind: 'ZohoConnection', name: 'naive', region: 'us', accountsUrl: sims.info.zoho.url, apiUrl: sims.info.zoho.url, auth: { type: 'refresh_token', clientId: sims.info.zoho.clientId, clientSecret: '${env:X}', refreshToken: '${env:Y}' }, trigger: [] },
    { credentials: { clientId: sims.info.zoho.clientId, clientSecret: sims.info.zoho.clientSecret, refreshToken: sims.info.zoho.refreshToken } },
  );
  try {
    await client.connect();
    const started = performance.now();
    for (let i = 0; i < sample; i++) {
      await client.upsert('Contacts', [{ Last_Name: `Naive ${i}`, PeopleSoft_Employee_ID: `N${String(i).padStart(7, '0')}` }], { duplicateCheckFields: ['PeopleSoft_Employee_ID'] });
    }
    return { ms: performance.now() - started, calls: sample };
  } finally {
    await client.close();
  }
}

/** Initial sync of `employees` + `vendors`, a no-op rerun, a rerun with 1% changed, and the naive way. */
export async function benchReconcile(opts: { employees?: number; vendors?: number; naiveSample?: number } = {}): Promise<{ scenarios: ScenarioResult[]; naive: NaiveResult }> {
  const employees = opts.employees ?? 10_000;
  const vendors = opts.vendors ?? 5_000;
  return withWorld(employees, vendors, async (sims, session) => {
    const records = { employees, vendors };
    const initial = await runScenario('initial sync', sims, session, records);
    const noop = await runScenario('no-op rerun', sims, session, records);
    await sims.send({ cmd: 'change', employees: Math.round(employees / 100), vendors: Math.round(vendors / 100) });
    const onePct = await runScenario('rerun, 1% changed', sims, session, records);
    const sample = opts.naiveSample ?? 200;
    const naiveRun = await benchNaive(sims, sample);
    const contacts = employees;
    const estimatedMs = Math.round((naiveRun.ms / sample) * contacts);
    // The reconciler's share of the initial sync that wrote contacts: its contact upsert calls.
    const ourCalls = Math.ceil(contacts / 100);
    const ourCredits = estimateCredits('upsert', contacts);
    const naiveCredits = contacts * estimateCredits('upsert', 1);
    const contactShare = initial.wallMs * (contacts / (employees + vendors));
    const naive: NaiveResult = {
      sampled: sample, sampledMs: Math.round(naiveRun.ms), records: contacts, calls: contacts, credits: naiveCredits, estimatedMs,
      ratio: { calls: Math.round(contacts / ourCalls), credits: Math.round((naiveCredits / ourCredits) * 10) / 10, time: Math.round((estimatedMs / contactShare) * 10) / 10 },
    };
    return { scenarios: [initial, noop, onePct], naive };
  });
}

/** Initial sync of `employees` employees (no vendors), in a fresh process when compiled, so the RSS is its own. */
export async function benchReconcileLarge(employees = 100_000): Promise<ScenarioResult> {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.js') && process.argv[2] !== BIG_FLAG) {
    const child = fork(self, [BIG_FLAG, String(employees)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise<ScenarioResult>((resolve, reject) => {
      child.once('message', (m) => resolve(m as ScenarioResult));
      child.once('exit', (code) => {
        if (code !== 0) reject(new Error(`large reconcile bench exited with code ${code}`));
      });
    });
  }
  return withWorld(employees, 0, (sims, session) => runScenario(`initial sync, ${employees.toLocaleString('en-US')} employees`, sims, session, { employees, vendors: 0 }));
}

// Child-process entries: the simulators, or the large scenario on its own.
if (process.argv[2] === SIM_FLAG && process.send) {
  const [employees, vendors] = process.argv.slice(3).map(Number);
  const sims = await runSims(employees ?? 0, vendors ?? 0);
  process.on('message', (c: SimCommand) => {
    if (c.cmd === 'close') void sims.close().then(() => process.exit(0));
    else process.send!(sims.handle(c));
  });
  process.send(sims.info);
} else if (process.argv[2] === BIG_FLAG && process.send) {
  const result = await benchReconcileLarge(Number(process.argv[3] ?? 100_000));
  process.send(result, () => process.exit(0));
}
