import { describe, expect, it } from 'vitest';
import type { Mapping } from '../src/config/types.generated.js';
import type { SourceRecord } from '../src/model/index.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadPlan, renderPlanMarkdown, renderPlanTextString, savePlan, summaryLine,
  type LinkedRecord, type ObservedRecord,
} from '../src/plan/index.js';
import { planFixture, type FixtureMapping, type FixturePlan } from './plan-harness.js';

const contacts: Mapping = {
  apiVersion: 'ml-connector/v1', kind: 'Mapping', name: 'employees-to-contacts',
  source: { connection: 'hcm', entity: 'employees', include: { field: 'PER_ORG', in: ['EMP', 'CWR'] } },
  target: { connection: 'zoho', module: 'Contacts' },
  externalId: { field: 'PeopleSoft_Employee_ID' },
  fields: [
    { to: 'Last_Name', from: 'LAST_NAME' },
    { to: 'Email', from: 'EMAIL', transforms: ['email'] },
    { to: 'Department', from: 'DEPT_DESCR' },
    { to: 'Employment_Status', map: { from: 'STATUS', values: { active: 'Active', leave: 'On Leave', inactive: 'Terminated' } } },
    { to: 'Account_Name', lookup: { mapping: 'vendors-to-accounts', key: '{VENDOR_KEY}' }, when: { field: 'PER_ORG', equals: 'CWR' } },
  ],
  lifecycle: { termination: { action: 'deactivate' }, rehire: { action: 'reactivate', set: { Employment_Status: 'Active' } } },
  deactivate: { set: { Employment_Status: 'Terminated' } },
  guards: { maxDeactivations: '10%', minSourceRows: 3, maxDrop: '20%' },
};

const accounts: Mapping = {
  apiVersion: 'ml-connector/v1', kind: 'Mapping', name: 'vendors-to-accounts',
  source: { connection: 'fscm', entity: 'vendors' },
  target: { connection: 'zoho', module: 'Accounts' },
  externalId: { field: 'PeopleSoft_Vendor_ID', from: 'VENDOR_KEY' },
  fields: [{ to: 'Account_Name', from: 'NAME1' }],
  deactivate: { set: { Vendor_Status: 'Inactive' } },
};

type Fields = Record<string, string | null>;
const emp = (id: string, f: Fields = {}, over: Partial<SourceRecord> = {}): SourceRecord => ({
  entity: 'employees', key: id, status: 'active', hash: `h${id}`,
  fields: { EMPLID: id, PER_ORG: 'EMP', LAST_NAME: `Name${id}`, EMAIL: `p${id}@example.com`, DEPT_DESCR: 'Sales', STATUS: 'active', ...f }, ...over,
});
/** Zoho holds exactly what `emp(id)` maps to, unless told otherwise. */
const zoho = (id: string, over: Record<string, ObservedRecord['values'][string]> = {}): [string, ObservedRecord] => [id, {
  id: `90${id}`, modifiedTime: '2026-01-01T00:00:00+00:00',
  values: { Last_Name: `Name${id}`, Email: `p${id}@example.com`, Department: 'Sales', Employment_Status: 'Active', ...over },
}];
const link = (id: string, over: Record<string, unknown> = {}): [string, LinkedRecord] => [id, {
  zohoId: `90${id}`, appliedValues: { Last_Name: `Name${id}`, Email: `p${id}@example.com`, Department: 'Sales', Employment_Status: 'Active', ...over },
}];

type Input = FixtureMapping;
function input(over: Partial<FixtureMapping> = {}): Input {
  return {
    mapping: contacts, mode: 'full', records: [emp('1'), emp('2'), emp('3')],
    observed: new Map([zoho('1'), zoho('2'), zoho('3')]), links: new Map([link('1'), link('2'), link('3')]), ...over,
  };
}

function plan(mi: Input | Input[], extra: Parameters<typeof planFixture>[1] = {}): FixturePlan {
  return planFixture(mi, extra);
}
const only = (p: FixturePlan) => ({ ...p.summary, actions: p.actions });
const render = (p: FixturePlan, mask: boolean): Promise<string> => renderPlanTextString(p.view, { mask });
const tmp = (): string => mkdtempSync(join(tmpdir(), 'ml-plan-test-'));

