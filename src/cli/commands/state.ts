import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { addExamples } from '../shared/help.js';
import type { CommandContext } from '../shared/context.js';
import { EXIT, paint, useColor } from '../output.js';
import { addStateOptions, describeLock, printJson, readImplicitProjectState, withState, type StateCliOptions } from '../shared/state.js';
import { StateError } from '../../state/errors.js';
import { createLogger } from '../../support/log.js';

function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

async function showState(opts: StateCliOptions & { check?: boolean }, ctx: CommandContext): Promise<void> {
  await withState(opts, { create: false }, async (store) => {
    const stats = await store.stats();
    const watermarks = await store.listWatermarks();
    const locks = await store.listLocks();
    const runs = await store.listRuns({ limit: 5 });
    const integrity = opts.check ? await store.checkIntegrity() : undefined;
    const healthy = integrity === undefined || (integrity.length === 1 && integrity[0] === 'ok');
    if (!healthy) ctx.setExitCode(EXIT.error);
    if (opts.json) {
      printJson({ ...stats, interruptedOnOpen: store.opened.interruptedRuns, watermarks, locks, recentRuns: runs, ...(integrity ? { integrity } : {}) });
      return;
    }
    const c = paint(useColor());
    const size = stats.backend === 'sqlite' ? `${formatBytes(stats.sizeBytes)} + ${formatBytes(stats.walBytes)} WAL` : `PostgreSQL, ${formatBytes(stats.sizeBytes)}`;
    const lines = [
      `${c('bold', 'State')} ${stats.path} (schema v${stats.schemaVersion}, ${size})`,
      `  ${Object.entries(stats.rows).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    ];
    for (const id of store.opened.interruptedRuns) lines.push(c('yellow', `  run ${id} was left running by a process that is gone: marked interrupted`));
    lines.push(c('bold', 'Watermarks'));
    if (watermarks.length === 0) lines.push('  none (the next run reconciles in full)');
    for (const w of watermarks) lines.push(`  ${w.mapping}: cursor ${w.cursor}, config ${w.configDigest.slice(0, 12)}, updated ${w.updatedAt}${w.lastFullAt ? `, last full ${w.lastFullAt}` : ''}`);
    lines.push(c('bold', 'Locks'));
    if (locks.length === 0) lines.push('  none');
    for (const l of locks) lines.push(`  ${l.staleReason ? c('yellow', describeLock(l)) : describeLock(l)}`);
    if (locks.some((l) => l.staleReason)) lines.push('  A stale lock is taken over by the next apply; `ml-connector state unlock` removes it now.');
    lines.push(c('bold', 'Recent runs'));
    if (runs.length === 0) lines.push('  none');
    for (const r of runs) lines.push(`  ${r.id} ${r.kind} ${r.status} (${r.trigger}) started ${r.startedAt}`);
    if (integrity) lines.push(c('bold', 'Integrity'), `  ${healthy ? c('green', 'ok') : c('red', integrity.join('\n  '))}`);
    process.stdout.write(lines.join('\n') + '\n');
  });
}

async function exportStateFile(file: string | undefined, opts: StateCliOptions): Promise<void> {
  await withState(opts, { create: false }, async (store) => {
    const data = await store.export();
    const text = JSON.stringify(data, null, 2) + '\n';
    if (file === undefined || file === '-') {
      process.stdout.write(text);
      return;
    }
    // Links and snapshots hold personal data (names, emails): owner-only, like the database.
    writeFileSync(file, text, { mode: 0o600 });
    const links = data.mappings.reduce((n, m) => n + m.links.length, 0);
    const summary = { file, mappings: data.mappings.length, links, runs: data.runs.length, audit: data.audit.length, secretsOmitted: data.secretsOmitted };
    if (opts.json) printJson(summary);
    else process.stdout.write(`Exported ${links} links of ${data.mappings.length} mappings, ${data.runs.length} runs and ${data.audit.length} audit rows to ${file} (secrets are never exported: ${data.secretsOmitted} left out).\n`);
  });
}

async function importStateFile(file: string, opts: StateCliOptions & { force?: boolean }): Promise<void> {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new StateError('STATE_IMPORT_INVALID', `Cannot read ${file} as JSON (${(err as Error).message}).`, { meta: { file }, hint: 'Import only files written by `ml-connector state export`.', cause: err });
  }
  await withState(opts, { create: true }, async (store) => {
    const stats = await store.stats();
    if (!opts.force && (stats.rows.links > 0 || stats.rows.runs > 0)) {
      throw new StateError('STATE_NOT_EMPTY', `The state database ${store.path} already holds ${stats.rows.links} links and ${stats.rows.runs} runs; import replaces them.`, {
        meta: { path: store.path, links: stats.rows.links, runs: stats.rows.runs },
        hint: 'Add --force to replace them (secrets are kept), or import into a new --state file.',
      });
    }
    await store.import(data);
    const after = await store.stats();
    if (opts.json) printJson({ imported: true, path: store.path, rows: after.rows });
    else process.stdout.write(`Imported into ${store.path}: ${after.rows.links} links, ${after.rows.runs} runs, ${after.rows.audit} audit rows (secrets kept as they were).\n`);
  });
}

async function unlockState(name: string, opts: StateCliOptions & { force?: boolean }): Promise<void> {
  await withState(opts, { create: false }, async (store) => {
    const lock = await store.inspectLock(name);
    if (!lock) {
      if (opts.json) printJson({ lock: name, held: false });
      else process.stdout.write(`No ${name} lock is held on ${store.path}.\n`);
      return;
    }
    if (!lock.staleReason && !opts.force) {
      throw new StateError('STATE_LOCK_ALIVE', `The ${name} lock looks alive: ${describeLock(lock)}.`, {
        meta: { ...lock },
        hint: 'Breaking it would let two applies write at once. Wait for it, or add --force if you are sure that process is gone (for example a machine that was switched off).',
      });
    }
    const broken = await store.breakLock(name);
    if (opts.json) printJson({ lock: name, held: true, broken: true, was: broken });
    else process.stdout.write(`Broke the ${name} lock. It was ${describeLock(broken ?? lock)}.\n`);
  });
}

async function pruneState(opts: StateCliOptions & { olderThan: string }): Promise<void> {
  await withState(opts, { create: false }, async (store) => {
    const pruned = await store.pruneHistory(opts.olderThan);
    if (opts.json) printJson(pruned);
    else process.stdout.write(`Deleted ${pruned.runs} runs, ${pruned.audit} audit rows and ${pruned.webhookEvents} webhook events from before ${pruned.before}.\n`);
  });
}

interface MigrateCliOptions {
  from: string;
  to: string;
  config?: string;
  masterKeyFile?: string;
  toMasterKeyFile?: string;
  force?: boolean;
  json?: boolean;
}

async function migrateStateCommand(opts: MigrateCliOptions): Promise<void> {
  const project = await readImplicitProjectState(opts);
  const { migrateState } = await import('../../engine/state-migrate.js');
  const logger = createLogger({ level: 'warn', format: 'text' });
  const report = await migrateState({
    from: opts.from, to: opts.to, project, logger,
    ...(opts.masterKeyFile ? { masterKeyFile: opts.masterKeyFile } : {}),
    ...(opts.toMasterKeyFile ? { toMasterKeyFile: opts.toMasterKeyFile } : {}),
    ...(opts.force ? { force: true } : {}),
  });
  if (opts.json) {
    printJson(report);
    return;
  }
  const rows = Object.entries(report.rows).map(([t, n]) => `${t} ${n}`).join(', ');
  process.stdout.write(`Migrated ${report.from} → ${report.to}: ${rows}.\n` +
    `Secrets ${report.secretsReencrypted ? 're-encrypted under the new master key' : 'copied as they were (same master key)'}. The source is unchanged; point the Project's state settings at the target to use it.\n`);
}

export function register(program: Command, ctx: CommandContext): void {
  const state = program.command('state').description('Inspect, manage and move the state database (links, watermarks, runs, locks; migrate between SQLite and PostgreSQL).');
  addStateOptions(state.command('show').description('Show the state database: sizes, watermarks, locks (stale ones flagged), recent runs.'))
    .option('--check', 'also run an integrity check (exit 1 if it finds damage)')
    .action((opts: StateCliOptions & { check?: boolean }) => showState(opts, ctx));
  addExamples(state.commands.at(-1)!, ['state show', 'state show --check --json', 'state show --state /var/lib/ml-connector/state.db']);
  addStateOptions(state.command('export').description('Write the state (never secrets) as JSON to FILE, or to stdout without FILE.'))
    .argument('[file]', 'file to write (mode 0600: it holds personal data); - or nothing for stdout')
    .action((file: string | undefined, opts: StateCliOptions) => exportStateFile(file, opts));
  addExamples(state.commands.at(-1)!, ['state export backup.json', 'state export | gzip > state-export.json.gz']);
  addStateOptions(state.command('import').description('Replace the state (links, snapshots, watermarks, runs, audit) with an export; secrets are kept.'))
    .argument('<file>', 'a file written by `ml-connector state export`')
    .option('--force', 'replace a state database that already holds links or runs')
    .action((file: string, opts: StateCliOptions & { force?: boolean }) => importStateFile(file, opts));
  addExamples(state.commands.at(-1)!, ['state import backup.json --state new.db', 'state import backup.json --force']);
  addStateOptions(state.command('unlock').description('Break a stale lock left by a crashed or killed apply (reports who held it).'))
    .argument('[name]', 'lock name', 'apply')
    .option('--force', 'break it even though its holder looks alive')
    .action((name: string, opts: StateCliOptions & { force?: boolean }) => unlockState(name, opts));
  addExamples(state.commands.at(-1)!, ['state unlock                                 # the apply lock, if its holder is gone', 'state unlock --force                         # a machine that was switched off']);
  state.command('migrate')
    .description('Copy the whole state (secrets too) from one backend to another, e.g. the SQLite file to PostgreSQL and back; row counts are checked.')
    .requiredOption('--from <state>', 'project (the Project\'s state), sqlite:PATH, postgres:URL, or env:NAME (a URL in that variable, kept out of the process list)')
    .requiredOption('--to <state>', 'where to copy it: the same forms; must be empty unless --force')
    .option('-c, --config <dir>', 'configuration directory whose Project names the state (default: configs when it exists)')
    .option('--master-key-file <file>', "the source's master key (default: the Project's state.masterKeyFile, then ML_CONNECTOR_MASTER_KEY)")
    .option('--to-master-key-file <file>', 'a different master key for the target: secrets are re-encrypted under it')
    .option('--force', 'replace what the target already holds')
    .option('--json', 'print JSON for scripts instead of text')
    .action((opts: MigrateCliOptions) => migrateStateCommand(opts));
  addExamples(state.commands.at(-1)!, [
    'state migrate --from project --to env:ML_CONNECTOR_STATE_URL    # the SQLite file into PostgreSQL',
    'state migrate --from env:ML_CONNECTOR_STATE_URL --to sqlite:backup.db',
  ]);
  addStateOptions(state.command('prune').description('Delete old history: finished runs with their audit rows, and webhook events. Links and secrets stay.'))
    .requiredOption('--older-than <when>', 'a date (2026-01-01) or a duration back from now (90d, 12h)')
    .action((opts: StateCliOptions & { olderThan: string }) => pruneState(opts));
  addExamples(state.commands.at(-1)!, ['state prune --older-than 90d', 'state prune --older-than 2026-01-01 --json']);
  addExamples(state, ['state show', 'state export backup.json']);
}
