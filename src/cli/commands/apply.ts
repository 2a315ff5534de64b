import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { DEFAULT_CONFIG_DIR } from '../../config/index.js';
import type { RunOutcome } from '../../engine/outcome.js';
import { runReconcile } from '../../engine/run.js';
import { assertCleanConfig } from '../../gitops/stamp.js';
import { headline } from '../../plan/index.js';
import { MlError } from '../../support/errors.js';
import type { CommandContext } from '../shared/context.js';
import { addExamples, APPLY_EXAMPLES } from '../shared/help.js';
import { confirm } from '../shared/prompt.js';
import { EXIT, paint, printError, useColor } from '../output.js';
import { startProgress } from '../shared/progress.js';
import { configStamp, openCliSession, parseAsOf, printPlan, shouldMask, type ReconcileCliOptions } from '../shared/reconcile.js';

interface ApplyCliOptions extends ReconcileCliOptions {
  autoApprove?: boolean;
  allowDirty?: boolean;
}

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

/** The report for people: per mapping what was applied and what not, then one verdict line. */
function renderOutcome(r: RunOutcome, color: boolean): string {
  const c = paint(color);
  const lines: string[] = [];
  for (const m of r.mappings) {
    const applied = Object.values(m.applied).reduce((n: number, x) => n + (x ?? 0), 0);
    const extra = [m.failed ? c('red', `${m.failed} failed`) : '', m.skipped ? c('yellow', `${m.skipped} skipped`) : '', m.held ? c('yellow', `${m.held} held`) : '', m.relinked ? `${m.relinked} re-linked` : ''].filter(Boolean).join(', ');
    const state = m.status === 'failed' && m.error ? c('red', `not applied: ${m.error.message} [${m.error.code}]`)
      : m.status === 'blocked' ? c('red', `stopped by guard ${m.guard?.guard ?? ''}`)
        : `${applied} applied${extra ? ', ' + extra : ''}${m.watermarkAdvanced || m.status === 'not-run' ? '' : c('gray', ' (watermark kept: these records are retried next run)')}`;
    lines.push(`${m.name}: ${state}`);
  }
  for (const p of r.failures.slice(0, 50)) {
    lines.push(`  ${p.outcome === 'failed' ? c('red', 'failed ') : c('yellow', 'skipped')} ${p.mapping} ${p.externalId} ${p.action}: ${p.message ?? ''} ${c('gray', `[${p.code ?? ''}]`)}`);
  }
  if (r.failureCount > 50) lines.push(`  … ${r.failureCount - 50} more (ml-connector audit --run ${r.runId})`);
  const total = r.mappings.reduce((n, m) => n + Object.values(m.applied).reduce((k: number, x) => k + (x ?? 0), 0), 0);
  const verdict = r.status === 'succeeded' ? c('green', 'Apply complete')
    : r.status === 'interrupted' ? c('yellow', r.error?.code === 'APPLY_NOT_CONFIRMED' ? 'Apply cancelled' : 'Apply interrupted')
      : r.status === 'blocked' ? c('red', 'Apply stopped by a guard')
        : r.status === 'partial' ? c('yellow', 'Apply finished with problems') : c('red', 'Apply failed');
  // Writes are what the plan's cost line counted; a saved plan's records are re-read first.
  const z = r.usage.zoho;
  const calls = z.reads > 0 ? `${plural(z.calls, 'Zoho call')} (${z.writes} to write, ${z.reads} ${r.saved ? 'to re-read the records first' : 'to read for the plan'})` : plural(z.calls, 'Zoho call');
  const notApplied = r.failureCount + r.mappings.reduce((n, m) => n + m.held, 0);
  lines.push(`${verdict}: ${plural(total, 'record')} applied, ${notApplied} not; ${calls}, ${plural(z.credits, 'credit')}. Run ${r.runId}.`);
  return lines.join('\n') + '\n';
}

