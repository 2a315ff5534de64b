import type { Command } from 'commander';
import { DEFAULT_CONFIG_DIR, loadConfig, type ConfigIssue } from '../../config/index.js';
import type { CommandContext } from '../shared/context.js';
import { EXIT, paint, useColor } from '../output.js';
import { addExamples } from '../shared/help.js';

interface ValidateOptions {
  config: string;
  json?: boolean;
  strict?: boolean;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function formatLine(i: ConfigIssue, c: ReturnType<typeof paint>): string {
  const where = i.line > 0 ? `${i.file}:${i.line}:${i.column}` : i.file;
  const severity = i.severity === 'error' ? c('red', 'error') : c('yellow', 'warning');
  return `${c('bold', where)} ${severity} ${i.message} ${c('gray', `[${i.code}]`)}`;
}

/** `ml-connector validate`: every problem of the configuration at once, with file:line:col. */
export function register(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('validate')
    .description('Check the configuration (YAML syntax, schemas, references, secrets, cron, time zones) and report every issue with file:line:col')
    .option('-c, --config <dir>', 'configuration directory', DEFAULT_CONFIG_DIR)
    .option('--json', 'print { valid, issues, files, durationMs } as JSON (schema/output/validate.schema.json)')
    .option('--strict', 'fail on warnings too: unset environment variables, including the credentials (passwords, client secrets, tokens) a command would need')
    .action(async (opts: ValidateOptions) => {
      // --strict asks whether this environment can run: unset credential variables count too.
      const result = await loadConfig(opts.config, { credentialEnv: opts.strict === true });
      const errors = result.issues.filter((i) => i.severity === 'error').length;
      const warnings = result.issues.length - errors;
      const valid = errors === 0 && (opts.strict !== true || warnings === 0);
      ctx.setExitCode(valid ? EXIT.ok : EXIT.error);
      if (opts.json === true) {
        const issues = result.issues.map(({ file, line, column, path, code, severity, message }) => ({ file, line, column, path, code, severity, message }));
        process.stdout.write(`${JSON.stringify({ valid, issues, files: result.files, durationMs: result.durationMs }, null, 2)}\n`);
        return;
      }
      const c = paint(useColor(process.stdout));
      for (const issue of result.issues) process.stdout.write(`${formatLine(issue, c)}\n`);
      const counts = `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
      const files = plural(result.files.length, 'file');
      const time = `${Math.round(result.durationMs)} ms`;
      const verdict = valid ? c('green', `✔ ${opts.config} is valid`) : c('red', `✖ ${opts.config} is not valid`);
      const strictNote = !valid && errors === 0 ? ' (--strict: warnings fail)' : '';
      process.stdout.write(`${verdict}: ${counts} in ${files}, checked in ${time}${strictNote}\n`);
    });
  addExamples(cmd, [
    'validate                                     # configs/, as CI runs it on a pull request (no secrets needed)',
    'validate -c configs --strict                 # before a run: every variable, credentials included, is set',
    "validate --json | jq '.issues[] | select(.severity == \"error\")'",
  ], 'Exit status: 0 when valid (warnings allowed unless --strict), 1 when not.');
}
