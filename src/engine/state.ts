import { existsSync } from 'node:fs';
import type { Project } from '../config/types.generated.js';
import { resolveCredential, type Env } from '../config/references.js';
import { openStateStore, parseStateTarget, postgresTarget, resolveStatePath, type StateStore, type StateTarget } from '../state/index.js';
import { isMlError } from '../support/errors.js';
import type { Clock } from '../support/clock.js';
import type { Logger } from '../support/log.js';

/** The state settings of a Project that decide which database is opened and how. */
export type ProjectState = NonNullable<Project['state']>;

export interface OpenStateOptions {
  /** `--state`: a file, `sqlite:PATH` or a `postgres://` URL; overrides the Project's state settings. */
  path?: string;
  /** Create the database when missing (commands that write); otherwise STATE_NOT_FOUND. */
  create: boolean;
  /**
   * A missing database is not created but stood in for by an empty one in memory: `plan` on a
   * fresh checkout writes nothing anywhere (a PostgreSQL schema that does not exist yet, too; a
   * server that cannot be reached is still an error).
   */
  memoryIfMissing?: boolean;
  /** Overrides the Project's `state.masterKeyFile`. */
  masterKeyFile?: string;
  logger?: Logger;
  clock?: Clock;
  env?: Env;
}

/**
 * Which state database the Project (or `--state`) names. A PostgreSQL URL is a credential
 * reference, resolved now; a `${secret:}` there is read from the local SQLite file at
 * `state.path`, since the PostgreSQL state cannot hold its own address.
 */
export async function resolveProjectTarget(project: ProjectState | undefined, o: Pick<OpenStateOptions, 'path' | 'masterKeyFile' | 'env'> = {}): Promise<StateTarget> {
  if (o.path !== undefined) {
    const t = parseStateTarget(o.path);
    return t.backend === 'sqlite' ? { backend: 'sqlite', path: t.path === ':memory:' ? t.path : resolveStatePath(t.path, undefined) } : t;
  }
  const localPath = resolveStatePath(undefined, project?.path);
  if (project?.backend !== 'postgres' || !project.postgres) return { backend: 'sqlite', path: localPath };
  const pg = project.postgres;
  const keyFile = o.masterKeyFile ?? project.masterKeyFile;
  const url = await resolveCredential(pg.url, {
    what: 'state.postgres.url',
    ...(o.env ? { env: o.env } : {}),
    secrets: {
      async get(name) {
        const local = await openStateStore(localPath, { readonly: true, ...(keyFile ? { masterKeyFile: keyFile } : {}), ...(o.env ? { env: o.env } : {}) });
        try {
          return await local.secrets.get(name);
        } finally {
          await local.close();
        }
      },
    },
  });
  return postgresTarget(url, {
    ...(pg.schema ? { schema: pg.schema } : {}),
    ...(pg.tls ? { tls: { mode: pg.tls.mode, ...(pg.tls.caFile ? { caFile: pg.tls.caFile } : {}), ...(pg.tls.certFile ? { certFile: pg.tls.certFile } : {}), ...(pg.tls.keyFile ? { keyFile: pg.tls.keyFile } : {}) } } : {}),
    ...(pg.maxConnections ? { maxConnections: pg.maxConnections } : {}),
    ...(pg.connectTimeoutSeconds ? { connectTimeoutMs: pg.connectTimeoutSeconds * 1000 } : {}),
    ...(pg.statementTimeoutSeconds ? { statementTimeoutMs: pg.statementTimeoutSeconds * 1000 } : {}),
  });
}

/**
 * The one way every command and serve opens the state: the Project's backend, path or
 * PostgreSQL settings, master key file and stale-lock time, unless the command line overrides them.
 */
export async function openProjectState(project: ProjectState | undefined, o: OpenStateOptions): Promise<StateStore> {
  const target = await resolveProjectTarget(project, o);
  const keyFile = o.masterKeyFile ?? project?.masterKeyFile;
  const options = {
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.env ? { env: o.env } : {}),
    ...(keyFile ? { masterKeyFile: keyFile } : {}),
    ...(project?.staleLockSeconds ? { staleMs: project.staleLockSeconds * 1000 } : {}),
  };
  if (o.memoryIfMissing !== true) return openStateStore(target, { ...options, create: o.create });
  if (target.backend === 'sqlite') {
    const missing = target.path !== ':memory:' && !existsSync(target.path);
    return openStateStore(missing ? ':memory:' : target.path, { ...options, create: true });
  }
  try {
    return await openStateStore(target, { ...options, create: false });
  } catch (err) {
    if (isMlError(err) && err.code === 'STATE_NOT_FOUND') return openStateStore(':memory:', { ...options, create: true });
    throw err;
  }
}
