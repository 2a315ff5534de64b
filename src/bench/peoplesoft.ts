/**
 * Bench: read N employees (QAS ML_EMPLOYEES, keyset pages of 5,000 rows) and M vendors (QAS
 * ML_VENDORS) from the PeopleSoft simulator through the real connector, and report rows/s, calls
 * and peak memory. The simulator runs in a child process when this file runs as compiled
 * JavaScript, so the RSS measured is the connector's own; from TypeScript sources (tests) it runs
 * in-process and the figure includes the simulator's dataset.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PeopleSoftConnection, QasReader } from '../config/types.generated.js';
import type { HistoryLoader, SourceRecord } from '../model/index.js';
import { computeReadWindow, createPeopleSoftClient, nextWatermark, readSourceRecords, type ReadWindow } from '../peoplesoft/index.js';
import { openStateStore } from '../state/index.js';

export interface PeopleSoftBenchResult {
  rows: number;
  /** Source records produced (employees + vendors). */
  records: number;
  ms: number;
  rowsPerSec: number;
  calls: number;
  peakRssMb: number;
  /** RSS just before the read started (Node, modules, connection pool). */
  startRssMb: number;
  /** CPU the connector itself used (user + system), excluding the simulator when it runs in a child process. */
  connectorCpuMs: number;
  /** Whether the simulator ran in another process (then peakRssMb is the connector's alone). */
  simulatorInChildProcess: boolean;
}

interface SimHandle {
  url: string;
  password: string;
  close(): Promise<void>;
}

const CHILD_FLAG = '--ml-peoplesoft-bench-sim';
const HISTORY_FLAG = '--ml-peoplesoft-history-sim';

