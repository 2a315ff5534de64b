import type { Command } from 'commander';
import { addExamples } from '../shared/help.js';
import type { CommandContext } from '../shared/context.js';
import { paint, useColor } from '../output.js';
import { addStateOptions, parseLimit, printJson, withState, type StateCliOptions } from '../shared/state.js';
import { StateError } from '../../state/errors.js';
import type { AuditOutcome, AuditQuery } from '../../state/index.js';

interface AuditOptions extends StateCliOptions {
  run?: string;
  mapping?: string;
  id?: string;
  since?: string;
  outcome?: string;
  limit?: string;
}

async function showAudit(opts: AuditOptions): Promise<void> {
  const query: AuditQuery = { limit: parseLimit(opts.limit, 200) };
  if (opts.run !== undefined) query.runId = opts.run;
  if (opts.mapping !== undefined) query.mapping = opts.mapping;
  if (opts.id !== undefined) query.externalId = opts.id;
  if (opts.since !== undefined) query.since = opts.since;
  if (opts.outcome !== undefined) {
    if (!['applied', 'failed', 'skipped'].includes(opts.outcome)) {
      throw new StateError('CLI_INVALID_OPTION', `--outcome must be applied, failed or skipped (got "${opts.outcome}").`, { meta: { outcome: opts.outcome } });
    }
    query.outcome = opts.outcome as AuditOutcome;
  }
  await withState(opts, { create: false }, async (store) => {
    const rows = await store.queryAudit(query);
    if (opts.json) return printJson(rows);
    if (rows.length === 0) return void process.stdout.write('No audit rows match.\n');
    const c = paint(useColor());
    for (const r of rows) {
      const outcome = r.outcome === 'applied' ? c('green', r.outcome) : r.outcome === 'failed' ? c('red', r.outcome) : c('yellow', r.outcome);
      const what = `${r.action}${r.event ? ` (${r.event})` : ''}`;
      const error = r.errorCode ? ` ${c('red', r.errorCode)}${r.errorMessage ? `: ${r.errorMessage}` : ''}` : '';
      const large = r.allowLargeChange ? c('yellow', ' [--allow-large-change]') : '';
      process.stdout.write(
        `${r.at} ${c('gray', r.runId)} ${r.mapping}/${r.externalId}${r.zohoId ? ` → ${r.zohoId}` : ''} ${what} ${outcome}` +
          `${r.fields.length ? ` fields: ${r.fields.join(', ')}` : ''}${error}${large}\n`,
      );
    }
    if (rows.length === query.limit) process.stdout.write(c('gray', `(the most recent ${rows.length}; raise --limit for more)\n`));
  });
}

export function register(program: Command, _ctx: CommandContext): void {
  addStateOptions(
    program
      .command('audit')
      .description('Show the audit trail: per record and run, the action, lifecycle event, field names changed and outcome (values are never stored).'),
  )
    .option('--run <id>', 'only this run')
    .option('--mapping <name>', 'only this mapping')
    .option('--id <externalId>', 'only this external id (EMPLID, vendor key)')
    .option('--since <date>', 'from this date or time (2026-11-01, 2026-11-01T08:00:00Z) or duration back (24h, 7d)')
    .option('--outcome <outcome>', 'applied, failed or skipped')
    .option('--limit <n>', 'at most this many of the most recent rows', '200')
    .action((opts: AuditOptions) => showAudit(opts));
  addExamples(program.commands.find((c) => c.name() === 'audit')!, [
    'audit --since 24h',
    'audit --run 20261127-011328-3fa9c1 --outcome failed',
    'audit --mapping employees-to-contacts --id KU0042 --json',
  ]);
}
