import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { acquireApplyLock, applyPlan, makePlan, type ApplyReport } from '../../apply/index.js';
import { DEFAULT_CONFIG_DIR } from '../../config/index.js';
import { parsePlan, type Plan } from '../../plan/index.js';
import type { Lock } from '../../state/index.js';
import { MlError } from '../../support/errors.js';
import { assertCleanConfig } from '../../gitops/stamp.js';
import type { CommandContext } from '../main.js';
import { EXIT, paint, useColor } from '../output.js';
import { configStamp, openCliSession, parseAsOf, printPlan, shouldMask, type ReconcileCliOptions } from './plan.js';

interface ApplyCliOptions extends ReconcileCliOptions {
  autoApprove?: boolean;
  allowDirty?: boolean;
}

async function confirm(): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question('\nApply these changes to Zoho? Only "yes" is accepted: ');
    return answer.trim() === 'yes';
  } finally {
    rl.close();
  }
}

/** A one-line progress on a terminal (stderr); nothing when not a TTY. */
function progressLine(): { update(p: { mapping: string; done: number; total: number }): void; end(): void } {
  if (!process.stderr.isTTY) return { update() {}, end() {} };
  let shown = false;
  return {
    update(p) {
      shown = true;
      process.stderr.write(`\r\u001b[2K${p.mapping}: ${p.done}/${p.total} records written`);
    },
    end() {
      if (shown) process.stderr.write('\r\u001b[2K');
    },
  };
}

function readPlanFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'there is no such file' : (err as Error).message;
    throw new MlError('PLAN_FILE_UNREADABLE', `Cannot read the plan file ${file}: ${reason}.`, {
      meta: { file },
      hint: 'Give the file `ml-connector plan --out FILE` wrote, or run `ml-connector apply` without a file to plan and confirm in one go.',
    });
  }
}

function renderReport(r: ApplyReport, color: boolean): string {
  const c = paint(color);
  const lines: string[] = [];
  for (const m of r.mappings) {
    const extra = [m.failed ? c('red', `${m.failed} failed`) : '', m.skipped ? c('yellow', `${m.skipped} skipped`) : '', m.relinked ? `${m.relinked} re-linked` : ''].filter(Boolean).join(', ');
    lines.push(`${m.name}: ${m.applied} applied${extra ? ', ' + extra : ''}${m.watermarkAdvanced ? '' : c('gray', ' (watermark kept: these records are retried next run)')}`);
  }
  for (const p of r.problems.slice(0, 50)) {
    lines.push(`  ${p.outcome === 'failed' ? c('red', 'failed ') : c('yellow', 'skipped')} ${p.mapping} ${p.externalId} ${p.action}: ${p.message ?? ''} ${c('gray', `[${p.code ?? ''}]`)}`);
  }
  if (r.problems.length > 50) lines.push(`  … ${r.problems.length - 50} more (ml-connector audit --run ${r.runId})`);
  const total = r.mappings.reduce((n, m) => n + m.applied, 0);
  const verdict = r.ok ? c('green', 'Apply complete') : r.interrupted ? c('yellow', 'Apply interrupted') : c('red', 'Apply finished with problems');
  // A saved plan's records are re-read before writing (to skip any edited since): say so, or the
  // calls would not match the plan's cost line, which counts writes.
  const reads = r.zohoCalls - r.writeCalls;
  const calls = reads > 0 ? `${r.zohoCalls} Zoho calls (${r.writeCalls} to write, ${reads} to re-read the records first)` : `${r.zohoCalls} Zoho calls`;
  lines.push(`${verdict}: ${total} record${total === 1 ? '' : 's'} applied, ${r.problems.length} not; ${calls}, ${r.credits} credits. Run ${r.runId}.`);
  return lines.join('\n') + '\n';
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('apply [plan]')
    .description('Make Zoho match the plan: a saved plan file, or a fresh plan confirmed first')
    .option('--config <dir>', 'configuration directory', DEFAULT_CONFIG_DIR)
    .option('--mapping <name>', 'apply only this mapping (repeatable; without a plan file)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--auto-approve', 'apply without asking (required when not on a terminal)')
    .option('--allow-large-change', 'apply even when a guard tripped (recorded in the audit trail)')
    .option('--allow-dirty', 'apply although the configuration has uncommitted changes (default: refuse; what is applied is what is committed)')
    .option('--full', 'compare every source record (without a plan file)')
    .option('--as-of <date>', 'plan as of this date (YYYY-MM-DD) or instant (without a plan file)')
    .option('--no-mask', 'show personal data in the plan shown before asking')
    .option('--json', 'print the apply report as JSON')
    .option('--state <path>', "state database (default: the Project's state.path)")
    .action(async (file: string | undefined, o: ApplyCliOptions) => {
      const saved: Plan | undefined = file ? parsePlan(readPlanFile(file), file) : undefined;
      const stamp = await assertCleanConfig(o.config ?? DEFAULT_CONFIG_DIR, o.allowDirty === true);
      const cli = await openCliSession(o, true);
      const startedAt = Date.now();
      // One alert email per failed run (Project alerts.email); never fails the command itself.
      const alert = async (plan: Plan | undefined, report: ApplyReport | undefined, error: unknown): Promise<void> => {
        const { alertApply } = await import('../../ops/apply-alert.js');
        await alertApply({ config: cli.config, plan, report, error, startedAt, secrets: cli.store.secrets });
      };
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
      const progress = progressLine();
      let plan = saved;
      let lock: Lock | undefined;
      try {
        lock = await acquireApplyLock(cli.session, `ml-connector apply (pid ${process.pid})`);
        if (!plan) {
          const gitStamp = await configStamp(o.config ?? DEFAULT_CONFIG_DIR);
          const now = parseAsOf(o.asOf);
          plan = await makePlan(cli.session, {
            ...(o.mapping ? { mappings: o.mapping } : {}), ...(o.full ? { full: true } : {}),
            ...(o.allowLargeChange ? { allowLargeChange: true } : {}), ...(now !== undefined ? { now } : {}),
            ...gitStamp, signal: abort.signal,
          });
          if (!o.json) printPlan(plan, { mask: shouldMask(cli.config, o) });
          // A blocked plan is refused by applyPlan below before anything runs: no question to ask.
          if (!plan.blocked && plan.summary.changes > 0 && !o.autoApprove) {
            if (!process.stdin.isTTY) {
              throw new MlError('APPLY_NEEDS_APPROVAL', 'Not on a terminal, so there is nobody to confirm the plan.', { hint: 'Review the plan, then run again with --auto-approve (or save it with `plan --out` and apply the file).' });
            }
            if (!(await confirm())) {
              process.stderr.write('Apply cancelled; nothing was written.\n');
              ctx.setExitCode(EXIT.error);
              return;
            }
          }
        }
        const report = await applyPlan(cli.session, plan, {
          saved: saved !== undefined, lock, signal: abort.signal, onProgress: (p) => progress.update(p),
          ...(o.allowLargeChange ? { allowLargeChange: true } : {}), ...(stamp.commit ? { gitDirty: stamp.dirty } : {}),
        });
        progress.end();
        if (o.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        else process.stdout.write(renderReport(report, useColor(process.stdout)));
        ctx.setExitCode(report.ok ? EXIT.ok : EXIT.error);
        if (!report.ok) await alert(plan, report, undefined);
      } catch (err) {
        if (!(err instanceof MlError && err.code === 'APPLY_NEEDS_APPROVAL')) await alert(plan, undefined, err);
        throw err;
      } finally {
        progress.end();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await lock?.release().catch(() => undefined);
        await cli.close();
      }
    });
}
