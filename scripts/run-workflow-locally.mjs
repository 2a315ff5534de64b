#!/usr/bin/env node
// Run a GitHub Actions workflow of this repository on this machine, against the simulators.
//
//   node scripts/run-workflow-locally.mjs .github/workflows/plan.yml [--base-ref main] [--input full=true] [--keep]
//   node scripts/run-workflow-locally.mjs merge [--configs DIR] [--stale config|records] [--keep]
//
// What it does: clones this repository into a temporary directory (so `origin/<base>` exists),
// copies your working tree's configs/ and schema/ over the clone (your uncommitted edits play the
// pull request), links node_modules and dist, starts both simulators (`ml-connector sim --json`),
// passes their URLs and credentials as the workflow's secrets, and runs every `run:` step in bash
// as GitHub would. `uses:` steps (checkout, cache, artifacts, the comment) need GitHub and are
// skipped, and the report says so. `--fork` plays a pull request from a fork (no secrets). Needs
// `npm run build` first.
//
// `merge` plays the whole pull-request loop in one workspace: apply.yml by hand on main (the first
// sync), a pull request whose configs/ are `--configs DIR` (default: your working tree's), plan.yml
// on it (the reviewed plan), then the merge: apply.yml on the push to main, applying that plan (the
// steps that find and download the artifact are stood in for). `--stale config` commits another
// configuration change to main before the merge (the reviewed plan is refused); `--stale records`
// lets a day pass in PeopleSoft and a scheduled apply run before the merge (the records it touched
// are skipped, the rest applied). The state database is kept between the runs in the workspace, as
// the Actions cache keeps it on GitHub.
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    'base-ref': { type: 'string', default: 'main' },
    input: { type: 'string', multiple: true, default: [] },
    skip: { type: 'string', multiple: true, default: ['Install'] },
    keep: { type: 'boolean', default: false },
    fork: { type: 'boolean', default: false },
    configs: { type: 'string' },
    stale: { type: 'string' },
  },
});
const usage = 'usage: node scripts/run-workflow-locally.mjs <workflow.yml | plan | apply | ci | merge> [--base-ref main] [--input name=value] [--skip "Step name"] [--fork] [--configs DIR] [--stale config|records] [--keep]\n';
if (!positionals[0]) {
  process.stderr.write(usage);
  process.exit(2);
}
// A bare name means the repository's workflow of that name: `plan` → .github/workflows/plan.yml.
const named = join(repo, '.github', 'workflows', `${positionals[0]}.yml`);
const merge = positionals[0] === 'merge';
const file = merge ? named : existsSync(resolve(positionals[0])) ? positionals[0] : existsSync(named) ? named : undefined;
if (merge && values.stale !== undefined && !['config', 'records'].includes(values.stale)) {
  process.stderr.write(`--stale takes config or records, not ${values.stale}\n${usage}`);
  process.exit(2);
}
if (!file && !merge) {
  process.stderr.write(`no workflow file ${positionals[0]} (nor .github/workflows/${positionals[0]}.yml)\n${usage}`);
  process.exit(2);
}
if (!existsSync(join(repo, 'dist', 'gitops', 'workflow-local.js'))) {
  process.stderr.write('dist/ is missing: run `npm run build` first\n');
  process.exit(2);
}
const { parseWorkflow, runWorkflowLocally } = await import(join(repo, 'dist', 'gitops', 'workflow-local.js'));
const { simulatorEnv } = await import(join(repo, 'dist', 'demo', 'env.js'));

/** Start `ml-connector sim --json` and read its first line (the connection details). */
function startSimulators() {
  const child = spawn(process.execPath, [join(repo, 'bin', 'ml-connector.js'), 'sim', '--json', '--empty-zoho'], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolveInfo, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => resolveInfo({ child, info: JSON.parse(line) }));
    child.once('exit', (code) => reject(new Error(`the simulators exited early (code ${code})`)));
  });
}

const workspace = mkdtempSync(join(tmpdir(), 'ml-workflow-'));
const git = (...args) => execFileSync('git', ['-c', 'user.name=local', '-c', 'user.email=local@localhost', ...args], { cwd: workspace, encoding: 'utf8' }).trim();
let sim;
let failed = false;

/** Replace the workspace's configs/ (and schema/) with those of `from`, and commit them if they differ. */
function commitConfigs(from, message) {
  for (const dir of ['configs', 'schema']) {
    if (!existsSync(join(from, dir))) continue;
    rmSync(join(workspace, dir), { recursive: true, force: true });
    cpSync(join(from, dir), join(workspace, dir), { recursive: true });
  }
  git('add', '-A', '--', 'configs', 'schema');
  if (git('status', '--porcelain', '--', 'configs', 'schema') !== '') git('commit', '-q', '-m', message);
}

