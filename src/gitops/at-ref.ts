import { rm } from 'node:fs/promises';
import { MlError } from '../support/errors.js';
import { loadValidConfig, type Config } from '../config/index.js';
import { materializeConfigAtRef } from './materialize.js';

/** A configuration as it was at a git revision, loaded from a temporary copy. */
export interface ConfigAtRef {
  ref: string;
  /** The commit REF resolved to. */
  commit: string;
  /** Undefined when the directory did not exist at REF (a pull request adding the first configuration). */
  config: Config | undefined;
  /** Removes the temporary copy. */
  dispose(): Promise<void>;
}

/**
 * Load the configuration in `configDir` as it was at `ref`. At that revision the directory may not
 * exist yet (a pull request that adds the first configuration): `config` is then undefined and
 * every mapping of the working tree counts as added. A configuration that was invalid at REF is
 * an error naming REF.
 */
export async function loadConfigAtRef(repoDir: string, ref: string, configDir: string): Promise<ConfigAtRef> {
  const { dir, commit, files } = await materializeConfigAtRef(repoDir, ref, configDir);
  const dispose = (): Promise<void> => rm(dir, { recursive: true, force: true });
  if (files === 0) return { ref, commit, config: undefined, dispose };
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
