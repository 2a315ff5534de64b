/**
 * Bench: read N employees (QAS ML_EMPLOYEES, keyset pages of 5,000 rows) and M vendors (QAS
 * ML_VENDORS) from the PeopleSoft simulator through the real connector, and report rows/s, calls
 * and peak memory. The simulator runs in a child process when this file runs as compiled
 * JavaScript, so the RSS measured is the connector's own; from TypeScript sources (tests) it runs
 * in-process and the figure includes the simulator's dataset.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PeopleSoftConnection } from '../config/types.generated.js';
import { computeReadWindow, createPeopleSoftClient, readSourceRecords } from '../peoplesoft/index.js';

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
