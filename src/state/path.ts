import { resolve } from 'node:path';

/** Where the state lives when neither `--state` nor the Project's `state.path` says otherwise. */
export const DEFAULT_STATE_PATH = '.ml-connector/state.db';

/**
 * The state file to use: an explicit path wins, then the Project's `state.path` (relative to the
 * directory ml-connector runs in, as the schema documents), then the default.
 */
export function resolveStatePath(explicit: string | undefined, projectPath: string | undefined, cwd = process.cwd()): string {
  return resolve(cwd, explicit ?? projectPath ?? DEFAULT_STATE_PATH);
}
