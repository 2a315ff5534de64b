/**
 * Both simulators, the environment configs/ reads to reach them, and a copy of configs/ in a temp
 * dir: the setup of the tests that run the real reconciler end to end (serve, plan --base).
 */
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simulatorEnv } from '../src/demo/env.js';
import { startPeopleSoftSimulator, type PeopleSoftSimulator } from '../src/sim/peoplesoft/index.js';
import { startZohoSimulator, type ZohoSimulator, type ZohoSimulatorOptions } from '../src/sim/zoho/index.js';
import { OffsetClock } from '../src/support/clock.js';
import { generateDataset } from '../src/sim/dataset/generate.js';

export interface SimulatedSystems {
  ps: PeopleSoftSimulator;
  zoho: ZohoSimulator;
  /** What configs/ reads to reach the simulators, with the state database in `dir`. */
  env: Record<string, string>;
  /** The copy of configs/ in `dir`. */
  configDir: string;
  close(): Promise<void>;
}

export async function startSimulatedSystems(dir: string, o: { zohoLatencyMs?: number; zoho?: ZohoSimulatorOptions; dataset?: { employees: number; vendors: number; seed?: number } } = {}): Promise<SimulatedSystems> {
  const clock = new OffsetClock();
  const dataset = o.dataset ? generateDataset({ seed: o.dataset.seed ?? 7, employees: o.dataset.employees, vendors: o.dataset.vendors, asOf: new Date(clock.now()).toISOString().slice(0, 10) }) : undefined;
  const ps = await startPeopleSoftSimulator({ clock, ...(dataset ? { dataset } : {}) });
  const zoho = await startZohoSimulator({ clock, ...(o.zohoLatencyMs ? { latencyMs: o.zohoLatencyMs } : {}), ...o.zoho });
  const env = simulatorEnv({
    zoho: { url: zoho.url, accountsUrl: zoho.accountsUrl, clientId: zoho.credentials.clientId, clientSecret: zoho.credentials.clientSecret, refreshToken: zoho.credentials.refreshToken },
    peoplesoft: { url: ps.url, node: ps.nodes.hcm, fscmNode: ps.nodes.fscm, username: ps.credentials.username, password: ps.credentials.password },
  }, join(dir, 'state.db'));
  const configDir = copyExampleConfigs(dir);
  return { ps, zoho, env, configDir, close: async () => { await zoho.close(); await ps.close(); } };
}

/**
 * A copy of configs/ in `dir` (returns its path) for simulators whose database runs on UTC; the
 * example configuration's servers are in Chicago.
 */
export function copyExampleConfigs(dir: string): string {
  const configDir = join(dir, 'configs');
  cpSync('configs', configDir, { recursive: true });
  for (const file of [join(configDir, 'project.yaml'), ...readdirSync(join(configDir, 'connections')).map((f) => join(configDir, 'connections', f))]) {
    writeFileSync(file, readFileSync(file, 'utf8').replace(/(serverTimezone|timezone): America\/Chicago/g, '$1: UTC'));
  }
  return configDir;
}
