import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadValidConfig } from '../src/config/index.js';
import { runReconcile } from '../src/engine/run.js';
import { openSession, type Session } from '../src/engine/session.js';
import { assembleHeader, emptyCounts, renderPlanJson, renderPlanMarkdown, renderPlanText, SpoolDir, type MappingSummary } from '../src/plan/index.js';
import { openStateStore, type StateStore } from '../src/state/index.js';
import { toPsDateTime } from '../src/sim/dataset/index.js';
import { startSimulatedSystems, type SimulatedSystems } from './simulated-systems.js';

/** What the engine does at sizes the firm's demo never reaches. */
describe('plans of any size', () => {
  it('a 200,000-action plan renders as text, Markdown and JSON, a chunk at a time', async () => {
    const spools = new SpoolDir();
    try {
      const spool = spools.spool('people');
      const n = 200_000;
      for (let i = 0; i < n; i++) {
        const id = String(1_000_000 + i);
        spool.write(i % 10 === 0
          ? { t: 'action', mapping: 'people', action: 'deactivate', externalId: id, zohoId: `9${id}`, cause: 'removed', changes: [{ field: 'Employment_Status', before: 'Active', after: 'Terminated' }] }
          : { t: 'action', mapping: 'people', action: 'create', externalId: id, cause: 'source', event: 'hire', changes: [{ field: 'Email', before: null, after: `p${id}@example.com` }, { field: 'Last_Name', before: null, after: `Name${id}` }] });
      }
      const summary: MappingSummary = {
        name: 'people', module: 'Contacts', externalIdField: 'PeopleSoft_Employee_ID', mappingDigest: 'd', mode: 'full', reason: 'first run', status: 'planned',
        source: { read: n, planned: n, complete: true, rowCount: n }, counts: { ...emptyCounts(), create: n * 0.9, deactivate: n * 0.1 }, events: { hire: n * 0.9 },
        held: 0, scheduled: 0, notCreated: 0, problems: { errors: 0, warnings: 0 }, guards: [], cost: { calls: { upsert: n / 100, update: 0, delete: 0 }, credits: n / 10 },
        personalFields: ['Email', 'Last_Name'],
      };
      const view = spools.view(assembleHeader({ mappings: [summary], createdAt: '2026-12-01T00:00:00.000Z', asOf: '2026-12-01', configDigest: 'c' }));
      let text = 0;
      let chunks = 0;
      for await (const c of renderPlanText(view, { mask: true })) {
        text += c.length;
        chunks += 1;
        expect(c.length).toBeLessThan(1 << 20);
      }
      expect(chunks).toBeGreaterThan(50);
      expect(text).toBeGreaterThan(n * 50);
      const md = await renderPlanMarkdown(view, { mask: true });
      expect(md.length).toBeLessThan(65_536);
      expect(md).not.toContain('p1000001@example.com');
      let json = '';
      let lines = 0;
      for await (const c of renderPlanJson(view)) {
        lines += c.split('\n').length - 1;
        if (json.length < 4096) json += c.slice(0, 4096);
      }
      expect(lines).toBe(n + 2);
      expect(json.startsWith('{"formatVersion":2,"header":')).toBe(true);
    } finally {
      spools.dispose();
    }
  }, 120_000);
});

