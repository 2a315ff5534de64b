import { existsSync } from 'node:fs';
import type { Project } from '../config/types.generated.js';
import { openStateStore, resolveStatePath, type StateStore } from '../state/index.js';
import type { Clock } from '../support/clock.js';
import type { Logger } from '../support/log.js';

/** The state settings of a Project that decide which database is opened and how. */
export type ProjectState = NonNullable<Project['state']>;

export interface OpenStateOptions {
  /** `--state`: overrides the Project's `state.path`. */
  path?: string;
  /** Create the database when missing (commands that write); otherwise STATE_NOT_FOUND. */
  create: boolean;
  /**
   * A missing database is not created but stood in for by an empty one in memory: `plan` on a
   * fresh checkout writes nothing anywhere.
   */
  memoryIfMissing?: boolean;
  /** Overrides the Project's `state.masterKeyFile`. */
  masterKeyFile?: string;
  logger?: Logger;
  clock?: Clock;
}

/**
 * The one way every command and serve opens the state: the Project's path, master key file and
 * stale-lock time, unless the command line overrides them.
 */
export async function openProjectState(project: ProjectState | undefined, o: OpenStateOptions): Promise<StateStore> {
  const path = resolveStatePath(o.path, project?.path);
  const keyFile = o.masterKeyFile ?? project?.masterKeyFile;
  const useMemory = o.memoryIfMissing === true && !existsSync(path);
  return openStateStore(useMemory ? ':memory:' : path, {
    create: o.create || useMemory,
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.clock ? { clock: o.clock } : {}),
    ...(keyFile ? { masterKeyFile: keyFile } : {}),
    ...(project?.staleLockSeconds ? { staleMs: project.staleLockSeconds * 1000 } : {}),
  });
}