describe('planner actions', () => {
  const cases: Array<{ name: string; mi: Input; expect: Record<string, unknown> | undefined; counts?: Partial<Record<string, number>> }> = [
    { name: 'nothing changed → same', mi: input(), expect: undefined, counts: { same: 3 } },
    { name: 'new hire → create with every value', mi: input({ records: [emp('1'), emp('2'), emp('3'), emp('4')] }),
      expect: { externalId: '4', action: 'create', cause: 'source', changes: [{ field: 'Department', before: null, after: 'Sales' }, { field: 'Email', before: null, after: 'p4@example.com' }, { field: 'Employment_Status', before: null, after: 'Active' }, { field: 'Last_Name', before: null, after: 'Name4' }] } },
    { name: 'transfer → update of the changed field only', mi: input({ records: [emp('1', { DEPT_DESCR: 'Legal' }, { event: 'transfer' }), emp('2'), emp('3')] }),
      expect: { externalId: '1', action: 'update', event: 'transfer', zohoId: '901', plannedAgainst: '2026-01-01T00:00:00+00:00', changes: [{ field: 'Department', before: 'Sales', after: 'Legal' }] } },
    { name: 'termination → deactivate', mi: input({ records: [emp('1', { STATUS: 'inactive' }, { event: 'termination', status: 'inactive' }), emp('2'), emp('3')] }),
      expect: { externalId: '1', action: 'deactivate', event: 'termination', changes: [{ field: 'Employment_Status', before: 'Active', after: 'Terminated' }] } },
    { name: 'rehire → reactivate the same Zoho record', mi: input({ records: [emp('1', {}, { event: 'rehire' }), emp('2'), emp('3')], observed: new Map([zoho('1', { Employment_Status: 'Terminated' }), zoho('2'), zoho('3')]), links: new Map([link('1', { Employment_Status: 'Terminated' }), link('2'), link('3')]) }),
      expect: { externalId: '1', action: 'reactivate', event: 'rehire', zohoId: '901', changes: [{ field: 'Employment_Status', before: 'Terminated', after: 'Active' }] } },
    { name: 'gone from a full read → deactivate (removed)', mi: input({ records: [emp('1'), emp('2')] }),
      expect: { externalId: '3', action: 'deactivate', cause: 'removed', changes: [{ field: 'Employment_Status', before: 'Active', after: 'Terminated' }] } },
    { name: 'gone with onRemove: delete → delete', mi: input({ mapping: { ...contacts, onRemove: 'delete' }, records: [emp('1'), emp('2')] }),
      expect: { externalId: '3', action: 'delete', cause: 'removed', zohoId: '903', changes: [] } },
    { name: 'gone with onRemove: ignore → nothing', mi: input({ mapping: { ...contacts, onRemove: 'ignore' }, records: [emp('1'), emp('2')] }), expect: undefined, counts: { same: 2 } },
    { name: 'gone from an incremental read → not planned', mi: input({ mode: 'incremental', records: [emp('1')] }), expect: undefined, counts: { same: 1 } },
    { name: 'left source.include → deactivate even incrementally', mi: input({ mode: 'incremental', records: [emp('2', { PER_ORG: 'POI' })] }),
      expect: { externalId: '2', action: 'deactivate', cause: 'out-of-scope' } },
    { name: 'terminated and never synced → not created (left before the first sync)', mi: input({ records: [emp('1'), emp('2'), emp('3'), emp('9', { STATUS: 'inactive' }, { status: 'inactive', event: 'termination' })] }),
      expect: undefined, counts: { same: 3, create: 0 } },
    { name: 'terminated and never synced, createInactive → created as deactivated', mi: input({ createInactive: true, records: [emp('1'), emp('2'), emp('3'), emp('9', { STATUS: 'inactive' }, { status: 'inactive', event: 'termination' })] }),
      expect: { externalId: '9', action: 'create', event: 'termination', changes: expect.arrayContaining([{ field: 'Employment_Status', before: null, after: 'Terminated' }]) } },
    { name: 'a future hire (only future-dated rows) → held, not created', mi: input({ records: [emp('1'), emp('2'), emp('3'), emp('8', { STATUS: 'inactive' }, { status: 'inactive', scheduled: [{ effectiveDate: '2026-02-01', event: 'hire', status: 'active' }] })] }),
      expect: undefined, counts: { same: 3, create: 0 } },
    { name: 'read problem → not treated as removed', mi: input({ records: [emp('1'), emp('2')], problems: [{ key: '3', code: 'SOURCE_BAD_DATE', message: 'x', severity: 'error' }], rowCount: 3 }), expect: undefined, counts: { same: 2 } },
    { name: 'drift with overwrite → labelled change', mi: input({ observed: new Map([zoho('1', { Department: 'Marketing' }), zoho('2'), zoho('3')]) }),
      expect: { externalId: '1', action: 'update', changes: [{ field: 'Department', before: 'Marketing', after: 'Sales', drift: true }] } },
    { name: 'drift changed only in Zoho, incremental → planned from the last apply', mi: input({ mode: 'incremental', records: [], observed: new Map([zoho('1', { Department: 'Marketing' }), zoho('2'), zoho('3')]), changedInZoho: new Set(['1']) }),
      expect: { externalId: '1', action: 'update', cause: 'drift', changes: [{ field: 'Department', before: 'Marketing', after: 'Sales', drift: true }] } },
  ];
  it.each(cases)('$name', ({ mi, expect: want, counts }) => {
    const mp = only(plan(mi));
    if (want === undefined) expect(mp.actions).toEqual([]);
    else expect(mp.actions).toEqual([expect.objectContaining(want)]);
    if (counts) expect(mp.counts).toMatchObject(counts);
  });

  it('drift with keep-zoho or report is noted, not written', () => {
    for (const policy of ['keep-zoho', 'report'] as const) {
      const mi = input({ mapping: { ...contacts, drift: policy }, observed: new Map([zoho('1', { Department: 'Marketing' }), zoho('2'), zoho('3')]) });
      const p = plan(mi);
      expect(only(p).actions).toEqual([]);
      expect(only(p).counts.same).toBe(3);
      expect(p.problems.some((x) => x.code === 'DRIFT_REPORTED')).toBe(policy === 'report');
    }
  });

  it('a full plan after an earlier apply labels only the events of records changed since it', () => {
    // A mapping edit makes both records change; only 2 changed in PeopleSoft since the last apply.
    const records = [emp('1', { DEPT_DESCR: 'Legal' }, { event: 'hire' }), emp('2', { DEPT_DESCR: 'Legal' }, { event: 'transfer' }), emp('3')];
    const actions = only(plan(input({ records, changedSinceLastApply: new Set(['2']) }))).actions;
    expect(actions.map((a) => [a.externalId, a.action, a.event])).toEqual([['1', 'update', undefined], ['2', 'update', 'transfer']]);
    expect(only(plan(input({ records }))).actions.map((a) => a.event)).toEqual(['hire', 'transfer']);
  });

  it('a retiree (deactivated with the retirement set) is updated, not deactivated again; a rehire reactivates', () => {
    const m: Mapping = { ...contacts, fields: [...contacts.fields, { to: 'Title', from: 'JOB_TITLE' }], lifecycle: { ...contacts.lifecycle, retirement: { action: 'deactivate', set: { Employment_Status: 'Retired' } } } };
    const retiree = emp('1', { STATUS: 'inactive', JOB_TITLE: 'VP' }, { status: 'inactive', event: 'retirement' });
    const observed = new Map([zoho('1', { Employment_Status: 'Retired', Title: 'Vp' }), zoho('2'), zoho('3')]);
    const edit = only(plan(input({ mapping: m, records: [retiree, emp('2'), emp('3')], observed }))).actions;
    expect(edit.map((a) => [a.action, a.changes.map((c) => c.field)])).toEqual([['update', ['Title']]]);
    const back = only(plan(input({ mapping: m, records: [emp('1', { JOB_TITLE: 'Vp' }, { event: 'rehire' }), emp('2'), emp('3')], observed }))).actions;
    expect(back.map((a) => [a.action, a.event])).toEqual([['reactivate', 'rehire']]);
  });

  it('a drift policy on one field overrides the mapping', () => {
    const m: Mapping = { ...contacts, fields: contacts.fields.map((f) => (f.to === 'Department' ? { ...f, drift: 'keep-zoho' as const } : f)) as Mapping['fields'] };
    const mi = input({ mapping: m, records: [emp('1', { LAST_NAME: 'New' }), emp('2'), emp('3')], observed: new Map([zoho('1', { Department: 'Marketing' }), zoho('2'), zoho('3')]) });
    const a = only(plan(mi)).actions[0]!;
    expect(a.changes.map((c) => c.field)).toEqual(['Last_Name']);
    expect(a.drift).toEqual([{ field: 'Department', zoho: 'Marketing', applied: 'Sales', policy: 'keep-zoho' }]);
  });

  it('a contractor looks up the account planned first, pending when the account is new', () => {
    const vendorRec = (k: string): SourceRecord => ({ entity: 'vendors', key: k, status: 'active', hash: k, fields: { VENDOR_KEY: k, NAME1: `Vendor ${k}` } });
    const acc: Input = {
      mapping: accounts, mode: 'full', reason: 'first run',
      records: [vendorRec('SHARE-1'), vendorRec('SHARE-2')],
      observed: new Map([['SHARE-1', { id: '501', values: { Account_Name: 'Vendor SHARE-1' } }]]), links: new Map(),
    };
    const con = input({ records: [emp('1', { PER_ORG: 'CWR', VENDOR_KEY: 'SHARE-1' }), emp('2', { PER_ORG: 'CWR', VENDOR_KEY: 'SHARE-2' }), emp('3')] });
    const p = plan([con, acc]);
    expect(p.header.mappings.map((m) => m.name)).toEqual(['vendors-to-accounts', 'employees-to-contacts']);
    const [a1, a2] = p.actionsOf('employees-to-contacts');
    expect(a1!.changes).toEqual([{ field: 'Account_Name', before: null, after: { lookup: 'vendors-to-accounts', key: 'SHARE-1', id: '501' } }]);
    expect(a2!.changes).toEqual([{ field: 'Account_Name', before: null, after: { lookup: 'vendors-to-accounts', key: 'SHARE-2' } }]);
  });
});