describe('plan and apply of 30,000 records against the simulators', () => {
  let dir: string;
  let systems: SimulatedSystems;
  let store: StateStore;
  let session: Session;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ml-scale-'));
    systems = await startSimulatedSystems(dir, { dataset: { employees: 28_000, vendors: 2_000 } });
    const config = await loadValidConfig(systems.configDir, { env: systems.env });
    // A first sync of this size is a large change by design: the guards would stop it.
    for (const m of config.mappings.values()) m.guards = {};
    store = await openStateStore(join(dir, 'state.db'));
    session = openSession({ config, store, env: systems.env });
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    await store?.close();
    await systems?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const reads = (): number => systems.zoho.requests.entries.filter((e) => !['token', 'upsert', 'update', 'delete'].includes(e.kind)).length;

  it('the initial sync writes every record in batches of 100, and a rerun reads at most 2 calls per module', async () => {
    const first = await runReconcile(session, { apply: true, trigger: 'test', holder: 'test' });
    expect(first.status).toBe('succeeded');
    const written = first.mappings.reduce((n, m) => n + Object.values(m.applied).reduce((k: number, x) => k + (x ?? 0), 0), 0);
    expect(written).toBeGreaterThan(20_000);
    expect(systems.zoho.requests.count({ kind: 'upsert' })).toBe(first.mappings.reduce((n, m) => n + Math.ceil((m.applied.create ?? 0) / 100), 0));

    // The run right after an apply of N records: ids and times only, 2,000 a call (COQL), not a re-list of N.
    const before = reads();
    const second = await runReconcile(session, { apply: true, trigger: 'test', holder: 'test' });
    expect(second.status).toBe('succeeded');
    expect(second.noChanges).toBe(true);
    const afterApply = reads() - before;
    expect(afterApply).toBeLessThanOrEqual(2 * (1 + Math.ceil(written / 2000)) + 2);

    // A no-op after a no-op: the field metadata and one change query per module. The query reads
    // from the last Modified_Time second on (inclusive, so a write in that second is not missed):
    // when the first apply wrote 2,000 or more records of a module in its last second (a fast
    // machine), that second takes one more page.
    const lastSecondPages = (module: string): number => {
      const seconds = systems.zoho.records(module).map((r) => Math.floor(Date.parse(String(r.Modified_Time)) / 1000));
      const last = seconds.reduce((a, b) => Math.max(a, b), 0);
      return 1 + Math.floor(seconds.filter((x) => x === last).length / 2000);
    };
    const mark = reads();
    const third = await runReconcile(session, { apply: true, trigger: 'test', holder: 'test' });
    expect(third.noChanges).toBe(true);
    expect(reads() - mark).toBeLessThanOrEqual(['Contacts', 'Accounts'].reduce((n, m) => n + 1 + lastSecondPages(m), 0));
  }, 240_000);

  it('a user edit made in Zoho while an apply runs is seen by the next run', async () => {
    const contacts = systems.zoho.records('Contacts');
    // PeopleSoft changes 150 people: two upsert batches. Zoho holds the second batch's answer a while.
    const emps = systems.ps.data.employees.filter((e) => contacts.some((c) => c.PeopleSoft_Employee_ID === e.EMPLID)).slice(0, 150);
    for (const e of emps) {
      const mail = e.emails[0];
      if (mail) mail.EMAIL_ADDR = `moved.${e.EMPLID}@example.com`;
      e.LASTUPDDTTM = toPsDateTime(systems.ps.clock.now());
    }
    systems.zoho.inject({ at: { kind: 'upsert', module: 'Contacts' }, delayMs: 1500, times: 1 });
    const victim = contacts.find((c) => !emps.some((e) => e.EMPLID === c.PeopleSoft_Employee_ID))!;
    const running = runReconcile(session, { apply: true, trigger: 'test', holder: 'test' });
    // The apply is writing (Zoho took the first batch and holds its answer): a user edits another contact now.
    const moved = (): boolean => systems.zoho.records('Contacts').some((c) => String(c.Email ?? '').startsWith('moved.'));
    for (let i = 0; i < 600 && !moved(); i++) await new Promise((r) => setTimeout(r, 25));
    expect(moved()).toBe(true);
    systems.zoho.editRecord('Contacts', String(victim.id), { Department: 'Edited during the apply' }, 'user');
    expect((await running).status).toBe('succeeded');
    let drift: unknown;
    await runReconcile(session, {
      apply: false, trigger: 'test', holder: 'test',
      onPlan: async (view) => {
        for await (const a of view.actions({ mapping: 'employees-to-contacts' })) if (a.externalId === victim.PeopleSoft_Employee_ID) drift = a;
      },
    });
    expect(drift).toMatchObject({ action: 'update', cause: 'drift', changes: [expect.objectContaining({ field: 'Department', before: 'Edited during the apply' })] });
  }, 120_000);
});