/** Run one workflow file in the workspace as `event`, and print its step report. */
async function runOne(path, o) {
  const wf = parseWorkflow(readFileSync(resolve(path), 'utf8'));
  const sha = git('rev-parse', 'HEAD');
  process.stdout.write(`\n═══ ${path} (${o.event}${o.label ? `: ${o.label}` : ''}) at ${sha.slice(0, 12)}\n`);
  const reports = await runWorkflowLocally(wf, {
    workspace,
    secrets: o.secrets,
    inputs: o.inputs ?? {},
    skip: values.skip,
    baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, ML_CONNECTOR_PROGRESS_SECONDS: process.env.ML_CONNECTOR_PROGRESS_SECONDS },
    ...(o.standIns ? { standIns: o.standIns } : {}),
    ...(o.artifacts ? { artifacts: o.artifacts } : {}),
    github: {
      base_ref: values['base-ref'],
      head_ref: o.event === 'pull_request' ? 'local' : '',
      ref: o.event === 'pull_request' ? 'refs/pull/0/merge' : `refs/heads/${values['base-ref']}`,
      sha,
      repository: 'local/ml-connector',
      server_url: 'http://localhost',
      run_id: String(Date.now()),
      run_attempt: '1',
      event_name: o.event,
      event: { pull_request: { number: 0, head: { sha, repo: { full_name: values.fork ? 'someone/ml-connector-fork' : 'local/ml-connector' } } } },
    },
  });
  process.stdout.write('\nStep report\n');
  for (const r of reports) {
    const what = { ran: 'ran', failed: `FAILED (exit ${r.exitCode})`, 'skipped-uses': `skipped: uses ${r.note} (GitHub only)`, 'skipped-if': 'skipped by its if:', 'skipped-by-user': 'skipped (--skip)', 'stand-in': `stand-in for uses ${r.note}` }[r.status];
    process.stdout.write(`  ${r.job} / ${r.step}: ${what}${r.durationMs !== undefined ? ` (${r.durationMs} ms)` : ''}\n`);
  }
  return reports.some((r) => r.status === 'failed');
}

try {
  execFileSync('git', ['clone', '-q', repo, workspace]);
  git('checkout', '-q', '-B', values['base-ref']);
  symlinkSync(join(repo, 'node_modules'), join(workspace, 'node_modules'));
  rmSync(join(workspace, 'dist'), { recursive: true, force: true });
  symlinkSync(join(repo, 'dist'), join(workspace, 'dist'));
  // Local runs never leave their files in the clone's status (apply refuses a dirty configs/ only, but keep it clean).
  execFileSync('sh', ['-c', 'printf "node_modules\ndist\n.ml-connector/\nreviewed-plan/\n*.md\n*.txt\nplan.json\n.local-*\n.runner-temp/\n" >> .git/info/exclude'], { cwd: workspace });

  sim = await startSimulators();
  // --fork: a pull request from a fork gets no secrets at all.
  const secrets = values.fork ? {} : { ...simulatorEnv(sim.info, ''), ML_CONNECTOR_STATE_KEY: 'local-run-state-key' };
  delete secrets.ML_CONNECTOR_STATE;
  const inputs = Object.fromEntries(values.input.map((kv) => {
    const [k, v = ''] = kv.split('=');
    return [k, v === 'true' ? true : v === 'false' ? false : v];
  }));
  process.stdout.write(`Running in ${workspace} against the simulators (PeopleSoft ${sim.info.peoplesoft.url}, Zoho ${sim.info.zoho.url})\n`);
  if (!merge) {
    // Your edits become the pull request's commit, as GitHub checks out a commit, never a dirty tree.
    commitConfigs(repo, 'local changes to configs/ and schema/');
    failed = await runOne(file, { event: file.includes('plan') ? 'pull_request' : 'workflow_dispatch', secrets, inputs });
  } else {
    const applyYml = join(repo, '.github', 'workflows', 'apply.yml');
    const planYml = join(repo, '.github', 'workflows', 'plan.yml');
    // 1. main as committed: the first sync, by hand.
    if (await runOne(applyYml, { event: 'workflow_dispatch', label: 'first sync on main', secrets, inputs: {} })) throw new Error('the first sync failed');
    // 2. The pull request and its plan: the plan the reviewers see (`plan --base origin/main`).
    git('update-ref', `refs/remotes/origin/${values['base-ref']}`, 'HEAD');
    git('checkout', '-q', '-b', 'pull-request');
    commitConfigs(values.configs ? resolve(values.configs) : repo, 'the pull request');
    const prHead = git('rev-parse', 'HEAD');
    if (await runOne(planYml, { event: 'pull_request', label: 'the pull request', secrets })) throw new Error('the pull request plan failed');
    const reviewed = mkdtempSync(join(tmpdir(), 'ml-reviewed-plan-'));
    cpSync(join(workspace, 'plan.json'), join(reviewed, 'plan.json'));
    process.stdout.write(`\nReviewed plan of ${prHead.slice(0, 12)}: ${reviewed}/plan.json\n`);
    git('checkout', '-q', values['base-ref']);
    // 3. What happens on main while the pull request waits.
    if (values.stale === 'config') {
      const project = join(workspace, 'configs', 'mappings', 'vendors-to-accounts.yaml');
      writeFileSync(project, readFileSync(project, 'utf8').replace(/maxDeactivations: (\d+)%/, (_, n) => `maxDeactivations: ${Number(n) + 1}%`));
      git('commit', '-q', '-am', 'another change merged to main first');
      process.stdout.write('\nMeanwhile on main: another configuration change (vendors guard) was merged.\n');
    } else if (values.stale === 'records') {
      await fetch(sim.info.peoplesoft.nextDayUrl, { method: 'POST' });
      process.stdout.write('\nMeanwhile: a day passes in PeopleSoft, and the scheduled apply runs on main.\n');
      if (await runOne(applyYml, { event: 'schedule', label: 'scheduled run before the merge', secrets, inputs: {} })) throw new Error('the scheduled apply failed');
    }
    // 4. The merge: a push to main touching configs/.
    git('merge', '-q', '--no-ff', '--no-edit', 'pull-request');
    failed = await runOne(applyYml, {
      event: 'push', label: 'the merge', secrets, inputs: {},
      standIns: { reviewed: { run_id: 'local', artifact: 'ml-connector-plan-pr0', pr: '0' } },
      artifacts: { 'ml-connector-plan-pr0': reviewed },
    });
    rmSync(reviewed, { recursive: true, force: true });
  }
  process.stdout.write(`\nWorkspace: ${workspace}${values.keep ? ' (kept)' : ''}\n`);
} finally {
  if (sim) sim.child.kill('SIGTERM');
  if (!values.keep) rmSync(workspace, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
