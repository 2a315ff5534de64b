/**
 * Measures the dataset generator and the PeopleSoft simulator at scale (100,000 employees,
 * 20,000 vendors): generation time, heap, and server time per request kind. Run after a build:
 *   node --expose-gc dist/sim/peoplesoft/bench.js [employees] [vendors]
 * Prints a table and, last, one JSON line. Figures are recorded in docs/simulators.md.
 */
import { generateDataset } from '../dataset/generate.js';
import { startPeopleSoftSimulator } from './index.js';

const gc = (globalThis as { gc?: () => void }).gc;
const heapMb = (): number => {
  gc?.();
  return process.memoryUsage().heapUsed / 1e6;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const employees = Number(process.argv[2] ?? 100_000);
  const vendors = Number(process.argv[3] ?? 20_000);
  const results: Record<string, number> = {};

  const firmStart = performance.now();
  generateDataset({ preset: 'firm', seed: 1, asOf: '2026-03-02' });
  results.firmGenerateMs = performance.now() - firmStart;

  const before = heapMb();
  const started = performance.now();
  const dataset = generateDataset({ employees, vendors, seed: 1, asOf: '2026-03-02' });
  results.generateMs = performance.now() - started;
  results.heapMb = heapMb() - before;
  results.jobRows = dataset.employees.reduce((n, e) => n + e.jobs.length, 0);
  results.vendorAddressRows = dataset.vendors.reduce((n, v) => n + v.addresses.length, 0);

  const sim = await startPeopleSoftSimulator({ dataset });
  const auth = { authorization: 'Basic ' + Buffer.from('ML_SYNC:ml-sync-secret').toString('base64') };
  const base = `${sim.url}/PSIGW/RESTListeningConnector`;
  const qas = (query: string, names: string, values: string, maxrows: number, json = true): string =>
    `${base}/${query === 'ML_VENDORS' ? 'PSFT_EP' : 'PSFT_HR'}/ExecuteQuery.v1/public/${query}/${json ? 'JSON' : 'XMLP'}/NONFILE` +
    `?isconnectedquery=N&maxrows=${maxrows}&prompt_uniquepromptname=${names}&prompt_fieldvalue=${values}${json ? '&json_resp=true' : ''}`;
  const EMP = 'LASTUPD_FROM,LASTUPD_TO,EFFDT_FROM,EFFDT_TO,AFTER_EMPLID';
  const cases: Array<[string, string, Record<string, string>?]> = [
    ['qasJson200', qas('ML_EMPLOYEES', EMP, ',,,,150000', 200)],
    ['qasJson5000', qas('ML_EMPLOYEES', EMP, ',,,,150000', 5000)],
    ['qasXmlp5000', qas('ML_EMPLOYEES', EMP, ',,,,150000', 5000, false)],
    ['qasChangedSince', qas('ML_EMPLOYEES', EMP, '2026-02-27,,2026-02-27,2026-03-31,', 5000)],
    ['qasVendors5000', qas('ML_VENDORS', 'SETID,AFTER_VENDOR_ID', 'SHARE,', 5000)],
    ['restOpPage1000', `${base}/PSFT_HR/ML_EMPL_CHANGES.v1/changed/2000-01-01/2100-01-01?page=3&pagesize=1000`],
    ['ciGet', `${base}/PSFT_EP/CIRT_VENDOR_CI_G_GET.v1/SHARE/0000010000`],
  ];
  const token = await sim.oauth.issueToken();
  cases.push(['ciGetBearer', `${base}/PSFT_EP/CIRT_VENDOR_CI_G_GET.v1/SHARE/0000010000`, { authorization: `Bearer ${token}` }]);
  // Settle the heap after generation so the first case does not pay for it.
  heapMb();
  for (const [, url, headers] of cases) await (await fetch(url, { headers: headers ?? auth })).arrayBuffer();
  for (const [name, url, headers] of cases) {
    const times: number[] = [];
    const cpu: number[] = [];
    let rows = 0;
    for (let i = 0; i < 12; i++) {
      sim.requests.clear();
      const res = await fetch(url, { headers: headers ?? auth });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${name}: HTTP ${res.status}`);
      const entry = sim.requests.entries[0];
      if (i >= 2 && entry) {
        // The first two warm up the JIT. CPU time is the figure to trust on a busy machine.
        times.push(entry.durationMs);
        cpu.push(entry.cpuMs);
      }
      rows = entry?.rows ?? 0;
    }
    results[`${name}Ms`] = median(times);
    results[`${name}CpuMs`] = median(cpu);
    results[`${name}Rows`] = rows;
  }
  await sim.close();

  for (const [k, v] of Object.entries(results)) process.stdout.write(`${k.padEnd(24)} ${Number.isInteger(v) ? v : v.toFixed(2)}\n`);
  process.stdout.write(JSON.stringify({ employees, vendors, ...results }) + '\n');
}

await main();
