/**
 * Both simulators for a bench stage, in a child process of their own (when this file runs as
 * compiled JavaScript), so the RSS and CPU a stage measures are the reconciler's, not the
 * simulators' or their datasets'. From TypeScript sources (tests) they run in-process.
 * Every call is delayed as the bench's latency says: Zoho per call, PeopleSoft per page.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ZOHO_LATENCY_MS = 30;
export const PS_LATENCY_MS = 100;

export interface SimInfo {
  zoho: { url: string; clientId: string; clientSecret: string; refreshToken: string };
  ps: { url: string; password: string };
}

/** What the simulators saw since the last `clear`: ground truth, independent of the client's own counters. */
export interface SimStats {
  /** Zoho API calls by module (`*` for calls without one: users, org) and kind; token calls apart. */
  zoho: Record<string, Record<string, number>>;
  zohoTokenCalls: number;
  credits: number;
  /** PeopleSoft calls and rows returned, by query or service operation. */
  ps: Record<string, { calls: number; rows: number }>;
  /** CPU the simulators' process used (both simulators), ms. */
  simCpuMs: number;
}

export interface SimOptions {
  employees: number;
  vendors: number;
  /** 0 for tests; the bench uses ZOHO_LATENCY_MS / PS_LATENCY_MS. */
  zohoLatencyMs?: number;
  psLatencyMs?: number;
}

type SimCommand =
  | { cmd: 'stats' }
  | { cmd: 'clear' }
  | { cmd: 'change'; employees: number; vendors: number }
  | { cmd: 'fresh-zoho' }
  | { cmd: 'close' };

export interface Sims {
  info: SimInfo;
  stats(): Promise<SimStats>;
  clear(): Promise<void>;
  /** Change `employees` employees (a new business e-mail) and `vendors` vendors (renamed), spread over the data. */
  change(employees: number, vendors: number): Promise<void>;
  /** Replace the Zoho simulator with an empty one (a baseline starts from an empty org); returns the new info. */
  freshZoho(): Promise<SimInfo>;
  close(): Promise<void>;
}

const SIM_FLAG = '--ml-bench-sims';

export async function startSims(o: SimOptions): Promise<Sims> {
  const self = fileURLToPath(import.meta.url);
  if (!self.endsWith('.js')) {
    const local = await runSims(o);
    return wrap(local.info, async (c) => local.handle(c));
  }
  // The dataset of 500,000 employees needs more than Node's default heap.
  const child: ChildProcess = fork(self, [SIM_FLAG, JSON.stringify(o)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: ['--max-old-space-size=8192'] });
  const pending: Array<(v: unknown) => void> = [];
  const info = await new Promise<SimInfo>((resolve, reject) => {
    child.once('message', (m) => resolve(m as SimInfo));
    child.once('exit', (code) => reject(new Error(`bench simulators exited with code ${code}`)));
  });
  child.on('message', (m) => pending.shift()?.(m));
  const send = (c: SimCommand): Promise<unknown> => new Promise((resolve, reject) => {
    if (c.cmd === 'close') {
      child.once('exit', () => resolve(undefined));
    } else {
      pending.push(resolve);
    }
    child.send(c, (err) => { if (err) reject(err); });
  });
  return wrap(info, send);
}

function wrap(first: SimInfo, send: (c: SimCommand) => Promise<unknown>): Sims {
  const sims: Sims = {
    info: first,
    stats: async () => (await send({ cmd: 'stats' })) as SimStats,
    clear: async () => { await send({ cmd: 'clear' }); },
    change: async (employees, vendors) => { await send({ cmd: 'change', employees, vendors }); },
    freshZoho: async () => {
      sims.info = (await send({ cmd: 'fresh-zoho' })) as SimInfo;
      return sims.info;
    },
    close: async () => { await send({ cmd: 'close' }); },
  };
  return sims;
}

/** Field metadata names its module in the query string (`?module=Contacts`), not the path. */
const moduleOf = (e: { module?: string; query: Record<string, string> }): string => e.module ?? e.query.module ?? '*';

async function runSims(o: SimOptions): Promise<{ info: SimInfo; handle(c: SimCommand): Promise<unknown> }> {
  const { startPeopleSoftSimulator } = await import('../sim/peoplesoft/index.js');
  const { startZohoSimulator } = await import('../sim/zoho/index.js');
  const { generateDataset, toPsDateTime } = await import('../sim/dataset/index.js');
  const ps = await startPeopleSoftSimulator({ dataset: generateDataset({ seed: 42, employees: o.employees, vendors: o.vendors }), latencyMs: o.psLatencyMs ?? 0 });
  const newZoho = () => startZohoSimulator({ latencyMs: o.zohoLatencyMs ?? 0, dailyCredits: 1_000_000_000 });
  let zoho = await newZoho();
  let cpuAtClear = process.cpuUsage();
  let creditsAtClear = 0;
  const info = (): SimInfo => ({ zoho: { url: zoho.url, ...zoho.credentials }, ps: { url: ps.url, password: ps.credentials.password } });
  const handle = async (c: SimCommand): Promise<unknown> => {
    switch (c.cmd) {
      case 'clear':
        zoho.requests.clear();
        ps.requests.clear();
        cpuAtClear = process.cpuUsage();
        creditsAtClear = zoho.creditsUsed();
        return { ok: true };
      case 'stats': {
        const byModule: SimStats['zoho'] = {};
        let tokenCalls = 0;
        for (const e of zoho.requests.entries) {
          if (e.kind === 'token') tokenCalls++;
          if (e.kind === 'token' || e.kind === 'auth' || e.kind === 'revoke') continue;
          const m = (byModule[moduleOf(e)] ??= {});
          m[e.kind] = (m[e.kind] ?? 0) + 1;
        }
        const psCalls: SimStats['ps'] = {};
        for (const e of ps.requests.entries) {
          // .../ExecuteQuery.v1/public/ML_EMPLOYEES/JSON/NONFILE → ML_EMPLOYEES; other kinds by kind.
          const name = e.kind === 'qas' ? (/\/public\/([^/]+)\//.exec(e.path)?.[1] ?? 'qas') : e.kind;
          const q = (psCalls[name] ??= { calls: 0, rows: 0 });
          q.calls++;
          q.rows += e.rows ?? 0;
        }
        const cpu = process.cpuUsage(cpuAtClear);
        return { zoho: byModule, zohoTokenCalls: tokenCalls, credits: zoho.creditsUsed() - creditsAtClear, ps: psCalls, simCpuMs: Math.round((cpu.user + cpu.system) / 1000) } satisfies SimStats;
      }
      case 'change': {
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
      case 'fresh-zoho':
        await zoho.close();
        zoho = await newZoho();
        creditsAtClear = 0;
        return info();
      case 'close':
        await zoho.close();
        await ps.close();
        return { ok: true };
    }
  };
  return { info: info(), handle };
}

// Child-process entry: serve until the parent says close.
if (process.argv[2] === SIM_FLAG && process.send) {
  const sims = await runSims(JSON.parse(process.argv[3] ?? '{}') as SimOptions);
  process.on('message', (c: SimCommand) => {
    void sims.handle(c).then((answer) => {
      if (c.cmd === 'close') process.exit(0);
      else process.send!(answer);
    });
  });
  process.send(sims.info);
}