describe('guards', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1));
  const full = (n: number) => input({ records: many(n).map((id) => emp(id)), observed: new Map(many(20).map((id) => zoho(id))), links: new Map(many(20).map((id) => link(id))) });

  it.each([
    { name: 'maxDeactivations 10% of 20 allows 2', mi: full(18), guard: 'maxDeactivations', tripped: false },
    { name: 'maxDeactivations trips at 3 of 20', mi: full(17), guard: 'maxDeactivations', tripped: true },
    { name: 'minSourceRows trips on an empty extract', mi: full(0), guard: 'minSourceRows', tripped: true },
    { name: 'maxDrop 20% of the last full read', mi: { ...full(15), lastFullRowCount: 20 }, guard: 'maxDrop', tripped: true },
    { name: 'maxDrop within limit', mi: { ...full(17), lastFullRowCount: 20 }, guard: 'maxDrop', tripped: false },
    { name: 'maxChanges as a count', mi: { ...full(20), mapping: { ...contacts, guards: { maxChanges: 1 } }, records: [emp('1', { DEPT_DESCR: 'A' }), emp('2', { DEPT_DESCR: 'A' })], complete: false, rowCount: 2, mode: 'incremental' as const }, guard: 'maxChanges', tripped: true },
  ])('$name', ({ mi, guard, tripped }) => {
    const p = plan(mi);
    const g = only(p).guards.find((x) => x.guard === guard);
    expect(g?.tripped).toBe(tripped);
    expect(p.header.blocked).toBe(only(p).guards.some((x) => x.tripped));
    if (tripped) expect(plan(mi, { allowLargeChange: true }).header.blocked).toBe(false);
  });

  it('row-count guards do not apply to incremental reads', () => {
    const mi = input({ mode: 'incremental', records: [], complete: false, rowCount: 0, lastFullRowCount: 100 });
    expect(only(plan(mi)).guards.map((g) => g.guard)).toEqual(['maxDeactivations']);
  });
});

