import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadValidConfig } from '../src/config/index.js';
import type { Mapping } from '../src/config/types.generated.js';
import type { SourceRecord } from '../src/model/index.js';
import { compareMappings } from '../src/gitops/compare.js';
import { collectStats, estimateImpactOffline, measureImpact, namedValues } from '../src/gitops/impact.js';
import { planBaseComparison } from '../src/gitops/base-plan.js';
import { renderBaseComparison, renderBaseComparisonMarkdown } from '../src/gitops/render.js';
import { collectOfflineStats } from '../src/gitops/offline-stats.js';
import { openStateStore } from '../src/state/index.js';

const employees = (m: Partial<Mapping> = {}): Mapping => ({
  apiVersion: 'ml-connector/v1', kind: 'Mapping', name: 'people',
  source: { connection: 'hcm', entity: 'employees' },
  target: { connection: 'zoho', module: 'Contacts' },
  externalId: { field: 'PeopleSoft_Employee_ID' },
  fields: [
    { to: 'Last_Name', from: 'LAST_NAME' },
    { to: 'Email', from: 'EMAIL' },
    { to: 'Title', from: 'JOB_TITLE' },
  ],
  ...m,
});

const rec = (key: string, fields: Record<string, string>): SourceRecord => ({ entity: 'employees', key, fields: { EMPLID: key, ...fields }, status: 'active', hash: key });

describe('measureImpact (online, pure)', () => {
  const records = [
    rec('E1', { LAST_NAME: 'Diaz', EMAIL: 'ana.diaz@example.com', JOB_TITLE: 'Engineer', DEPT_DESCR: 'Engineering', EMAIL_BUSN: 'ana.diaz@example.com' }),
    rec('E2', { LAST_NAME: 'Okafor', EMAIL: 'obi@example.com', JOB_TITLE: 'Analyst', DEPT_DESCR: 'Finance', EMAIL_BUSN: 'o.okafor@corp.example.com' }),
    rec('E3', { LAST_NAME: 'Lee', EMAIL: 'lee@example.com', JOB_TITLE: 'Analyst', DEPT_DESCR: 'Finance', EMAIL_BUSN: 'lee@example.com' }),
  ];
  const base = employees();
  const head = employees({ fields: [
    { to: 'Last_Name', from: 'LAST_NAME' },
    { to: 'Email', from: 'EMAIL_BUSN' },
    { to: 'Department', from: 'DEPT_DESCR' },
  ] });
  const diffs = compareMappings([base], [head]);
  const [impact] = measureImpact(diffs, new Map([['people', base]]), new Map([['people', head]]), () => records);

  it('counts, per changed field, the records whose value changes, with samples', () => {
    expect(impact!.fields.map((f) => [f.field, f.kind, f.records])).toEqual([
      ['Email', 'remapped', 1],
      ['Department', 'added', 3],
      ['Title', 'removed', 3],
    ]);
    const email = impact!.fields[0]!;
    expect(email.samples).toEqual([{ key: 'E2', before: 'obi@example.com', after: 'o.okafor@corp.example.com' }]);
    expect(impact!.recordsTouched).toBe(3);
    expect(impact!.notes.join(' ')).toContain('keep their current value');
  });

  it('renders text and Markdown that say what the change does', () => {
    const comparison = { baseRef: 'origin/main', baseCommit: 'a'.repeat(40), headCommit: 'b'.repeat(40), headDirty: false, mode: 'online' as const, mappings: [impact!] };
    const text = renderBaseComparison(comparison);
    expect(text).toContain('people → Contacts (changed; 3 of 3 records would change)');
    expect(text).toContain('Email: re-mapped from EMAIL → from EMAIL_BUSN: 1 record');
    expect(text).toContain('E2: "obi@example.com" → "o.okafor@corp.example.com"');
    const md = renderBaseComparisonMarkdown(comparison);
    expect(md).toContain('| `Email` | re-mapped: from EMAIL → from EMAIL_BUSN | 1 record | E2: "obi@example.com" → "o.okafor@corp.example.com" |');
  });
});

