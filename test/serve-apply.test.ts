import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadValidConfig, type Config } from '../src/config/index.js';
import { createApplyRunner } from '../src/ops/run-apply.js';
import { startServe, type ServeHandle } from '../src/ops/serve.js';
import type { PeopleSoftSimulator } from '../src/sim/peoplesoft/index.js';
import type { ZohoSimulator } from '../src/sim/zoho/index.js';
import { openStateStore, type StateStore } from '../src/state/index.js';
import { sleep } from '../src/support/clock.js';
import { silentLogger } from '../src/support/log.js';
import { startSimulatedSystems } from './simulated-systems.js';

/** serve with the real applier: a schedule tick plans and applies against both simulators. */
let dir: string;
let ps: PeopleSoftSimulator;
let zoho: ZohoSimulator;
let store: StateStore;
let config: Config;
let handle: ServeHandle | undefined;
let env: Record<string, string>;
let target: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ml-serve-apply-'));
  ({ ps, zoho, env, configDir: target } = await startSimulatedSystems(dir));
  config = await loadValidConfig(target, { env });
  store = await openStateStore(join(dir, 'state.db'));
});

afterAll(async () => {
  await handle?.stop('test over');
  await store?.close();
  await zoho?.close();
  await ps?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('serve with the real applier', () => {
  it('a schedule tick syncs PeopleSoft into Zoho once, and /metrics says so', async () => {
    const daily = config.schedules.get('daily')!;
    handle = await startServe({
      // Every second instead of 06:00, so the test does not wait.
      config: { project: config.project, schedules: [{ ...daily, cron: '* * * * * *' }], mappings: [...config.mappings.values()] },
      run: createApplyRunner({ config: () => config, store, env }),
      logger: silentLogger, port: 0, host: '127.0.0.1',
    });
    for (let i = 0; i < 100 && ((await handle.metrics.value('ml_connector_runs_total', { mapping: 'employees-to-contacts', status: 'succeeded' })) ?? 0) < 1; i++) await sleep(100);
    const health = (await (await fetch(`${handle.url}/healthz`)).json()) as { lastRuns: Record<string, { status: string; trigger: string }> };
    expect(health.lastRuns['employees-to-contacts']).toMatchObject({ status: 'succeeded', trigger: 'schedule:daily' });
    await handle.stop('test');
    const accounts = zoho.records('Accounts').length;
    expect(accounts).toBeGreaterThanOrEqual(150);
    const contacts = zoho.records('Contacts').length;
    expect(contacts).toBeGreaterThan(100);
    const m = handle.metrics;
    // Employees and contractors: two mappings into Contacts.
    const created = async (mapping: string): Promise<number> => (await m.value('ml_connector_records_total', { mapping, action: 'create' })) ?? 0;
    expect((await created('employees-to-contacts')) + (await created('contractors-to-contacts'))).toBe(zoho.records('Contacts').length);
    expect(await created('contractors-to-contacts')).toBe(zoho.records('Contacts').filter((r) => r.Employee_Type === 'Contractor').length);
    expect((await created('vendors-to-accounts')) + (await created('departments-to-accounts'))).toBe(accounts);
    expect(await m.value('ml_connector_api_calls_total', { system: 'zoho' })).toBeGreaterThan(0);
    expect(await m.value('ml_connector_api_calls_total', { system: 'peoplesoft' })).toBeGreaterThan(0);
    expect(await m.value('ml_connector_last_success_timestamp_seconds', { mapping: 'vendors-to-accounts' })).toBeGreaterThan(1_700_000_000);
    const runs = await store.listRuns({ limit: 5 });
    expect(runs[0]).toMatchObject({ kind: 'apply', trigger: 'schedule:daily' });
    expect(runs.filter((r) => r.status === 'succeeded').length).toBeGreaterThanOrEqual(1);
  });
});
