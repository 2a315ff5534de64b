import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** A GitHub Actions workflow as far as the local runner needs it. */
export interface Workflow {
  name?: string;
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

export interface Job {
  env?: Record<string, unknown>;
  steps: Step[];
}

export interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, unknown>;
  with?: Record<string, unknown>;
}

export function parseWorkflow(text: string): Workflow {
  const wf = parse(text) as Workflow;
  if (!wf || typeof wf !== 'object' || !wf.jobs) throw new Error('not a workflow: no jobs');
  return wf;
}

export interface ExprContext {
  github: Record<string, unknown>;
  secrets: Record<string, string>;
  inputs: Record<string, unknown>;
  vars: Record<string, string>;
  env: Record<string, string>;
  runner: Record<string, string>;
  steps: Record<string, { outcome: string; conclusion: string; outputs: Record<string, string> }>;
  /** Status of the job so far, for success()/failure(). */
  failed: boolean;
  workspace: string;
}

const FUNCTIONS = (ctx: ExprContext): Record<string, unknown> => ({
  always: () => true,
  success: () => !ctx.failed,
  failure: () => ctx.failed,
  cancelled: () => false,
  contains: (a: unknown, b: unknown) => (Array.isArray(a) ? a.includes(b) : String(a ?? '').toLowerCase().includes(String(b ?? '').toLowerCase())),
  startsWith: (a: unknown, b: unknown) => String(a ?? '').toLowerCase().startsWith(String(b ?? '').toLowerCase()),
  endsWith: (a: unknown, b: unknown) => String(a ?? '').toLowerCase().endsWith(String(b ?? '').toLowerCase()),
  format: (f: string, ...args: unknown[]) => f.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)] ?? '')),
  toJSON: (v: unknown) => JSON.stringify(v),
  fromJSON: (v: string) => JSON.parse(v) as unknown,
  // Enough for `hashFiles('x') != ''`: a stand-in hash when the file exists, '' when it does not.
  hashFiles: (...paths: string[]) => (paths.some((p) => existsSync(join(ctx.workspace, p))) ? 'present' : ''),
});

/**
 * Evaluate a GitHub expression (without `${{ }}`). GitHub's expression language is close enough
 * to JavaScript for what workflows use (`&&`, `||`, `==`, `!=`, `!`, property access, 'strings'
 * and the status functions) to run it as JavaScript over the same contexts. Only for this
 * repository's own workflow files: it is not a sandbox.
 */
export function evaluate(expr: string, ctx: ExprContext): unknown {
  const fns = FUNCTIONS(ctx);
  const names = ['github', 'secrets', 'inputs', 'vars', 'env', 'runner', 'steps', ...Object.keys(fns)];
  const values = [ctx.github, ctx.secrets, ctx.inputs, ctx.vars, ctx.env, ctx.runner, ctx.steps, ...Object.values(fns)];
  // Missing properties are null in GitHub, `undefined` here; both print as ''.
  const fn = new Function(...names, `return (${expr});`) as (...args: unknown[]) => unknown;
  return fn(...values);
}

/** Replace every `${{ expr }}` in `text`. */
export function interpolate(text: string, ctx: ExprContext): string {
  return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, expr: string) => {
    const v = evaluate(expr.trim(), ctx);
    return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

export function evaluateIf(condition: string | undefined, ctx: ExprContext): boolean {
  if (condition === undefined) return !ctx.failed;
  const expr = condition.trim().replace(/^\$\{\{([\s\S]*)\}\}$/, '$1');
  const usesStatus = /\b(always|failure|cancelled|success)\(\)/.test(expr);
  const value = Boolean(evaluate(expr, ctx));
  // Without a status function GitHub adds `success() &&` in front.
  return usesStatus ? value : !ctx.failed && value;
}

export type StepStatus = 'ran' | 'failed' | 'skipped-uses' | 'skipped-if' | 'skipped-by-user' | 'stand-in';

export interface StepReport {
  job: string;
  step: string;
  status: StepStatus;
  exitCode?: number;
  durationMs?: number;
  note?: string;
}

export interface RunWorkflowOptions {
  workspace: string;
  github: Record<string, unknown>;
  secrets: Record<string, string>;
  inputs?: Record<string, unknown>;
  /** Step names not to run (e.g. `Install`: node_modules is already there). */
  skip?: readonly string[];
  /** Environment the steps inherit (PATH, HOME...). */
  baseEnv?: Record<string, string | undefined>;
  /** Where step output goes; default: this process's stdout/stderr. */
  write?: (text: string) => void;
  /**
   * What `uses:` steps that need GitHub would have given, by step id: their outputs (e.g. the
   * step that finds a merged pull request's plan run), reported as stand-ins.
   */
  standIns?: Record<string, Record<string, string>>;
  /** Artifacts an `actions/download-artifact` step would download, by name: a local directory copied to its `path`. */
  artifacts?: Record<string, string>;
}

function stringifyEnv(env: Record<string, unknown> | undefined, ctx: ExprContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env ?? {})) out[k] = interpolate(String(v ?? ''), ctx);
  return out;
}

