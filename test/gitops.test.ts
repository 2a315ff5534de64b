import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtemp, mkdir, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Mapping } from '../src/config/types.generated.js';
import { compareMappings } from '../src/gitops/compare.js';
import { assertCleanConfig, gitStamp } from '../src/gitops/stamp.js';
import { materializeConfigAtRef } from '../src/gitops/materialize.js';
import { MlError } from '../src/support/errors.js';

function mapping(name: string, over: Partial<Mapping> = {}): Mapping {
  return {
    apiVersion: 'ml-connector/v1',
    kind: 'Mapping',
    name,
    source: { connection: 'hcm', entity: 'employees' },
    target: { connection: 'zoho', module: 'Contacts' },
    externalId: { field: 'PeopleSoft_Employee_ID' },
    fields: [
      { to: 'Last_Name', from: 'LAST_NAME' },
      { to: 'Title', from: 'JOB_TITLE' },
      { to: 'Employee_Type', map: { from: 'PER_ORG', values: { EMP: 'Employee', CWR: 'Contractor' } } },
    ],
    guards: { maxDeactivations: '10%' },
    ...over,
  };
}

describe('compareMappings', () => {
  const base = mapping('people');
  const cases: { name: string; head: Mapping[]; expect: (d: ReturnType<typeof compareMappings>) => void }[] = [
    { name: 'nothing changed', head: [mapping('people')], expect: (d) => expect(d).toEqual([{ mapping: 'people', change: 'unchanged', module: 'Contacts', fields: [], settings: [] }]) },
    {
      name: 'a field added',
      head: [mapping('people', { fields: [...base.fields, { to: 'Department', from: 'DEPT_DESCR' }] })],
      expect: (d) => expect(d[0]!.fields).toEqual([{ field: 'Department', kind: 'added', after: 'from DEPT_DESCR' }]),
    },
    {
      name: 'a field removed',
      head: [mapping('people', { fields: [base.fields[0]!, base.fields[2]!] })],
      expect: (d) => expect(d[0]!.fields).toEqual([{ field: 'Title', kind: 'removed', before: 'from JOB_TITLE' }]),
    },
    {
      name: 'a field re-mapped to another source',
      head: [mapping('people', { fields: [base.fields[0]!, { to: 'Title', from: 'BUSINESS_TITLE' }, base.fields[2]!] })],
      expect: (d) => expect(d[0]!.fields).toEqual([{ field: 'Title', kind: 'remapped', before: 'from JOB_TITLE', after: 'from BUSINESS_TITLE' }]),
    },
    {
      name: 'a value table changed',
      head: [mapping('people', { fields: [base.fields[0]!, base.fields[1]!, { to: 'Employee_Type', map: { from: 'PER_ORG', values: { EMP: 'Staff', CWR: 'Contractor' } } }] })],
      expect: (d) => expect(d[0]!.fields).toEqual([{ field: 'Employee_Type', kind: 'changed', before: 'map PER_ORG', after: 'map PER_ORG', parts: ['map values'] }]),
    },
    {
      name: 'transforms added to a field',
      head: [mapping('people', { fields: [{ to: 'Last_Name', from: 'LAST_NAME', transforms: ['trim'] }, base.fields[1]!, base.fields[2]!] })],
      expect: (d) => expect(d[0]!.fields[0]).toMatchObject({ field: 'Last_Name', kind: 'changed', parts: ['transforms'] }),
    },
    {
      name: 'a guard and a lifecycle policy changed',
      head: [mapping('people', { guards: { maxDeactivations: '5%' }, lifecycle: { termination: { action: 'deactivate' } } })],
      expect: (d) => {
        expect(d[0]!.change).toBe('changed');
        expect(d[0]!.settings).toEqual([
          { path: 'lifecycle.termination', before: '(not set)', after: '{"action":"deactivate"}' },
          { path: 'guards.maxDeactivations', before: '"10%"', after: '"5%"' },
        ]);
      },
    },
    {
      name: 'a mapping added and one removed',
      head: [mapping('vendors', { target: { connection: 'zoho', module: 'Accounts' } })],
      expect: (d) => {
        expect(d.map((x) => [x.mapping, x.change, x.module])).toEqual([
          ['people', 'removed', 'Contacts'],
          ['vendors', 'added', 'Accounts'],
        ]);
        expect(d[1]!.fields.map((f) => f.kind)).toEqual(['added', 'added', 'added']);
      },
    },
  ];
  for (const c of cases) it(c.name, () => c.expect(compareMappings([base], c.head)));

  it('ignores key order and descriptions', () => {
    const reordered = mapping('people', { description: 'new words', guards: { maxDeactivations: '10%' } });
    expect(compareMappings({ mappings: [base] }, { mappings: new Map([['people', reordered]]) })[0]!.change).toBe('unchanged');
  });
});

