/** What the commands that open the state database share: options, opening it, printing JSON. */
import type { Command } from 'commander';
import { statSync } from 'node:fs';
import type { SecretSource } from '../../config/index.js';
// Light modules only: the store (and the native sqlite3 module) and the config loader are
// imported when a command runs, so `ml-connector --help` and unrelated commands start faster.
import { StateError } from '../../state/errors.js';
import type { LockInfo, StateStore } from '../../state/index.js';
import { ConfigError } from '../../support/errors.js';
import { createLogger } from '../../support/log.js';

/** Options every state-backed command takes. */
export interface StateCliOptions {
  state?: string;
  config?: string;
  masterKeyFile?: string;
  json?: boolean;
}

/** `state:` settings of the Project, read with `${env:NAME}` / `${env:NAME:-default}` expanded. */
export type ProjectState = import('../../engine/state.js').ProjectState;

export function addStateOptions(cmd: Command): Command {
  return cmd
    .option('--state <path>', 'state database: a file, sqlite:PATH or postgres://URL (default: the Project\'s state settings, else .ml-connector/state.db)')
    .option('-c, --config <dir>', 'configuration directory (default: configs when it exists); its Project document sets state.path and state.masterKeyFile')
    .option('--json', 'print JSON for scripts instead of text');
}

/**
 * The Project's `state` section, through the config loader (env references resolved). Problems in
 * other documents do not stop state commands; a directory with no usable document does.
 */
export async function readProjectState(dir: string): Promise<ProjectState> {
  const { loadConfig, formatIssue, assertConfigDir } = await import('../../config/index.js');
  const result = await loadConfig(dir);
  assertConfigDir(result, dir);
  const { config, issues } = result;
  if (config === undefined) {
    const errors = issues.filter((i) => i.severity === 'error');
    throw new ConfigError('CONFIG_INVALID', `No usable configuration in ${dir}.`, {
      meta: { dir, issues: errors.slice(0, 5).map(formatIssue) },
      hint: errors[0] ? formatIssue(errors[0]) : 'Pass --config DIR with the directory holding your *.yaml files, or --state PATH.',
    });
  }
  return config.project.state ?? {};
}

/**
 * The Project's state settings: from --config DIR, else from configs/ when it exists, as plan and
 * apply read it; otherwise `runs` or `secrets set` would use another file than `apply` whenever
 * the Project names a state.path or masterKeyFile. An implicit configs/ that cannot be loaded
 * must not stop `state unlock` or `secrets list`: the defaults apply then.
 */
export async function readImplicitProjectState(opts: { config?: string }): Promise<ProjectState> {
  if (opts.config !== undefined) return readProjectState(opts.config);
  const { DEFAULT_CONFIG_DIR } = await import('../../config/index.js');
  if (statSync(DEFAULT_CONFIG_DIR, { throwIfNoEntry: false })?.isDirectory() !== true) return {};
  return readProjectState(DEFAULT_CONFIG_DIR).catch(() => ({}));
}

/** Open the state the command line points at; `create: false` for commands that only read. */
export async function openStateFromOptions(opts: StateCliOptions, how: { create: boolean }): Promise<StateStore> {
  const project = await readImplicitProjectState(opts);
  const { openProjectState } = await import('../../engine/state.js');
  // Warnings (a run marked interrupted, a stale lock taken over) go to stderr for people.
  const logger = createLogger({ level: 'warn', format: 'text' });
  return openProjectState(project, { create: how.create, logger, ...(opts.state ? { path: opts.state } : {}), ...(opts.masterKeyFile ? { masterKeyFile: opts.masterKeyFile } : {}) });
}

/** Open, run, always close. */
export async function withState<T>(opts: StateCliOptions, how: { create: boolean }, fn: (store: StateStore) => Promise<T>): Promise<T> {
  const store = await openStateFromOptions(opts, how);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function describeLock(l: LockInfo): string {
  const why: Record<NonNullable<LockInfo['staleReason']>, string> = {
    'process-gone': ' (stale: its process is gone)',
    'heartbeat-old': ' (stale: no heartbeat)',
    'session-ended': ' (stale: its database session ended)',
  };
  const stale = l.staleReason ? why[l.staleReason] : '';
  return `${l.name}: held by "${l.holder}" pid ${l.pid} on ${l.host} since ${l.acquiredAt}, last heartbeat ${l.heartbeatAt}${stale}`;
}

/** The state store opened only when a `${secret:}` is first needed, and closed at the end. */
export interface LazyState extends SecretSource {
  store(): Promise<StateStore>;
  close(): Promise<void>;
}

export function lazyState(opts: { config?: string; state?: string; masterKeyFile?: string }, create: boolean): LazyState {
  let opened: Promise<StateStore> | undefined;
  const store = (): Promise<StateStore> => (opened ??= openStateFromOptions(opts, { create }));
  return {
    store,
    get: async (name) => (await store()).secrets.get(name),
    // A store that never opened has nothing to close; its error was reported to whoever needed
    // it (or swallowed by a best-effort user such as the token cache) and must not replace the
    // command's own error in a `finally`.
    close: async () => {
      if (opened) await opened.then((s) => s.close(), () => undefined);
    },
  };
}

export function parseLimit(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new StateError('CLI_INVALID_OPTION', `--limit must be a whole number above 0 (got "${value}").`, { meta: { limit: value } });
  }
  return n;
}