describe('cost, determinism, files and renderers', () => {
  it('costs ceil(n/100) upsert calls', () => {
    const ids = Array.from({ length: 250 }, (_, i) => String(1000 + i));
    const p = plan(input({ records: ids.map((id) => emp(id)), observed: new Map(), links: new Map(), mapping: { ...contacts, guards: {} } }));
    expect(p.header.summary).toMatchObject({ create: 250, calls: 3, credits: 25 });
    expect(summaryLine(p.header)).toBe('Plan: 250 to create, 0 unchanged; 3 API calls (25 credits)');
  });

  it('the same input gives byte-identical plan files, in the order PeopleSoft returned the records', async () => {
    const recs = [emp('3', { DEPT_DESCR: 'X' }), emp('1'), emp('4'), emp('2', { STATUS: 'inactive' }, { status: 'inactive', event: 'termination' })];
    const dir = tmp();
    await savePlan(plan(input({ records: recs })).view, join(dir, 'a.json'));
    await savePlan(plan(input({ records: recs.map((r) => ({ ...r })), observed: new Map([zoho('3'), zoho('2'), zoho('1')]) })).view, join(dir, 'b.json'));
    const a = readFileSync(join(dir, 'a.json'), 'utf8');
    expect(readFileSync(join(dir, 'b.json'), 'utf8')).toBe(a);
    expect([...a.matchAll(/"externalId":"(\d)"/g)].map((m) => m[1])).toEqual(['3', '4', '2']);
  });

  it('a saved plan reads back, masks personal before-values, and refuses edits', async () => {
    const p = plan(input({ records: [emp('1', { EMAIL: 'new@example.com' }), emp('2'), emp('3')] }));
    const file = join(tmp(), 'plan.json');
    await savePlan(p.view, file);
    const text = readFileSync(file, 'utf8');
    expect(JSON.parse(text).formatVersion).toBe(2);
    // The old address only as its keyed digest; the new one as apply writes it.
    expect(text).toMatch(/"before":\{"masked":"[0-9a-f]{8}"\}/);
    expect(text).not.toMatch(/"before":"[^"]*@example\.com"/);
    expect(text).toContain('"after":"new@example.com"');
    const back = await loadPlan(file);
    const actions = [];
    for await (const a of back.actions()) actions.push(a);
    expect(actions).toHaveLength(1);
    expect(actions[0]!.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    writeFileSync(file, text.replace('new@example.com', 'evil@example.com'));
    await expect(loadPlan(file)).rejects.toMatchObject({ code: 'PLAN_TAMPERED' });
    writeFileSync(file, text.replace('"formatVersion":2', '"formatVersion":1'));
    await expect(loadPlan(file)).rejects.toMatchObject({ code: 'PLAN_FORMAT_UNSUPPORTED' });
    // Valid JSON laid out otherwise (pretty-printed by another tool) still reads.
    writeFileSync(file, JSON.stringify(JSON.parse(text), null, 2));
    const again = await loadPlan(file);
    expect(again.header.summary.update).toBe(1);
  });

  it('a plan records the commit it was made from and whether the configuration had uncommitted changes', async () => {
    const p = plan(input(), { gitCommit: 'a'.repeat(40), gitDirty: true });
    const file = join(tmp(), 'plan.json');
    await savePlan(p.view, file);
    const back = await loadPlan(file);
    expect(back.header).toMatchObject({ gitCommit: 'a'.repeat(40), gitDirty: true });
    expect(await renderPlanMarkdown(back, { mask: true })).toContain(`configuration at commit \`${'a'.repeat(12)}\` with uncommitted changes`);
  });

  it('an incremental plan says its unchanged count covers only the records changed since the last apply', async () => {
    const full = await render(plan(input()), true);
    expect(full).toContain('employees-to-contacts → Contacts: 3 unchanged\n  compared every record (asked for with --full)\n');
    const inc = await render(plan(input({ mode: 'incremental', reason: 'changes since the last apply' })), true);
    expect(inc).toContain('employees-to-contacts → Contacts: 3 unchanged\n  compared the records changed in PeopleSoft or Zoho since the last apply\n');
  });

  it('text shows symbols, events and the summary; masking hides personal data', async () => {
    const p = plan(input({ records: [emp('1', { STATUS: 'inactive' }, { status: 'inactive', event: 'termination' }), emp('2', { EMAIL: 'jane@example.com' }), emp('3'), emp('4', {}, { event: 'hire' })] }));
    const text = await render(p, false);
    expect(text.split('\n')[0]).toBe('Plan: 1 hire, 1 termination, 1 other PeopleSoft change → 1 to create, 1 to update, 1 to deactivate');
    expect(text).toContain('+ 4  create (hire)');
    expect(text).toContain('~ 2  update (changed in PeopleSoft)');
    expect(text).toContain('- 1  deactivate (termination)');
    expect(text).toContain('"jane@example.com"');
    expect(text).toContain('Plan: 1 to create, 1 to update, 1 to deactivate, 1 unchanged; 1 API call (1 credit)\n');
    expect(await renderPlanMarkdown(p.view, { mask: true })).toContain('**1 hire, 1 termination, 1 other PeopleSoft change → 1 to create, 1 to update, 1 to deactivate**');
    const masked = await render(p, true);
    expect(masked).not.toContain('jane@example.com');
    expect(masked).not.toContain('j•••');
    // The change stays visible: two different digests.
    expect(masked).toMatch(/Email: \(masked #([0-9a-f]{8})\) → \(masked #(?!\1)[0-9a-f]{8}\)/);
  });

  it('Markdown stays under the comment limit with counts of what was cut', async () => {
    const ids = Array.from({ length: 3000 }, (_, i) => String(10000 + i));
    const p = plan(input({ records: ids.map((id) => emp(id)), observed: new Map(), links: new Map(), mapping: { ...contacts, guards: {} } }));
    const md = await renderPlanMarkdown(p.view, { mask: true });
    expect(md.length).toBeLessThan(65_536);
    expect(md).toMatch(/… [\d,]+ records not shown here \(GitHub's comment limit\)/);
    expect(md).toContain('<details>');
    expect(md).not.toContain('p10000@example.com');
  });
});