async function startSimulator(employees: number, vendors: number, latencyMs: number): Promise<{ sim: SimHandle; child: boolean }> {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.js')) {
    const proc: ChildProcess = fork(self, [CHILD_FLAG, String(employees), String(vendors), String(latencyMs)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const ready = await new Promise<{ url: string; password: string }>((resolve, reject) => {
      proc.once('message', (m) => resolve(m as { url: string; password: string }));
      proc.once('exit', (code) => reject(new Error(`bench simulator exited with code ${code}`)));
    });
    return {
      child: true,
      sim: {
        ...ready,
        close: () => new Promise<void>((resolve) => {
          proc.once('exit', () => resolve());
          proc.send('close');
        }),
      },
    };
  }
  const sim = await runSimulator(employees, vendors, latencyMs);
  return { child: false, sim: { url: sim.url, password: sim.credentials.password, close: () => sim.close() } };
}

async function runSimulator(employees: number, vendors: number, latencyMs: number) {
  const { startPeopleSoftSimulator } = await import('../sim/peoplesoft/index.js');
  const { generateDataset } = await import('../sim/dataset/index.js');
  const dataset = generateDataset({ seed: 42, employees, vendors });
  return startPeopleSoftSimulator({ dataset, latencyMs });
}

function connection(url: string, which: 'employees' | 'vendors', maxRows: number): PeopleSoftConnection {
  const base = {
    apiVersion: 'ml-connector/v1' as const, kind: 'PeopleSoftConnection' as const, baseUrl: url,
    auth: { type: 'basic' as const, username: 'ML_SYNC', password: '${env:PS_PASSWORD}' },
    timeouts: { requestMs: 120_000 }, normalization: { serverTimezone: 'UTC' },
  };
  if (which === 'employees') {
    return {
      ...base, name: 'bench-hcm', node: 'PSFT_HR',
      readers: { employees: { kind: 'qas', query: 'ML_EMPLOYEES', maxRows, keyset: 'EMPLID', prompts: [
        { name: 'LASTUPD_FROM', value: '{since}' }, { name: 'LASTUPD_TO', value: '{until}' }, { name: 'EFFDT_FROM', value: '{effdtFrom}' },
        { name: 'EFFDT_TO', value: '{effdtTo}' }, { name: 'AFTER_EMPLID', value: '{after}' },
      ] } },
    };
  }
  return {
    ...base, name: 'bench-fscm', node: 'PSFT_EP',
    readers: { vendors: { kind: 'qas', query: 'ML_VENDORS', maxRows, keyset: 'VENDOR_ID', prompts: [{ name: 'SETID', value: 'SHARE' }, { name: 'AFTER_VENDOR_ID', value: '{after}' }] } },
  };
}

/** `maxRows`: rows per QAS page (default 5000, the connection default). */
export async function benchPeopleSoft(opts: { employees: number; vendors: number; latencyMs?: number; maxRows?: number }): Promise<PeopleSoftBenchResult> {
  const { sim, child } = await startSimulator(opts.employees, opts.vendors, opts.latencyMs ?? 0);
  const startRss = process.memoryUsage().rss;
  let peak = startRss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  let rows = 0;
  let records = 0;
  let calls = 0;
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  try {
    for (const entity of ['employees', 'vendors'] as const) {
      const conn = connection(sim.url, entity, opts.maxRows ?? 5000);
      const client = createPeopleSoftClient(conn, { credentials: { password: sim.password } });
      try {
        for await (const r of readSourceRecords(client, conn, entity, computeReadWindow({ now: Date.now(), full: true }))) {
          if ('hash' in r) records++;
        }
      } finally {
        rows += client.rows;
        calls += client.calls;
        await client.close();
      }
    }
  } finally {
    clearInterval(sampler);
    await sim.close();
  }
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  peak = Math.max(peak, process.memoryUsage().rss);
  return {
    rows, records, calls, ms: Math.round(ms), rowsPerSec: Math.round((rows / ms) * 1000),
    peakRssMb: Math.round(peak / 1024 / 1024), startRssMb: Math.round(startRss / 1024 / 1024), connectorCpuMs: Math.round((cpu.user + cpu.system) / 1000), simulatorInChildProcess: child,
  };
}

// Child-process entry: serve the bench dataset until the parent says close.
if (process.argv[2] === CHILD_FLAG && process.send) {
  const [employees, vendors, latencyMs] = process.argv.slice(3).map(Number);
  const sim = await runSimulator(employees ?? 0, vendors ?? 0, latencyMs ?? 0);
  process.on('message', (m) => {
    if (m === 'close') void sim.close().then(() => process.exit(0));
  });
  process.send({ url: sim.url, password: sim.credentials.password });
}
if (process.argv[2] === HISTORY_FLAG && process.send) {
  const [employees, latencyMs] = process.argv.slice(3).map(Number);
  const sims = await runHistorySimulators(employees ?? 0, latencyMs ?? 0);
  process.on('message', (m) => {
    if (m === 'close') void sims.close().then(() => process.exit(0));
    else if (m && typeof m === 'object' && 'day' in m) process.send!({ day: sims.day((m as { day: number }).day) });
  });
  process.send({ wholeUrl: sims.wholeUrl, changedUrl: sims.changedUrl, password: sims.password });
}

// ---------------------------------------------------------------------------------------------
// Whole histories: what `history: changed-rows` costs on one incremental day (docs/peoplesoft.md).


export interface HistoryReadFigures {
  /** PeopleSoft calls (retries and token calls included). */
  calls: number;
  ms: number;
  rows: number;
  records: number;
  /** Loader calls (one per page) and the time spent in them (SQLite). */
  loaderCalls?: number;
  loaderMs?: number;
  /** Records whose whole history changed: what apply would store. */
  historiesToStore?: number;
}

export interface HistoryDayFigures {
  day: string;
  whole: HistoryReadFigures;
  changedRows: HistoryReadFigures;
  extraCalls: number;
  extraMs: number;
  /** Every record of the changed-rows read equals the whole-history read's (key and hash). */
  identical: boolean;
  /** The alternative: one keyed read per person read (QAS prompts cannot carry a list of keys). */
  keyedReadCalls: number;
}

export interface HistoryBenchResult {
  employees: number;
  latencyMs: number;
  /** The full read that stores every history, against the same full read of the whole-history query (`wholeMs`). */
  seed: { calls: number; ms: number; wholeMs: number; histories: number; storedBytes: number };
  days: HistoryDayFigures[];
}

/**
 * Two simulators on one dataset and one clock: the delivered whole-history query, and a customer's
 * query returning changed JOB rows only. `day(n)`: scenario day n (n = 1), or a busy day on which
 * every nth employee gets a data-change row keyed now and effective today.
 */
async function runHistorySimulators(employees: number, latencyMs: number) {
  const { startPeopleSoftSimulator } = await import('../sim/peoplesoft/index.js');
  const { generateDataset, toPsDate, toPsDateTime } = await import('../sim/dataset/index.js');
  const { OffsetClock } = await import('../support/clock.js');
  const clock = new OffsetClock();
  const whole = await startPeopleSoftSimulator({ clock, dataset: generateDataset({ seed: 42, employees, vendors: 0 }), latencyMs });
  const changed = await startPeopleSoftSimulator({ clock, dataset: whole.data, latencyMs, quirks: { changedRowsOnly: true } });
  return {
    wholeUrl: whole.url, changedUrl: changed.url, password: whole.credentials.password,
    day(every: number): string {
      if (every <= 1) return `scenario day ${whole.scenario.nextDay().date}`;
      clock.advance(86_400_000);
      const now = clock.now();
      let touched = 0;
      whole.data.employees.forEach((e, i) => {
        if (i % every !== 0 || e.jobs.length === 0) return;
        const last = e.jobs[e.jobs.length - 1]!;
        const today = toPsDate(now);
        if (last.EFFDT > today) return;
        e.jobs.push({ ...last, EFFDT: today, EFFSEQ: last.EFFDT === today ? last.EFFSEQ + 1 : 0, ACTION: 'DTA', ACTION_REASON: 'BNC', ACTION_DT: today, LASTUPDDTTM: toPsDateTime(now) });
        touched++;
      });
      return `busy day (${touched.toLocaleString('en-US')} data changes)`;
    },
    close: async () => {
      await changed.close();
      await whole.close();
    },
  };
}

function historyConnection(url: string, history: 'whole' | 'changed-rows'): PeopleSoftConnection {
  const conn = connection(url, 'employees', 5000);
  conn.readers.employees = { ...(conn.readers.employees as QasReader), history, changeDetection: { overlapMinutes: 15, effectiveDateWindowDays: 1 } };
  return conn;
}

async function readTimed(url: string, password: string, history: 'whole' | 'changed-rows', window: ReadWindow, loader?: HistoryLoader, onRecord?: (r: SourceRecord) => void | Promise<void>): Promise<HistoryReadFigures & { hashes: Map<string, string> }> {
  const conn = historyConnection(url, history);
  const client = createPeopleSoftClient(conn, { credentials: { password } });
  let loaderCalls = 0;
  let loaderMs = 0;
  const timed: HistoryLoader | undefined = loader && (async (keys) => {
    const t = performance.now();
    try {
      return await loader(keys);
    } finally {
      loaderCalls++;
      loaderMs += performance.now() - t;
    }
  });
  const hashes = new Map<string, string>();
  let histories = 0;
  const started = performance.now();
  try {
    for await (const r of readSourceRecords(client, conn, 'employees', window, timed ? { loadHistories: timed } : {})) {
      if (!('hash' in r)) continue;
      hashes.set(r.key, r.hash);
      if (r.history) histories++;
      await onRecord?.(r);
    }
  } finally {
    await client.close();
  }
  return {
    calls: client.calls, ms: Math.round(performance.now() - started), rows: client.rows, records: hashes.size, hashes,
    ...(loader ? { loaderCalls, loaderMs: Math.round(loaderMs), historiesToStore: histories } : {}),
  };
}

/**
 * Seed the state with a full read of the changed-rows query, then one incremental day read both
 * ways (whole-history query, changed-rows query merged with the stored histories): the extra
 * PeopleSoft calls and milliseconds `history: changed-rows` costs, and whether the records agree.
 */
export async function benchPeopleSoftHistory(opts: { employees: number; latencyMs?: number; busyEvery?: number }): Promise<HistoryBenchResult> {
  const latencyMs = opts.latencyMs ?? 0;
  const self = fileURLToPath(import.meta.url);
  const proc: ChildProcess = fork(self, [HISTORY_FLAG, String(opts.employees), String(latencyMs)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const ready = await new Promise<{ wholeUrl: string; changedUrl: string; password: string }>((resolve, reject) => {
    proc.once('message', (m) => resolve(m as { wholeUrl: string; changedUrl: string; password: string }));
    proc.once('exit', (code) => reject(new Error(`bench simulators exited with code ${code}`)));
  });
  const ask = (every: number): Promise<string> => new Promise((resolve) => {
    proc.once('message', (m) => resolve((m as { day: string }).day));
    proc.send({ day: every });
  });
  const dir = mkdtempSync(join(tmpdir(), 'ml-bench-history-'));
  const store = await openStateStore(join(dir, 'state.db'));
  const scope = 'bench-hcm/employees';
  const loader: HistoryLoader = (keys) => store.getHistories(scope, keys);
  try {
    // Seed: a full read stores every whole history, as the first apply would (in batches).
    const first = computeReadWindow({ now: Date.now(), full: true });
    let pending: Array<{ key: string; hash: string; data: string }> = [];
    let storedBytes = 0;
    let cursors: Array<string | undefined> = [];
    const flush = async (): Promise<void> => {
      await store.putHistories(scope, pending);
      pending = [];
    };
    const seedStart = performance.now();
    const seeded = await readTimed(ready.changedUrl, ready.password, 'changed-rows', first, loader, async (r) => {
      cursors.push(r.cursor);
      if (!r.history) return;
      pending.push({ key: r.key, ...r.history });
      storedBytes += r.history.data.length;
      if (pending.length >= 5000) await flush();
    });
    await flush();
    // The same full read without storing, after the seed (so warm: the seed's overhead is not understated).
    const plainFull = await readTimed(ready.wholeUrl, ready.password, 'whole', first);
    const seed = { calls: seeded.calls, ms: Math.round(performance.now() - seedStart), wholeMs: plainFull.ms, histories: seeded.historiesToStore ?? 0, storedBytes };
    let watermark = nextWatermark(undefined, cursors, first);
    cursors = [];

    const days: HistoryDayFigures[] = [];
    for (const every of [1, opts.busyEvery ?? 50]) {
      const label = await ask(every);
      const window = computeReadWindow({ now: Date.now() + (days.length + 1) * 86_400_000, full: false, watermark, changeDetection: { overlapMinutes: 15, effectiveDateWindowDays: 1 } });
      // Alternate and keep the faster of two runs each: the machine is shared.
      const best = async (f: () => ReturnType<typeof readTimed>): ReturnType<typeof readTimed> => {
        const a = await f();
        const b = await f();
        return a.ms <= b.ms ? a : b;
      };
      const whole = await best(() => readTimed(ready.wholeUrl, ready.password, 'whole', window));
      const changedRows = await best(() => readTimed(ready.changedUrl, ready.password, 'changed-rows', window, loader));
      const identical = whole.hashes.size === changedRows.hashes.size && [...whole.hashes].every(([k, h]) => changedRows.hashes.get(k) === h);
      const { hashes: _w, ...w } = whole;
      const { hashes: _c, ...c } = changedRows;
      days.push({ day: label, whole: w, changedRows: c, extraCalls: c.calls - w.calls, extraMs: c.ms - w.ms, identical, keyedReadCalls: c.records });
      // As apply would: store the changed histories, move the watermark.
      await readTimed(ready.changedUrl, ready.password, 'changed-rows', window, loader, async (r) => {
        cursors.push(r.cursor);
        if (r.history) await store.putHistories(scope, [{ key: r.key, ...r.history }]);
      });
      watermark = nextWatermark(watermark, cursors, window);
      cursors = [];
    }
    return { employees: opts.employees, latencyMs, seed, days };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.send('close');
    });
  }
}