function runShell(script: string, cwd: string, env: Record<string, string | undefined>, write: (t: string) => void): Promise<number> {
  return new Promise((resolve) => {
    // What GitHub runs for `run:` on Linux without `shell:`: bash -e.
    const child = spawn('bash', ['--noprofile', '--norc', '-e', '-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => write(d.toString()));
    child.stderr.on('data', (d: Buffer) => write(d.toString()));
    child.on('close', (code) => resolve(code ?? 1));
  });
}

function readOutputs(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/**
 * Run a workflow's jobs in order on this machine: `run:` steps in bash with the workflow's
 * environment and expressions evaluated, `uses:` steps skipped (they need GitHub) and reported
 * as such. Returns one report line per step.
 */
export async function runWorkflowLocally(wf: Workflow, o: RunWorkflowOptions): Promise<StepReport[]> {
  const write = o.write ?? ((t: string) => void process.stdout.write(t));
  const reports: StepReport[] = [];
  const summary = join(o.workspace, '.local-step-summary.md');
  writeFileSync(summary, '');
  for (const [jobName, job] of Object.entries(wf.jobs)) {
    const ctx: ExprContext = {
      github: o.github, secrets: o.secrets, inputs: o.inputs ?? {}, vars: {}, env: {},
      runner: { temp: join(o.workspace, '.runner-temp'), os: 'Linux' }, steps: {}, failed: false, workspace: o.workspace,
    };
    ctx.env = { ...stringifyEnv(wf.env, ctx) };
    ctx.env = { ...ctx.env, ...stringifyEnv(job.env, ctx) };
    for (const [i, step] of job.steps.entries()) {
      const label = step.name ?? step.uses ?? step.run?.split('\n')[0] ?? `step ${i + 1}`;
      const record = (r: Omit<StepReport, 'job' | 'step'>, outputs: Record<string, string> = {}): void => {
        reports.push({ job: jobName, step: label, ...r });
        const outcome = r.status === 'failed' ? 'failure' : r.status === 'ran' ? 'success' : 'skipped';
        if (step.id) ctx.steps[step.id] = { outcome, conclusion: outcome, outputs };
      };
      if (o.skip?.includes(label)) {
        write(`\n── ${label}: skipped (asked to)\n`);
        record({ status: 'skipped-by-user' });
        continue;
      }
      if (!evaluateIf(step.if, ctx)) {
        write(`\n── ${label}: skipped (if: ${step.if ?? 'success()'})\n`);
        record({ status: 'skipped-if' });
        continue;
      }
      if (step.uses) {
        const action = step.uses.split('@')[0]!;
        const standIn = step.id !== undefined ? o.standIns?.[step.id] : undefined;
        if (standIn) {
          write(`\n── ${label}: stand-in for \`uses: ${action}\` (outputs ${JSON.stringify(standIn)})\n`);
          record({ status: 'stand-in', note: action }, standIn);
          continue;
        }
        const artifact = action === 'actions/download-artifact' ? o.artifacts?.[interpolate(String(step.with?.name ?? ''), ctx)] : undefined;
        if (artifact !== undefined) {
          const to = join(o.workspace, interpolate(String(step.with?.path ?? '.'), ctx));
          cpSync(artifact, to, { recursive: true });
          write(`\n── ${label}: stand-in for \`uses: ${action}\` (copied ${artifact} to ${to})\n`);
          record({ status: 'stand-in', note: action });
          continue;
        }
        write(`\n── ${label}: skipped, \`uses: ${step.uses.split('@')[0]}\` runs only on GitHub\n`);
        record({ status: 'skipped-uses', note: step.uses.split('@')[0]! });
        continue;
      }
      const outputFile = join(o.workspace, `.local-output-${i}`);
      writeFileSync(outputFile, '');
      const env = {
        ...o.baseEnv,
        CI: 'true',
        GITHUB_ACTIONS: 'true',
        GITHUB_WORKSPACE: o.workspace,
        GITHUB_OUTPUT: outputFile,
        GITHUB_STEP_SUMMARY: summary,
        ...ctx.env,
        ...stringifyEnv(step.env, ctx),
      };
      write(`\n── ${label}\n`);
      const started = Date.now();
      const code = await runShell(interpolate(step.run ?? '', ctx), o.workspace, env, write);
      const durationMs = Date.now() - started;
      if (code !== 0) ctx.failed = true;
      record({ status: code === 0 ? 'ran' : 'failed', exitCode: code, durationMs }, readOutputs(outputFile));
    }
  }
  appendFileSync(summary, '');
  return reports;
}
