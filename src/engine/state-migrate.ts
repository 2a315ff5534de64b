/**
 * `ml-connector state migrate`: move the whole state (links, snapshots, watermarks, runs, audit,
 * webhook events, facts, secrets) from one backend to another, e.g. from the SQLite file to a
 * PostgreSQL schema and back. Both sides' apply locks are held during the copy, so no apply or
 * serve run writes meanwhile; the target is written in one transaction and checked by row counts.
 */
import { hostname } from 'node:os';
import { backendOf, copyState, describeTarget, loadMasterKey, openStateStore, parseStateTarget, resolveStatePath, StateError, type CopyReport, type Lock, type StateStore, type StateTarget } from '../state/index.js';
import type { Env } from '../config/references.js';
import type { Logger } from '../support/log.js';
import { resolveProjectTarget, type ProjectState } from './state.js';
import { APPLY_LOCK } from './run.js';

export interface MigrateOptions {
  /** `project` (the Project's state), `sqlite:PATH`, `postgres:URL`, a URL, `env:NAME` (a URL kept out of argv), or a path. */
  from: string;
  to: string;
  project?: ProjectState;
  /** The master key of the source (default: the Project's masterKeyFile, then the environment). */
  masterKeyFile?: string;
  /** A different master key for the target: secrets are decrypted and encrypted again under it. */
  toMasterKeyFile?: string;
  /** Replace what the target holds. */
  force?: boolean;
  env?: Env;
  logger?: Logger;
}

export interface MigrateReport {
  from: string;
  to: string;
  rows: CopyReport;
  secretsReencrypted: boolean;
}

export async function resolveMigrateTarget(text: string, project: ProjectState | undefined, env: Env = process.env): Promise<StateTarget> {
  if (text === 'project') return resolveProjectTarget(project, { env });
  if (text.startsWith('env:')) {
    const name = text.slice(4);
    const value = env[name];
    if (!value) {
      throw new StateError('STATE_TARGET_INVALID', `${text}: the environment variable ${name} is not set.`, { meta: { variable: name }, hint: `export ${name}=postgres://USER:PASSWORD@HOST:5432/DATABASE first.` });
    }
    return resolveMigrateTarget(value, project, env);
  }
  const t = parseStateTarget(text);
  return t.backend === 'sqlite' && t.path !== ':memory:' ? { backend: 'sqlite', path: resolveStatePath(t.path, undefined) } : t;
}

export async function migrateState(o: MigrateOptions): Promise<MigrateReport> {
  const env = o.env ?? process.env;
  const from = await resolveMigrateTarget(o.from, o.project, env);
  const to = await resolveMigrateTarget(o.to, o.project, env);
  if (describeTarget(from) === describeTarget(to)) {
    throw new StateError('STATE_TARGET_INVALID', `--from and --to are the same state (${describeTarget(from)}).`, { hint: 'Name another file or schema for --to.' });
  }
  const keyFile = o.masterKeyFile ?? o.project?.masterKeyFile;
  const fromKey = o.toMasterKeyFile ? loadMasterKey({ ...(keyFile ? { masterKeyFile: keyFile } : {}), env }) : undefined;
  const toKey = o.toMasterKeyFile ? loadMasterKey({ masterKeyFile: o.toMasterKeyFile, env }) : undefined;
  const logger = o.logger ? { logger: o.logger } : {};
  const holder = `state migrate on ${hostname()} pid ${process.pid}`;
  const opened: StateStore[] = [];
  const locks: Lock[] = [];
  try {
    const source = await openStateStore(from, { create: false, env, ...logger });
    opened.push(source);
    const target = await openStateStore(to, { create: true, env, ...logger });
    opened.push(target);
    // No apply may write to either side while the copy runs (a running one is named).
    locks.push(await source.acquireLock(APPLY_LOCK, { holder, waitMs: 0 }));
    locks.push(await target.acquireLock(APPLY_LOCK, { holder, waitMs: 0 }));
    const rows = await copyState(backendOf(source), backendOf(target), { ...(o.force ? { replace: true } : {}), ...(fromKey && toKey ? { fromKey, toKey } : {}) });
    return { from: source.path, to: target.path, rows, secretsReencrypted: fromKey !== undefined && toKey !== undefined && !fromKey.equals(toKey) };
  } finally {
    for (const l of locks) await l.release().catch(() => undefined);
    for (const s of opened) await s.close().catch(() => undefined);
  }
}