describe('git stamp and clean-config check (real repository)', () => {
  let repo: string;
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();

  beforeAll(async () => {
    repo = await mkdtemp(join(tmpdir(), 'ml-gitops-'));
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 't@example.com');
    git('config', 'user.name', 'Test');
    await mkdir(join(repo, 'configs', 'mappings'), { recursive: true });
    await writeFile(join(repo, 'configs', 'project.yaml'), 'kind: Project\nname: one\n');
    await writeFile(join(repo, 'configs', 'mappings', 'a.yaml'), 'kind: Mapping\nname: a\n');
    await writeFile(join(repo, 'README.md'), 'hello\n');
    git('add', '.');
    git('commit', '-q', '-m', 'first');
  });
  afterAll(async () => rm(repo, { recursive: true, force: true }));

  it('reports the commit, branch and a clean tree', async () => {
    const stamp = await gitStamp(join(repo, 'configs'));
    expect(stamp.commit).toBe(git('rev-parse', 'HEAD'));
    expect(stamp.branch).toBe('main');
    expect(stamp.dirty).toBe(false);
    expect(stamp.configPath).toBe('configs');
  });

  it('a change outside the config directory does not make it dirty', async () => {
    await writeFile(join(repo, 'README.md'), 'changed\n');
    expect((await gitStamp(join(repo, 'configs'))).dirty).toBe(false);
    git('checkout', '-q', '--', 'README.md');
  });

  it('an edited or new file makes it dirty; apply refuses unless allowed', async () => {
    await writeFile(join(repo, 'configs', 'mappings', 'b.yaml'), 'kind: Mapping\nname: b\n');
    expect((await gitStamp(join(repo, 'configs'))).dirty).toBe(true);
    const err = await assertCleanConfig(join(repo, 'configs'), false).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlError);
    expect((err as MlError).code).toBe('CONFIG_DIRTY');
    expect((err as MlError).meta.files).toEqual(['configs/mappings/b.yaml']);
    expect((err as MlError).hint).toMatch(/--allow-dirty/);
    await expect(assertCleanConfig(join(repo, 'configs'), true)).resolves.toMatchObject({ dirty: true });
    await rm(join(repo, 'configs', 'mappings', 'b.yaml'));
  });

  it('outside a repository: no commit, not dirty, apply goes on', async () => {
    const plain = await mkdtemp(join(tmpdir(), 'ml-nogit-'));
    await expect(assertCleanConfig(plain, false)).resolves.toMatchObject({ commit: undefined, dirty: false });
    await rm(plain, { recursive: true, force: true });
  });

  it('materializes the config directory at an older revision without touching the tree', async () => {
    const first = git('rev-parse', 'HEAD');
    await writeFile(join(repo, 'configs', 'project.yaml'), 'kind: Project\nname: two\n');
    git('commit', '-q', '-am', 'second');
    const { dir, commit } = await materializeConfigAtRef(repo, first, 'configs');
    expect(commit).toBe(first);
    expect(await readFile(join(dir, 'project.yaml'), 'utf8')).toBe('kind: Project\nname: one\n');
    expect((await readdir(join(dir, 'mappings')))).toEqual(['a.yaml']);
    expect(await readFile(join(repo, 'configs', 'project.yaml'), 'utf8')).toBe('kind: Project\nname: two\n');
    await rm(dir, { recursive: true, force: true });
    await expect(materializeConfigAtRef(repo, 'no-such-branch', 'configs')).rejects.toMatchObject({ code: 'GIT_UNKNOWN_REF' });
  });
});