export function register(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('apply [plan]')
    .description('Make Zoho match the plan: a saved plan file, or a fresh plan confirmed first')
    .option('-c, --config <dir>', 'configuration directory', DEFAULT_CONFIG_DIR)
    .option('--mapping <name>', 'apply only this mapping (repeatable; without a plan file)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--auto-approve', 'apply without asking (required when not on a terminal)')
    .option('--allow-large-change', 'apply even when a guard tripped (recorded in the audit trail)')
    .option('--allow-dirty', 'apply although the configuration has uncommitted changes (default: refuse; what is applied is what is committed)')
    .option('--full', 'compare every source record (without a plan file)')
    .option('--as-of <date>', 'plan as of this date (YYYY-MM-DD) or instant (without a plan file)')
    .option('--no-mask', 'show personal data in the plan shown before asking')
    .option('--json', 'print the outcome as JSON')
    .option('--state <path>', "state database (default: the Project's state.path)")
    .action(async (file: string | undefined, o: ApplyCliOptions) => {
      if (file !== undefined && !existsSync(file)) {
        throw new MlError('PLAN_FILE_UNREADABLE', `Cannot read the plan file ${file}: there is no such file.`, {
          meta: { file },
          hint: 'Give the file `ml-connector plan --out FILE` wrote, or run `ml-connector apply` without a file to plan and confirm in one go.',
        });
      }
      const stamp = await assertCleanConfig(o.config ?? DEFAULT_CONFIG_DIR, o.allowDirty === true);
      const cli = await openCliSession(o, true);
      const abort = new AbortController();
      // Ctrl-C: finish the batches in flight (their results are committed) and start no more. A
      // second Ctrl-C finds no handler and ends the process at once, which is safe too (upserts
      // by external id: the rerun links what Zoho took, without duplicates).
      const onSignal = (): void => {
        process.stderr.write('\nStopping after the batches in flight (their results are kept); Ctrl-C again to stop at once.\n');
        abort.abort(new MlError('APPLY_INTERRUPTED', 'interrupted'));
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const progress = startProgress();
      try {
        const git = file ? {} : await configStamp(o.config ?? DEFAULT_CONFIG_DIR);
        const now = parseAsOf(o.asOf);
        const mask = shouldMask(cli.config, o);
        const outcome = await runReconcile(cli.session, {
          apply: true, trigger: process.env.GITHUB_ACTIONS ? 'github-actions' : 'cli', holder: `ml-connector apply (pid ${process.pid})`,
          ...(file ? { planFile: file } : {}),
          ...(o.mapping ? { mappings: o.mapping } : {}), ...(o.full ? { full: true } : {}),
          ...(o.allowLargeChange ? { allowLargeChange: true } : {}), ...(now !== undefined ? { now } : {}),
          ...git, ...(stamp.commit ? { gitDirty: stamp.dirty } : {}),
          signal: abort.signal,
          onProgress: (p) => progress.writing(p),
          onMapping: (e) => { if (e.phase === 'start') progress.planning(e.mapping); else progress.clear(); },
          onPlan: async (view) => {
            progress.clear();
            if (!o.json && !file) await printPlan(view, { mask });
            if (!o.json && file) process.stderr.write(`Applying the saved plan ${file} (made ${view.header.createdAt}): ${headline(view.header)}\n`);
          },
          review: async () => {
            if (o.autoApprove || file) return true;
            if (!process.stdin.isTTY) {
              throw new MlError('APPLY_NEEDS_APPROVAL', 'Not on a terminal, so there is nobody to confirm the plan.', { hint: 'Review the plan, then run again with --auto-approve (or save it with `plan --out` and apply the file).' });
            }
            process.off('SIGINT', onSignal);
            try {
              const yes = await confirm('\nApply these changes to Zoho? Only "yes" is accepted: ');
              if (!yes) process.stderr.write('Apply cancelled; nothing was written.\n');
              return yes;
            } finally {
              process.once('SIGINT', onSignal);
            }
          },
        });
        progress.end();
        if (outcome.error?.code === 'APPLY_NEEDS_APPROVAL') throw new MlError(outcome.error.code, outcome.error.message, outcome.error.hint ? { hint: outcome.error.hint } : {});
        if (o.json) process.stdout.write(JSON.stringify(outcome, null, 2) + '\n');
        else process.stdout.write(renderOutcome(outcome, useColor(process.stdout)));
        if (outcome.error && outcome.error.code !== 'APPLY_NOT_CONFIRMED') printError(new MlError(outcome.error.code, outcome.error.message, outcome.error.hint ? { hint: outcome.error.hint } : {}), false);
        ctx.setExitCode(outcome.status === 'succeeded' ? EXIT.ok : EXIT.error);
        if (outcome.status === 'failed' || outcome.status === 'partial' || outcome.status === 'blocked') {
          const { alertRun } = await import('../../ops/run-alert.js');
          await alertRun({ config: cli.config, outcome, secrets: cli.store.secrets });
        }
      } finally {
        progress.end();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await cli.close();
      }
    });
  addExamples(cmd, APPLY_EXAMPLES);
}
