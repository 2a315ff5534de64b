#!/usr/bin/env node
// Run a GitHub Actions workflow of this repository on this machine, against the simulators.
//
//   node scripts/run-workflow-locally.mjs .github/workflows/plan.yml [--base-ref main] [--input full=true] [--keep]
//
// What it does: clones this repository into a temporary directory (so `origin/<base>` exists),
// copies your working tree's configs/ and schema/ over the clone (your uncommitted edits play the
// pull request), links node_modules and dist, starts both simulators (`ml-connector sim --json`),
// passes their URLs and credentials as the workflow's secrets, and runs every `run:` step in bash
// as GitHub would. `uses:` steps (checkout, cache, artifacts, the comment) need GitHub and are
// skipped, and the report says so. `--fork` plays a pull request from a fork (no secrets). Needs
// `npm run build` first.
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, existsSync, readFileSync } from 'node:fs';
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
  },
});
const usage = 'usage: node scripts/run-workflow-locally.mjs <workflow.yml | plan | apply | ci> [--base-ref main] [--input name=value] [--skip "Step name"] [--fork] [--keep]\n';
if (!positionals[0]) {
  process.stderr.write(usage);
  process.exit(2);
}
// A bare name means the repository's workflow of that name: `plan` → .github/workflows/plan.yml.
const named = join(repo, '.github', 'workflows', `${positionals[0]}.yml`);
const file = existsSync(resolve(positionals[0])) ? positionals[0] : existsSync(named) ? named : undefined;
if (!file) {
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
let sim;
let failed = false;
try {
  execFileSync('git', ['clone', '-q', repo, workspace]);
  for (const dir of ['configs', 'schema']) {
    rmSync(join(workspace, dir), { recursive: true, force: true });
    cpSync(join(repo, dir), join(workspace, dir), { recursive: true });
  }
  // Your edits become the pull request's commit, as GitHub checks out a commit, never a dirty tree.
  execFileSync('git', ['add', '-A', '--', 'configs', 'schema'], { cwd: workspace });
  if (execFileSync('git', ['status', '--porcelain', '--', 'configs', 'schema'], { cwd: workspace, encoding: 'utf8' }).trim() !== '') {
    execFileSync('git', ['-c', 'user.name=local', '-c', 'user.email=local@localhost', 'commit', '-q', '-m', 'local changes to configs/ and schema/'], { cwd: workspace });
  }
  symlinkSync(join(repo, 'node_modules'), join(workspace, 'node_modules'));
  rmSync(join(workspace, 'dist'), { recursive: true, force: true });
  symlinkSync(join(repo, 'dist'), join(workspace, 'dist'));

  sim = await startSimulators();
  // --fork: a pull request from a fork gets no secrets at all.
  const secrets = values.fork ? {} : { ...simulatorEnv(sim.info, ''), ML_CONNECTOR_STATE_KEY: 'local-run-state-key' };
  delete secrets.ML_CONNECTOR_STATE;
  const inputs = Object.fromEntries(values.input.map((kv) => {
    const [k, v = ''] = kv.split('=');
    return [k, v === 'true' ? true : v === 'false' ? false : v];
  }));
  const wf = parseWorkflow(readFileSync(resolve(file), 'utf8'));
  process.stdout.write(`Running ${file} in ${workspace} against the simulators (PeopleSoft ${sim.info.peoplesoft.url}, Zoho ${sim.info.zoho.url})\n`);
  const reports = await runWorkflowLocally(wf, {
    workspace,
    secrets,
    inputs,
    skip: values.skip,
    baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR },
    github: {
      base_ref: values['base-ref'],
      head_ref: 'local',
      ref: 'refs/heads/local',
      sha: execFileSync('git', ['rev-parse', 'HEAD'], { cwd: workspace, encoding: 'utf8' }).trim(),
      repository: 'local/ml-connector',
      server_url: 'http://localhost',
      run_id: String(Date.now()),
      run_attempt: '1',
      event_name: file.includes('plan') ? 'pull_request' : 'workflow_dispatch',
      event: { pull_request: { number: 0, head: { sha: 'local', repo: { full_name: values.fork ? 'someone/ml-connector-fork' : 'local/ml-connector' } } } },
    },
  });
  process.stdout.write('\nStep report\n');
  for (const r of reports) {
    const what = { ran: 'ran', failed: `FAILED (exit ${r.exitCode})`, 'skipped-uses': `skipped: uses ${r.note} (GitHub only)`, 'skipped-if': 'skipped by its if:', 'skipped-by-user': 'skipped (--skip)' }[r.status];
    process.stdout.write(`  ${r.job} / ${r.step}: ${what}${r.durationMs !== undefined ? ` (${r.durationMs} ms)` : ''}\n`);
  }
  failed = reports.some((r) => r.status === 'failed');
  process.stdout.write(`\nWorkspace: ${workspace}${values.keep ? ' (kept)' : ''}\n`);
} finally {
  if (sim) sim.child.kill('SIGTERM');
  if (!values.keep) rmSync(workspace, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
