import { rm } from 'node:fs/promises';
import { MlError } from '../support/errors.js';
import { loadValidConfig, type Config } from '../config/index.js';
import { materializeConfigAtRef } from './materialize.js';

/** A configuration as it was at a git revision, loaded from a temporary copy. */
export interface ConfigAtRef {
  ref: string;
  /** The commit REF resolved to. */
  commit: string;
  config: Config;
  /** Removes the temporary copy. */
  dispose(): Promise<void>;
}

/**
 * Load the configuration in `configDir` as it was at `ref`. At that revision the directory may not
 * exist yet (a pull request that adds the first configuration): that is an empty configuration,
 * reported as GIT_CONFIG_MISSING so the caller can treat every mapping as added.
 */
export async function loadConfigAtRef(repoDir: string, ref: string, configDir: string): Promise<ConfigAtRef> {
  const { dir, commit } = await materializeConfigAtRef(repoDir, ref, configDir);
  const dispose = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const config = await loadValidConfig(dir);
    return { ref, commit, config, dispose };
  } catch (err) {
    await dispose();
    if (err instanceof MlError) {
      throw new MlError(err.code, `At ${ref}: ${err.message}`, {
        meta: { ...err.meta, ref, commit },
        ...(err.hint === undefined ? {} : { hint: err.hint }),
        cause: err,
      });
    }
    throw err;
  }
}
