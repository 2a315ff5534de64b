import type { Command } from 'commander';
import { addExamples } from '../shared/help.js';
import type { CommandContext } from '../shared/context.js';
import { paint, useColor } from '../output.js';
import { addStateOptions, parseLimit, printJson, withState, type StateCliOptions } from '../shared/state.js';
import { StateError } from '../../state/errors.js';
import type { RunRow } from '../../state/index.js';

function duration(r: RunRow): string {
  if (!r.finishedAt) return '';
  const s = (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000;
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

function describeRun(r: RunRow, c: ReturnType<typeof paint>): string {
  const colour = r.status === 'succeeded' ? 'green' : r.status === 'running' ? 'cyan' : r.status === 'partial' || r.status === 'interrupted' ? 'yellow' : 'red';
  const counts = Object.entries(r.counts).map(([k, v]) => `${k} ${v}`).join(', ');
  const git = r.gitCommit ? ` git ${r.gitCommit.slice(0, 12)}${r.gitDirty ? '+dirty' : ''}` : '';
  return (
    `${r.id} ${r.kind.padEnd(5)} ${c(colour, r.status.padEnd(11))} ${r.trigger}${git} ${r.startedAt}` +
    `${r.finishedAt ? ` (${duration(r)})` : ''} ${r.mappings.join(',')}` +
    `${counts ? ` [${counts}]` : ''} calls ${r.apiCalls}, credits ${r.credits}${r.error ? `\n    ${c('red', r.error)}` : ''}`
  );
}

async function showRuns(id: string | undefined, opts: StateCliOptions & { limit?: string }): Promise<void> {
  await withState(opts, { create: false }, async (store) => {
    const c = paint(useColor());
    if (id !== undefined) {
      const run = await store.getRun(id);
      if (!run) throw new StateError('STATE_RUN_NOT_FOUND', `There is no run ${id}.`, { meta: { runId: id }, hint: 'List runs with `ml-connector runs`.' });
      if (opts.json) return printJson(run);
      process.stdout.write(describeRun(run, c) + `\n    pid ${run.pid} on ${run.host}, config ${run.configDigest}, batches committed ${run.batches}\n`);
      return;
    }
    const runs = await store.listRuns({ limit: parseLimit(opts.limit, 20) });
    if (opts.json) return printJson(runs);
    for (const rid of store.opened.interruptedRuns) process.stdout.write(c('yellow', `run ${rid} was left running by a process that is gone: marked interrupted\n`));
    if (runs.length === 0) return void process.stdout.write('No runs yet.\n');
    for (const r of runs) process.stdout.write(describeRun(r, c) + '\n');
  });
}

export function register(program: Command, _ctx: CommandContext): void {
  addStateOptions(program.command('runs').description('List recent plan/apply/serve runs (newest first), or show one run.'))
    .argument('[id]', 'show only this run')
    .option('--limit <n>', 'how many runs to list', '20')
    .action((id: string | undefined, opts: StateCliOptions & { limit?: string }) => showRuns(id, opts));
  addExamples(program.commands.find((c) => c.name() === 'runs')!, ['runs', 'runs --limit 5 --json', 'runs 20261127-011328-3fa9c1']);
}
