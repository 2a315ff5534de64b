import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { DEFAULT_CONFIG_DIR, loadValidConfig } from '../../config/index.js';
import { loadPlan } from '../../plan/index.js';
import { MlError } from '../../support/errors.js';
import type { CommandContext } from '../shared/context.js';
import { addExamples } from '../shared/help.js';
import { printPlan, shouldMask } from '../shared/reconcile.js';

interface ShowCliOptions {
  markdown?: boolean;
  json?: boolean;
  mask?: boolean;
  planUrl?: string;
  config?: string;
}

/** Masking as `plan` decides it; the Project's setting is read when the configuration is at hand (a plan can be shown without it). */
async function maskFor(o: ShowCliOptions): Promise<boolean> {
  const dir = o.config ?? DEFAULT_CONFIG_DIR;
  const config = o.mask !== false && existsSync(dir) ? await loadValidConfig(dir).catch(() => undefined) : undefined;
  return shouldMask(config, o);
}

export function register(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('show <plan>')
    .description('Show a saved plan (from `plan --out`) exactly as `plan` printed it: text, --markdown or --json')
    .option('--markdown', 'print it as Markdown for a pull-request comment (personal data masked)')
    .option('--json', 'print the plan file as JSON (schema/plan.schema.json)')
    .option('--no-mask', 'show personal data the plan file holds (`before` values of personal fields are kept only as digests)')
    .option('--plan-url <url>', 'with --markdown: where the full plan is, linked where records are cut')
    .option('-c, --config <dir>', 'configuration directory, read only for the Project\'s maskPersonalData', DEFAULT_CONFIG_DIR)
    .action(async (file: string, o: ShowCliOptions) => {
      if (!existsSync(file)) {
        throw new MlError('PLAN_FILE_UNREADABLE', `Cannot read the plan file ${file}: there is no such file.`, { meta: { file }, hint: 'Give a file `ml-connector plan --out FILE` wrote.' });
      }
      // Checked like apply checks it (schema, fingerprints): what is shown is what would be applied.
      const view = await loadPlan(file);
      await printPlan(view, { mask: await maskFor(o), ...(o.json ? { json: true } : {}), ...(o.markdown ? { markdown: true } : {}), ...(o.planUrl ? { planUrl: o.planUrl } : {}) });
      ctx.setExitCode(0);
    });
  addExamples(cmd, [
    'show plan.json                               # as `plan` printed it',
    'show plan.json --markdown --plan-url "$RUN_URL" > comment.md',
    'show plan.json --json | jq \'.summary\'',
  ], 'Exit status: 0 when shown, 1 when the plan file is unreadable or was changed after it was written.');
}
