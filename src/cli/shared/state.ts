/**
 * The state as commands open it: one set of options (--state, --config, --master-key-file), the
 * Project's state settings read from --config or configs/, and the one way to open the store
 * (src/engine/state.ts).
 */
import type { Command } from 'commander';
import { statSync } from 'node:fs';
import type { SecretSource } from '../../config/index.js';
import type { StateStore } from '../../state/index.js';
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
    .option('--config <dir>', 'configuration directory (default: configs when it exists); its Project document sets state.path and state.masterKeyFile')
    .option('--json', 'print JSON for scripts instead of text');
}

/**
 * The Project's `state` section, through the config loader (env references resolved). Problems in
 * other documents do not stop state commands; a directory with no usable document does.
 */
export async function readProjectState(dir: string): Promise<ProjectState> {
  const { loadConfig, formatIssue } = await import('../../config/index.js');
  const { config, issues } = await loadConfig(dir);
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
    close: async () => {
      if (opened) await (await opened).close();
    },
  };
}