describe('estimateImpactOffline (pure)', () => {
  it('a change whose new value needs PeopleSoft: "at most" every linked record, samples say the new value is unknown', async () => {
    const base = employees();
    const head = employees({ fields: [{ to: 'Last_Name', from: 'LAST_NAME' }, { to: 'Email', from: 'EMAIL' }, { to: 'Title', from: 'JOB_TITLE', transforms: ['upper'] }] });
    const stored = [{ externalId: 'E1', values: { Title: 'Engineer' } }, { externalId: 'E2', values: { Title: 'Analyst' } }];
    const diffs = compareMappings([base], [head]);
    const stats = await collectStats([stored], ['Title'], namedValues([base, head]), { diff: diffs[0]!, base, head, max: 3 });
    const [impact] = estimateImpactOffline(diffs, new Map([['people', base]]), new Map([['people', head]]), () => stats);
    expect(impact!.fields.map((f) => [f.field, f.records, f.precision])).toEqual([['Title', 2, 'at-most']]);
    const text = renderBaseComparison({ baseRef: 'main', baseCommit: 'a'.repeat(40), headCommit: 'b'.repeat(40), headDirty: false, mode: 'offline', mappings: [impact!] });
    expect(text).toContain('E1: "Engineer" → (new value needs PeopleSoft)');
    expect(text).not.toContain('(unchanged in Zoho)');
  });
});

describe('planBaseComparison against a real git repository and state database', () => {
  let repo: string;
  let statePath: string;
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();

  beforeAll(async () => {
    repo = await mkdtemp(join(tmpdir(), 'ml-base-'));
    await cp(join(process.cwd(), 'configs'), join(repo, 'configs'), { recursive: true });
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 't@example.com');
    git('config', 'user.name', 'T');
    git('add', '.');
    git('commit', '-q', '-m', 'base');
    // The pull request: vendors' classification table renamed one value, payment terms no longer
    // managed, a constant added; a guard tightened.
    const file = join(repo, 'configs', 'mappings', 'vendors-to-accounts.yaml');
    let text = await readFile(file, 'utf8');
    text = text.replace('R: Outside Party', 'R: Contractor Firm').replace('  - { to: Payment_Terms, from: PYMNT_TERMS_CD }\n', '  - { to: Description, value: Synced from PeopleSoft }\n').replace('maxDeactivations: 10%\n  minSourceRows: 50', 'maxDeactivations: 5%\n  minSourceRows: 50');
    await writeFile(file, text);
    statePath = join(repo, 'state.db');
    const store = await openStateStore(statePath);
    const link = (id: string, cls: string, terms: string | null) => ({ externalId: id, module: 'Accounts', zohoId: `z${id}`, fieldHash: id, appliedValues: { Account_Name: `Vendor ${id}`, Vendor_Classification: cls, Payment_Terms: terms } });
    await store.upsertLinks('vendors-to-accounts', [link('SHARE-V1', 'Outside Party', 'N30'), link('SHARE-V2', 'Attorney', null), link('SHARE-V3', 'Outside Party', 'N45')]);
    await store.putSnapshots('vendors-to-accounts', [{ externalId: 'SHARE-V2', zohoId: 'zSHARE-V2', values: { Account_Name: 'Vendor SHARE-V2', Vendor_Classification: 'Attorney', Payment_Terms: 'N15' }, modifiedTime: '2026-11-26T10:00:00Z' }]);
    await store.close();
  });
  afterAll(async () => rm(repo, { recursive: true, force: true }));

  it('offline (no credentials): exact counts where the stored values suffice', async () => {
    const head = await loadValidConfig(join(repo, 'configs'));
    const state = await openStateStore(statePath, { readonly: true });
    const result = await planBaseComparison({ configDir: join(repo, 'configs'), head, baseRef: 'main', mode: 'offline', state, mask: { personal: () => new Set(['Account_Name']), key: 'k' } });
    await state.close();
    expect(result.baseCommit).toBe(git('rev-parse', 'HEAD'));
    expect(result.headDirty).toBe(true);
    const vendors = result.mappings.find((m) => m.mapping === 'vendors-to-accounts')!;
    const employees = result.mappings.find((m) => m.mapping === 'employees-to-contacts')!;
    expect(employees.change).toBe('unchanged');
    expect(vendors.fields.map((f) => [f.field, f.kind, f.records, f.precision])).toEqual([
      ['Vendor_Classification', 'changed', 2, 'exact'],
      ['Description', 'added', 3, 'exact'],
      ['Payment_Terms', 'removed', 3, 'exact'],
    ]);
    expect(vendors.fields[0]!.samples[0]).toEqual({ key: 'SHARE-V1', before: 'Outside Party', after: 'Contractor Firm' });
    expect(vendors.settings).toEqual([{ path: 'guards.maxDeactivations', before: '"10%"', after: '"5%"' }]);
    const md = renderBaseComparisonMarkdown(result);
    expect(md).toContain('**Offline estimate**');
    expect(md).toContain('| `guards.maxDeactivations` | `"10%"` | `"5%"` |');
  });
});

