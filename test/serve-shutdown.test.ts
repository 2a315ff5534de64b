import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadValidConfig, type Config } from '../src/config/index.js';
import { createApplyRunner } from '../src/ops/run-apply.js';
import { startServe } from '../src/ops/serve.js';
import type { PeopleSoftSimulator } from '../src/sim/peoplesoft/index.js';
import type { ZohoSimulator } from '../src/sim/zoho/index.js';
import { openStateStore, type StateStore } from '../src/state/index.js';
import { sleep } from '../src/support/clock.js';
import { silentLogger } from '../src/support/log.js';
import { startSimulatedSystems } from './simulated-systems.js';

/** Stopping serve in the middle of a real apply, then running again: nothing lost, nothing twice. */
let dir: string;
let ps: PeopleSoftSimulator;
let zoho: ZohoSimulator;
let store: StateStore;
let config: Config;
let env: Record<string, string>;
let target: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ml-serve-stop-'));
  // Slow Zoho writes, so the stop lands while the apply is under way.
  ({ ps, zoho, env, configDir: target } = await startSimulatedSystems(dir, { zohoLatencyMs: 40 }));
  config = await loadValidConfig(target, { env });
  store = await openStateStore(join(dir, 'state.db'));
});

afterAll(async () => {
  await store?.close();
  await zoho?.close();
  await ps?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ALL = ['vendors-to-accounts', 'departments-to-accounts', 'employees-to-contacts', 'contractors-to-contacts'];

describe('serve: stop during an apply', () => {
  it('records the run as interrupted; the next run completes with every record exactly once', async () => {
    const handle = await startServe({
      config: { project: config.project, schedules: [], mappings: [...config.mappings.values()] },
      run: createApplyRunner({ config: () => config, store, env }),
      logger: silentLogger, port: 0, host: '127.0.0.1', shutdownGraceMs: 20_000,
    });
    handle.coordinator.request({ mappings: ALL, full: false, trigger: 'test' });
    for (let i = 0; i < 200 && zoho.requests.count({ kind: 'upsert' }) === 0; i++) await sleep(20);
    expect(zoho.requests.count({ kind: 'upsert' })).toBeGreaterThan(0);
    await handle.stop('SIGTERM');

    const runs = await store.listRuns({ limit: 1 });
    expect(runs[0]).toMatchObject({ kind: 'apply', trigger: 'test', status: 'interrupted' });
    expect(zoho.records('Contacts').length).toBeLessThan(150);
    // Within the grace period the batches in flight finish: every record Zoho took is linked and
    // audited as applied, none cut off half-way (reported failed while Zoho may hold it).
    expect(await store.queryAudit({ runId: runs[0]!.id, outcome: 'failed' })).toEqual([]);
    let linked = 0;
    for (const m of ALL) linked += (await store.getLinks(m)).size;
    expect(linked).toBe(zoho.records('Accounts').length + zoho.records('Contacts').length);
    expect(await handle.metrics.value('ml_connector_runs_total', { mapping: 'employees-to-contacts', status: 'interrupted' })).toBe(1);

    // The next run (a new serve) carries on: every record exactly once in Zoho, every one linked.
    const again = await startServe({
      config: { project: config.project, schedules: [], mappings: [...config.mappings.values()] },
      run: createApplyRunner({ config: () => config, store, env }),
      logger: silentLogger, port: 0, host: '127.0.0.1',
    });
    again.coordinator.request({ mappings: ALL, full: false, trigger: 'after restart' });
    await sleep(10);
    await again.coordinator.idle();
    await again.stop('test');
    expect((await store.listRuns({ limit: 1 }))[0]).toMatchObject({ trigger: 'after restart', status: 'succeeded' });
    // Employees and contractors share Contacts and PeopleSoft_Employee_ID: 150 people, each once, each linked once.
    for (const [mappings, module, field, expected] of [[['vendors-to-accounts'], 'Accounts', 'PeopleSoft_Vendor_ID', 0], [['departments-to-accounts'], 'Accounts', 'PeopleSoft_Department_ID', 13], [['employees-to-contacts', 'contractors-to-contacts'], 'Contacts', 'PeopleSoft_Employee_ID', 0]] as const) {
      const keys = zoho.records(module).filter((r) => r[field]).map((r) => String(r[field]));
      expect(new Set(keys).size).toBe(keys.length);
      // Vendors and people already inactive before the first sync are not created: counts come from Zoho.
      if (expected > 0) expect(keys.length).toBeGreaterThanOrEqual(expected - 1); // a closed department is not created
      else expect(keys.length).toBeGreaterThan(100);
      let links = 0;
      for (const m of mappings) links += (await store.getLinks(m)).size;
      expect(links).toBe(keys.length);
    }
    // Nothing is left to do: every record the plan wanted is in Zoho.
    const after = await startServe({ config: { project: config.project, schedules: [], mappings: [...config.mappings.values()] }, run: createApplyRunner({ config: () => config, store, env }), logger: silentLogger, port: 0, host: '127.0.0.1' });
    after.coordinator.request({ mappings: ALL, full: true, trigger: 'check' });
    await sleep(10);
    await after.coordinator.idle();
    await after.stop('test');
    expect((await store.listRuns({ limit: 1 }))[0]).toMatchObject({ trigger: 'check', status: 'succeeded', counts: {} });
  });
});
