import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Mapping } from '../src/config/types.generated.js';
import type { SourceRecord } from '../src/model/index.js';
import { renderPlanMarkdown } from '../src/plan/index.js';
import { planFixture, type FixturePlan } from './plan-harness.js';
import { buildPlanComment, COMMENT_LIMIT, PLAN_COMMENT_MARKER, planLabels } from '../src/gitops/pr-comment.js';
import { evaluate, evaluateIf, parseWorkflow, runWorkflowLocally, type ExprContext } from '../src/gitops/workflow-local.js';

const read = async (name: string): Promise<Record<string, any>> => parse(await readFile(join('.github', 'workflows', name), 'utf8')) as Record<string, any>;

describe('workflow files', () => {
  it('pin every action to a full commit SHA with a version comment', async () => {
    for (const name of ['ci.yml', 'plan.yml', 'apply.yml']) {
      const text = await readFile(join('.github', 'workflows', name), 'utf8');
      const uses = [...text.matchAll(/uses:\s*(\S+)(.*)$/gm)];
      expect(uses.length).toBeGreaterThanOrEqual(2);
      for (const [, ref, rest] of uses) {
        expect(ref, `${name}: ${ref}`).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
        expect(rest, `${name}: ${ref} needs a # vX.Y.Z comment`).toMatch(/#\s*v\d+\.\d+\.\d+/);
      }
    }
  });

  it('plan.yml: pull requests touching configs/ or schema/, read-only except the comment', async () => {
    const wf = await read('plan.yml');
    expect(wf.on.pull_request.paths).toEqual(['configs/**', 'schema/**']);
    expect(wf.permissions).toEqual({ contents: 'read' });
    expect(wf.jobs.plan.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    const script = wf.jobs.plan.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/github-script')).with.script as string;
    expect(script).toContain(PLAN_COMMENT_MARKER);
    expect(script).toContain('updateComment');
  });

  it('apply.yml: merge, schedule and dispatch; never two at once; merge and overrides behind the protected environment; state kept in the cache', async () => {
    const wf = await read('apply.yml');
    expect(Object.keys(wf.on)).toEqual(['push', 'schedule', 'workflow_dispatch']);
    expect(wf.on.push).toEqual({ branches: ['main'], paths: ['configs/**'] });
    expect(wf.concurrency).toEqual({ group: 'ml-connector-apply', 'cancel-in-progress': false });
    expect(wf.permissions).toEqual({ contents: 'read' });
    expect(wf.jobs.apply.permissions).toEqual({ contents: 'read', actions: 'read', 'pull-requests': 'read' });
    expect(wf.jobs.apply.environment).toBe("${{ (github.event_name == 'push' || inputs.allow_large_change) && 'zoho-production-approval' || 'zoho-production' }}");
    const steps = wf.jobs.apply.steps as { id?: string; name?: string; uses?: string; run?: string; if?: string; with?: Record<string, string> }[];
    expect(steps.some((s) => s.uses?.startsWith('actions/cache/restore@'))).toBe(true);
    const save = steps.find((s) => s.uses?.startsWith('actions/cache/save@'))!;
    expect(save.if).toContain('always()');
    const run = steps.find((s) => s.name === 'Apply')!.run!;
    expect(run).toContain('apply reviewed-plan/plan.json --config "$CONFIG_DIR"');
    expect(run).toContain('apply --config "$CONFIG_DIR" --auto-approve $FULL $ALLOW_LARGE_CHANGE');
    const download = steps.find((s) => s.uses?.startsWith('actions/download-artifact@'))!;
    expect(download.with).toMatchObject({ 'run-id': '${{ steps.reviewed.outputs.run_id }}', path: 'reviewed-plan' });
  });

  it('CI tests on every Node.js line package.json admits that is maintained, and on 20 while it is admitted', async () => {
    const wf = await read('ci.yml');
    const engines = JSON.parse(await readFile('package.json', 'utf8')).engines.node as string;
    expect(wf.jobs.test.strategy.matrix.node).toEqual(engines.startsWith('>=20') ? [20, 22, 24] : [22, 24]);
    for (const name of ['plan.yml', 'apply.yml']) {
      const setup = (await read(name)).jobs[name === 'plan.yml' ? 'plan' : 'apply'].steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/setup-node@'));
      expect(setup.with['node-version'], name).toBe(24);
    }
  });

  it('GitHub\'s own workflow parser (@actions/workflow-parser) accepts every workflow, and rejects a broken one', async () => {
    const { parseWorkflow: parseGitHub, convertWorkflowTemplate, NoOperationTraceWriter } = await import('@actions/workflow-parser');
    const parse = async (name: string, content: string) => {
      const result = parseGitHub({ name, content }, new NoOperationTraceWriter());
      const errors = result.context.errors.getErrors().map((e) => e.message);
      const template = result.value ? await convertWorkflowTemplate(result.context, result.value) : undefined;
      return { errors: [...errors, ...(template?.errors ?? []).map((e) => e.Message)], template };
    };
    for (const name of ['ci.yml', 'plan.yml', 'apply.yml']) {
      const { errors, template } = await parse(name, await readFile(join('.github', 'workflows', name), 'utf8'));
      expect(errors, name).toEqual([]);
      expect(template!.jobs.length, name).toBe(1);
    }
    const broken = await parse('broken.yml', 'on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.sha\n    enviroment: prod\n');
    expect(broken.errors.length).toBeGreaterThan(0);
  });

  it('apply.yml: the PostgreSQL state when ML_CONNECTOR_STATE_URL is set, the cache otherwise', async () => {
    const wf = await read('apply.yml');
    const { evaluate } = await import('../src/gitops/workflow-local.js');
    const backend = (secrets: Record<string, string>): unknown =>
      evaluate(String(wf.jobs.apply.env.ML_CONNECTOR_STATE_BACKEND).replace(/^\$\{\{|\}\}$/g, ''), { github: {}, secrets, inputs: {}, vars: {}, env: {}, runner: {}, steps: {}, failed: false, workspace: '.' });
    expect(backend({})).toBe('sqlite');
    expect(backend({ ML_CONNECTOR_STATE_URL: 'postgres://ml@db/crm' })).toBe('postgres');
    const steps = wf.jobs.apply.steps as { name: string; if?: string; env?: Record<string, string> }[];
    for (const name of ['Restore the state database', 'Decrypt the state database', 'Encrypt the state database']) {
      expect(steps.find((s) => s.name === name)!.if, name).toContain("env.ML_CONNECTOR_STATE_BACKEND == 'sqlite'");
    }
    for (const name of ['Apply', 'Run summary']) expect(steps.find((s) => s.name === name)!.env!.ML_CONNECTOR_STATE_URL).toBe('${{ secrets.ML_CONNECTOR_STATE_URL }}');
  });
});

const people: Mapping = {
  apiVersion: 'ml-connector/v1', kind: 'Mapping', name: 'employees-to-contacts',
  source: { connection: 'hcm', entity: 'employees' },
  target: { connection: 'zoho', module: 'Contacts' },
  externalId: { field: 'PeopleSoft_Employee_ID' },
  fields: [{ to: 'Last_Name', from: 'LAST_NAME' }, { to: 'Email', from: 'EMAIL' }, { to: 'Title', from: 'JOB_TITLE' }],
  lifecycle: { termination: { action: 'deactivate' } },
  deactivate: { set: { Employment_Status: 'Terminated' } },
};
const rec = (key: string, f: Record<string, string>, extra: Partial<SourceRecord> = {}): SourceRecord => ({ entity: 'employees', key, fields: { EMPLID: key, ...f }, status: 'active', hash: key, ...extra });

function fixturePlan(kind: 'changes' | 'none' | 'large'): FixturePlan {
  const records = kind === 'large'
    ? Array.from({ length: 900 }, (_, i) => rec(`K${String(i).padStart(4, '0')}`, { LAST_NAME: `Person${i}`, EMAIL: `p${i}@example.com`, JOB_TITLE: 'A rather long job title that takes room' }))
    : [
        rec('K0001', { LAST_NAME: 'Okafor', EMAIL: 'obi.okafor@example.com', JOB_TITLE: 'Analyst' }, { event: 'hire' }),
        rec('K0002', { LAST_NAME: 'Diaz', EMAIL: 'ana.diaz@example.com', JOB_TITLE: kind === 'none' ? 'Engineer' : 'Lead Engineer' }, { event: 'transfer' }),
        rec('K0003', { LAST_NAME: 'Lee', EMAIL: 'lee@example.com', JOB_TITLE: 'Analyst' }, kind === 'none' ? {} : { event: 'termination', status: 'inactive' }),
      ];
  const observed = new Map([
    ['K0002', { id: 'z2', values: { Last_Name: 'Diaz', Email: 'ana.diaz@example.com', Title: 'Engineer' } }],
    ['K0003', { id: 'z3', values: { Last_Name: 'Lee', Email: 'lee@example.com', Title: 'Analyst' } }],
  ]);
  if (kind === 'none') observed.set('K0001', { id: 'z1', values: { Last_Name: 'Okafor', Email: 'obi.okafor@example.com', Title: 'Analyst' } });
  return planFixture({ mapping: people, reason: 'test', records, observed, links: new Map() }, { createdAt: '2026-11-27T12:00:00Z' });
}

describe('plan.yml comment step (actions/github-script), against a stand-in GitHub API', () => {
  type Call = [string, unknown];
  async function runScript(existing: { id: number; user: { type: string }; body: string }[], labelsOnPr: string[], files: { comment: string; labels?: string }): Promise<Call[]> {
    const wf = await read('plan.yml');
    const script = wf.jobs.plan.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/github-script')).with.script as string;
    const dir = await mkdtemp(join(tmpdir(), 'ml-gh-script-'));
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'comment.md'), files.comment);
    if (files.labels !== undefined) await writeFile(join(dir, 'labels.txt'), files.labels);
    const calls: Call[] = [];
    const github = {
      paginate: async () => existing,
      rest: { issues: {
        listComments: () => undefined,
        updateComment: async (a: { comment_id: number; body: string }) => { calls.push(['update', [a.comment_id, a.body]]); },
        createComment: async (a: { body: string }) => { calls.push(['create', a.body]); },
        listLabelsOnIssue: async () => ({ data: labelsOnPr.map((name) => ({ name })) }),
        removeLabel: async (a: { name: string }) => { calls.push(['remove', a.name]); },
        addLabels: async (a: { labels: string[] }) => { calls.push(['add', a.labels]); },
      } },
    };
    const { createRequire } = await import('node:module');
    const req = createRequire(import.meta.url);
    const fsInDir = { ...req('node:fs'), readFileSync: (p: string, e: BufferEncoding) => req('node:fs').readFileSync(join(dir, p), e), existsSync: (p: string) => existsSync(join(dir, p)) };
    const fn = new Function('github', 'context', 'core', 'require', `return (async () => {${script}})();`) as (...a: unknown[]) => Promise<void>;
    try {
      await fn(github, { repo: { owner: 'o', repo: 'r' }, issue: { number: 5 } }, { warning: (m: string) => calls.push(['warn', m]) }, (m: string) => (m === 'fs' ? fsInDir : req(m)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return calls;
  }

  it('edits the bot comment that carries the marker, and swaps our labels', async () => {
    const calls = await runScript(
      [{ id: 1, user: { type: 'User' }, body: `quoting ${PLAN_COMMENT_MARKER}` }, { id: 7, user: { type: 'Bot' }, body: `${PLAN_COMMENT_MARKER}\nold plan` }],
      ['no-changes', 'bug'],
      { comment: `${PLAN_COMMENT_MARKER}\nnew plan`, labels: 'changes\ndeactivations\n' },
    );
    expect(calls).toEqual([['update', [7, `${PLAN_COMMENT_MARKER}\nnew plan`]], ['remove', 'no-changes'], ['add', ['changes', 'deactivations']]]);
  });

  it('creates the comment the first time; no labels file adds none', async () => {
    const calls = await runScript([], [], { comment: `${PLAN_COMMENT_MARKER}\nfirst` });
    expect(calls).toEqual([['create', `${PLAN_COMMENT_MARKER}\nfirst`]]);
  });
});

describe('pull-request comment', () => {
  it('a plan with changes: marker first, the plan\'s own Markdown with one footer, labels changes + deactivations', async () => {
    const plan = fixturePlan('changes');
    const planMarkdown = await renderPlanMarkdown(plan.view, { mask: true, planUrl: 'https://github.com/o/r/actions/runs/1' });
    const body = buildPlanComment({ planMarkdown, fullPlan: true, commit: 'abcdef0123456789', runUrl: 'https://github.com/o/r/actions/runs/1' });
    expect(body.startsWith(PLAN_COMMENT_MARKER)).toBe(true);
    expect(body).toContain('**1 hire, 1 termination, 1 transfer → 1 to create, 1 to update, 1 to deactivate**');
    expect(body).toContain('| employees-to-contacts | Contacts | 1 | 1 | 1 | 0 | 0 | every record |');
    expect(body).toContain('K0001');
    expect(body).not.toContain('obi.okafor@example.com');
    expect(body).not.toContain('Okafor');
    expect(body.match(/<sub>/g)).toHaveLength(1);
    expect(body).toContain('[full plan and workflow run](https://github.com/o/r/actions/runs/1)');
    expect(planLabels(plan.header)).toEqual(['changes', 'deactivations']);
  });

  it('no changes: labelled no-changes', async () => {
    const plan = fixturePlan('none');
    expect(plan.header.summary.changes).toBe(0);
    expect(planLabels(plan.header)).toEqual(['no-changes']);
    expect(buildPlanComment({ planMarkdown: await renderPlanMarkdown(plan.view, { mask: true }), fullPlan: true })).toContain('**No changes: Zoho already matches PeopleSoft**');
  });

  it('a huge plan stays under GitHub\'s comment limit, its comparison included', async () => {
    const plan = fixturePlan('large');
    const body = buildPlanComment({ planMarkdown: await renderPlanMarkdown(plan.view, { mask: true, preamble: `#### Configuration change\n\n${'| x | y |\n'.repeat(4_000)}` }), fullPlan: true });
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(body.startsWith(PLAN_COMMENT_MARKER)).toBe(true);
    expect(body).toContain('the configuration comparison is cut here');
  });

  it('a failed plan and an offline run say so, with a footer of their own', () => {
    const body = buildPlanComment({ failure: 'error Zoho refused the refresh token [ZOHO_REAUTH_REQUIRED]', offline: true, commit: 'abcdef0123456789' });
    expect(body).toContain('**The plan could not be made.**');
    expect(body).toContain('ZOHO_REAUTH_REQUIRED');
    expect(body).toContain('pull requests from forks get no secrets');
    expect(body.match(/<sub>/g)).toHaveLength(1);
  });
});

describe('local workflow runner', () => {
  const ctx = (over: Partial<ExprContext> = {}): ExprContext => ({ github: { base_ref: 'main' }, secrets: { A: 'x' }, inputs: { full: true }, vars: {}, env: {}, runner: {}, steps: { plan: { outcome: 'success', conclusion: 'success', outputs: { code: '2' } } }, failed: false, workspace: '/nonexistent', ...over });

  it('evaluates the expressions the workflows use', () => {
    expect(evaluate("inputs.full && '--full' || ''", ctx())).toBe('--full');
    expect(evaluate("inputs.full && '--full' || ''", ctx({ inputs: {} }))).toBe('');
    expect(evaluateIf("steps.plan.outputs.code != '0'", ctx())).toBe(true);
    expect(evaluateIf("steps.plan.outputs.code != '0'", ctx({ failed: true }))).toBe(false);
    expect(evaluateIf("always() && hashFiles('comment.md') != ''", ctx({ failed: true }))).toBe(false);
    expect(evaluateIf('failure()', ctx({ failed: true }))).toBe(true);
  });

  let ws: string;
  beforeAll(async () => { ws = await mkdtemp(join(tmpdir(), 'ml-wf-')); });
  afterAll(async () => rm(ws, { recursive: true, force: true }));

  it('the local runner takes a workflow by name, and says so when there is none', () => {
    const r = spawnSync(process.execPath, ['scripts/run-workflow-locally.mjs', 'no-such-workflow'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no workflow file no-such-workflow (nor .github/workflows/no-such-workflow.yml)');
    expect(r.stderr).toContain('<workflow.yml | plan | apply | ci | merge>');
  });

  it('runs run: steps in bash with env, outputs and if:, and skips uses: steps', async () => {
    const wf = parseWorkflow(`
jobs:
  one:
    env: { WHO: "\${{ github.base_ref }}" }
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
      - id: a
        run: echo "code=3" >> "$GITHUB_OUTPUT"; echo "hello $WHO $SECRET" > out.txt
        env: { SECRET: "\${{ secrets.A }}" }
      - name: Only when a said 3
        if: steps.a.outputs.code == '3'
        run: echo "summary" >> "$GITHUB_STEP_SUMMARY"; false
      - name: Skipped after a failure
        run: echo never > never.txt
      - name: Always
        if: always()
        run: echo yes > always.txt
`);
    const output: string[] = [];
    const reports = await runWorkflowLocally(wf, { workspace: ws, github: { base_ref: 'main' }, secrets: { A: 'sekrit' }, baseEnv: { PATH: process.env.PATH }, write: (t) => output.push(t) });
    expect(reports.map((r) => r.status)).toEqual(['skipped-uses', 'ran', 'failed', 'skipped-if', 'ran']);
    expect(await readFile(join(ws, 'out.txt'), 'utf8')).toBe('hello main sekrit\n');
    expect(existsSync(join(ws, 'never.txt'))).toBe(false);
    expect(existsSync(join(ws, 'always.txt'))).toBe(true);
    expect(output.join('')).toContain('`uses: actions/checkout` runs only on GitHub');
  });
});

/**
 * The pull request's base: the branch this checkout is on, so the comparison is "your uncommitted
 * configs/ against what the branch committed" (on main: main), not against whatever main holds
 * while a branch is in review. A detached checkout compares with main.
 */
async function baseBranch(): Promise<string> {
  const { execFileSync } = await import('node:child_process');
  const name = execFileSync('git', ['rev-parse', '--abbrev-ref', 'HEAD'], { encoding: 'utf8' }).trim();
  return name === 'HEAD' || name === '' ? 'main' : name;
}

async function runLocally(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['scripts/run-workflow-locally.mjs', ...args], { env: { ...process.env, NO_COLOR: '1', ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, out };
}

describe('scripts/run-workflow-locally.mjs', () => {
  /** configs/ of a pull request: contacts' titles upper-cased (every contact changes). */
  async function pullRequestConfigs(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'ml-pr-configs-'));
    cpSync('configs', join(dir, 'configs'), { recursive: true });
    const file = join(dir, 'configs', 'mappings', 'employees-to-contacts.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('{ to: Title, from: JOB_TITLE }', '{ to: Title, from: JOB_TITLE, transforms: [upper] }'));
    return dir;
  }

  it('merge → apply of the reviewed plan: records edited in Zoho since the review are skipped, the rest applied; state kept and encrypted', async () => {
    const pr = await pullRequestConfigs();
    // Progress lines every 50 ms instead of 5 s: a CI log shows what a long run is doing.
    const { code, out } = await runLocally(['merge', '--configs', pr, '--stale', 'records', '--keep'], { ML_CONNECTOR_PROGRESS_SECONDS: '0.05' });
    await rm(pr, { recursive: true, force: true });
    const workspace = /Workspace: (\S+)/.exec(out)![1]!;
    try {
      // The first sync, the reviewed plan, a scheduled run meanwhile, then the merge.
      expect(out).toMatch(/apply\.yml \(workflow_dispatch: first sync on main\)[\s\S]*Apply complete: 322 records applied, 0 not/);
      expect(out).toMatch(/^planning (vendors-to-accounts|employees-to-contacts): reading PeopleSoft and Zoho/m);
      expect(out).toMatch(/plan\.yml \(pull_request: the pull request\)[\s\S]*apply\.yml \(schedule: scheduled run before the merge\)[\s\S]*Apply complete: \d+ records applied, 0 not/);
      const merge = out.slice(out.indexOf('(push: the merge)'));
      expect(merge).toContain('apply / Find the reviewed plan: stand-in for uses actions/github-script');
      expect(merge).toContain('apply / Download the reviewed plan: stand-in for uses actions/download-artifact');
      expect(merge).toContain('Applying the saved plan reviewed-plan/plan.json');
      expect(merge).toMatch(/123 by the mapping change → 123 to update/);
      // The scheduled run touched the day's transfer and termination: skipped, named, retried next run.
      expect(merge).toMatch(/skipped employees-to-contacts \d+ update: changed in Zoho since the plan was made .*\[RECORD_CHANGED_SINCE_PLAN\]/);
      expect(merge).toMatch(/Apply finished with problems: 121 records applied, 2 not/);
      expect(code).toBe(1);
      for (const step of ['Decrypt the state database', 'Validate', 'Run summary', 'Encrypt the state database', 'Write the offline stats']) expect(merge).toContain(`apply / ${step}: ran`);
      expect(merge).toContain('apply / Save the state database: skipped: uses actions/cache/save (GitHub only)');
      expect(existsSync(join(workspace, '.ml-connector', 'state.db.enc'))).toBe(true);
      // The offline stats a fork's pull request reads: counts, no keys, no personal data.
      const stats = await readFile(join(workspace, '.ml-connector', 'offline-stats.json'), 'utf8');
      expect(JSON.parse(stats).mappings['employees-to-contacts'].records).toBeGreaterThan(100);
      expect(stats).not.toMatch(/@|1000\d\d|SHARE-/);
      expect(await readFile(join(workspace, '.local-step-summary.md'), 'utf8')).toMatch(/## ml-connector apply[\s\S]*apply +partial/);
    } finally {
      await rm(workspace, { recursive: true, force: true });
    }
  }, 120_000);

  it('merge → apply refuses a reviewed plan made from a configuration that is no longer the merged one', async () => {
    const pr = await pullRequestConfigs();
    const { code, out } = await runLocally(['merge', '--configs', pr, '--stale', 'config']);
    await rm(pr, { recursive: true, force: true });
    const merge = out.slice(out.indexOf('(push: the merge)'));
    expect(merge).toContain('The configuration changed since this plan was made; it cannot be applied. [PLAN_CONFIG_CHANGED]');
    expect(merge).toMatch(/Apply failed: 0 records applied/);
    expect(merge).toContain('apply / Apply: FAILED (exit 1)');
    expect(code).toBe(1);
  }, 120_000);

  it('plan.yml for a fork\'s pull request: no secrets, an offline plan, no comment', async () => {
    const { code, out } = await runLocally(['.github/workflows/plan.yml', '--fork', '--keep', '--base-ref', await baseBranch()]);
    expect(code, out.slice(-2000)).toBe(0);
    expect(out).toContain('plan / Plan: ran');
    expect(out).toContain('plan / Update the plan comment and labels: skipped by its if:');
    const workspace = /Workspace: (\S+)/.exec(out)![1]!;
    try {
      const comment = await readFile(join(workspace, 'comment.md'), 'utf8');
      expect(comment).toContain('pull requests from forks get no secrets');
      expect(comment).toContain('No mapping changed.');
      expect(existsSync(join(workspace, 'plan.json'))).toBe(false);
    } finally {
      await rm(workspace, { recursive: true, force: true });
    }
  }, 60_000);

  it('runs plan.yml\'s shell steps against the simulators and builds the comment', async () => {
    const base = await baseBranch();
    const { code, out } = await runLocally(['.github/workflows/plan.yml', '--keep', '--base-ref', base]);
    expect(code, out.slice(-2000)).toBe(0);
    expect(out).toContain('plan / Validate: ran');
    expect(out).toContain('plan / Plan: ran');
    expect(out).toContain('plan / Build the comment: ran');
    expect(out).toContain('plan / Update the plan comment and labels: skipped: uses actions/github-script (GitHub only)');
    const workspace = /Workspace: (\S+)/.exec(out)![1]!;
    try {
      const comment = await readFile(join(workspace, 'comment.md'), 'utf8');
      expect(comment.startsWith(PLAN_COMMENT_MARKER)).toBe(true);
      expect(comment).toContain(`### Configuration change against \`origin/${base}\``);
      // The headline first; the firm's people in two mappings into Contacts (those who left before the first sync are not created).
      expect(comment).toMatch(/\*\*[^*]+ → [\d,]+ to create\*\*/);
      expect(comment).toMatch(/\| employees-to-contacts \| Contacts \| \d{3} \| 0 \| 0 \| 0 \| 0 \| every record \|/);
      expect(comment).toMatch(/\| contractors-to-contacts \| Contacts \| \d \| 0 \| 0 \| 0 \| 0 \| every record \|/);
      expect(comment.match(/<sub>/g)).toHaveLength(1);
      expect(comment.length).toBeLessThanOrEqual(COMMENT_LIMIT);
      // The local run starts Zoho empty (`sim --empty-zoho`): nothing to deactivate.
      expect(await readFile(join(workspace, 'labels.txt'), 'utf8')).toBe('changes\n');
    } finally {
      await rm(workspace, { recursive: true, force: true });
    }
  }, 60_000);
});