describe('offline stats for pull requests from forks', () => {
  it('give the offline estimate the state database gives, holding counts only', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'ml-stats-'));
    const git = (...args: string[]): void => { execFileSync('git', args, { cwd: repo }); };
    try {
      await cp(join(process.cwd(), 'configs'), join(repo, 'configs'), { recursive: true });
      git('init', '-q', '-b', 'main');
      git('add', '.');
      git('-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'base');
      // The stats are written by the apply on main, with main's configuration.
      const base = await loadValidConfig(join(repo, 'configs'));
      const file = join(repo, 'configs', 'mappings', 'vendors-to-accounts.yaml');
      await writeFile(file, (await readFile(file, 'utf8')).replace('R: Outside Party', 'R: Contractor Firm').replace('  - { to: Payment_Terms, from: PYMNT_TERMS_CD }\n', '  - { to: Description, value: Synced from PeopleSoft }\n'));
      const head = await loadValidConfig(join(repo, 'configs'));
      const store = await openStateStore(join(repo, 'state.db'));
      const link = (id: string, cls: string, terms: string | null) => ({ externalId: id, module: 'Accounts', zohoId: `z${id}`, fieldHash: id, appliedValues: { Account_Name: `Acme ${id} LLC`, Vendor_Classification: cls, Payment_Terms: terms, Phone: '+15550100' } });
      await store.upsertLinks('vendors-to-accounts', [link('SHARE-V1', 'Outside Party', 'N30'), link('SHARE-V2', 'Attorney', null), link('SHARE-V3', 'Outside Party', 'N45')]);
      const stats = await collectOfflineStats(store, base);
      const published = JSON.stringify(stats);
      // Counts, and values the configuration names: no key, no name, no phone, no payment terms.
      expect(published).not.toMatch(/SHARE-V|Acme|\+1555|N30|N45/);
      expect(stats.mappings['vendors-to-accounts']!.records).toBe(3);
      const fromState = await planBaseComparison({ configDir: join(repo, 'configs'), head, baseRef: 'main', mode: 'offline', state: store });
      const fromStats = await planBaseComparison({ configDir: join(repo, 'configs'), head, baseRef: 'main', mode: 'offline', stats: JSON.parse(published) as typeof stats });
      await store.close();
      const counts = (c: typeof fromState) => c.mappings.find((m) => m.mapping === 'vendors-to-accounts')!.fields.map((f) => [f.field, f.records, f.precision]);
      expect(counts(fromStats)).toEqual(counts(fromState));
      expect(counts(fromStats)).toEqual([['Vendor_Classification', 2, 'exact'], ['Description', 3, 'exact'], ['Payment_Terms', 2, 'exact']]);
    } finally {
      await rm(repo, { recursive: true, force: true });
    }
  });
});

describe('planBaseComparison when the base has no configuration yet', () => {
  it('counts every mapping as added', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'ml-base-empty-'));
    const git = (...args: string[]): void => { execFileSync('git', args, { cwd: repo }); };
    git('init', '-q', '-b', 'main');
    await writeFile(join(repo, 'README.md'), 'empty\n');
    git('add', '.');
    git('-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'first');
    await cp(join(process.cwd(), 'configs'), join(repo, 'configs'), { recursive: true });
    const head = await loadValidConfig(join(repo, 'configs'));
    const state = await openStateStore(':memory:');
    try {
      const result = await planBaseComparison({ configDir: join(repo, 'configs'), head, baseRef: 'main', mode: 'offline', state });
      expect(result.mappings.map((m) => [m.mapping, m.change])).toEqual([['contractors-to-contacts', 'added'], ['departments-to-accounts', 'added'], ['employees-to-contacts', 'added'], ['vendors-to-accounts', 'added']]);
      expect(renderBaseComparison(result)).toContain('New mapping');
    } finally {
      await state.close();
      await rm(repo, { recursive: true, force: true });
    }
  });
});
