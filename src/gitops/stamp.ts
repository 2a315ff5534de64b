import { resolve, relative } from 'node:path';
import { existsSync } from 'node:fs';
import { simpleGit, type SimpleGit } from 'simple-git';
import { MlError } from '../support/errors.js';

/** Which revision of the configuration a plan or run used. */
export interface GitStamp {
  /** HEAD commit (40 hex), or undefined outside a git repository or before the first commit. */
  commit: string | undefined;
  /** Uncommitted (staged, unstaged or untracked) changes under the config directory. */
  dirty: boolean;
  /** Current branch, or undefined on a detached HEAD (as in CI checkouts of a pull request). */
  branch: string | undefined;
  /** Top of the working tree, or undefined outside a repository. */
  repoDir: string | undefined;
  /** The config directory relative to `repoDir` (posix separators), `.` for the top. */
  configPath: string | undefined;
}

function gitAt(dir: string): SimpleGit {
  // No GIT_* credentials or prompts: this only reads the local repository.
  return simpleGit({ baseDir: dir, maxConcurrentProcesses: 2, trimmed: true });
}

/** The top of the repository containing `dir`, or undefined when it is not in one. */
export async function findRepoRoot(dir: string): Promise<string | undefined> {
  if (!existsSync(dir)) return undefined;
  try {
    const top = await gitAt(dir).revparse(['--show-toplevel']);
    return top === '' ? undefined : top;
  } catch {
    return undefined;
  }
}

/** Git facts for the config directory `dir`: commit, dirty flag, branch. Never throws outside git. */
export async function gitStamp(dir: string): Promise<GitStamp> {
  const abs = resolve(dir);
  const repoDir = await findRepoRoot(abs);
  if (repoDir === undefined) {
    return { commit: undefined, dirty: false, branch: undefined, repoDir: undefined, configPath: undefined };
  }
  const git = gitAt(repoDir);
  const configPath = toPosix(relative(repoDir, abs)) || '.';
  let commit: string | undefined;
  try {
    commit = await git.revparse(['--verify', '--quiet', 'HEAD']);
  } catch {
    commit = undefined; // a repository without commits yet
  }
  let branch: string | undefined;
  try {
    const name = await git.raw(['symbolic-ref', '--quiet', '--short', 'HEAD']);
    branch = name.trim() || undefined;
  } catch {
    branch = undefined;
  }
  // --untracked-files=all: a new mapping file nobody committed would otherwise hide as a directory.
  const status = await git.raw(['status', '--porcelain', '--untracked-files=all', '--', configPath]);
  return { commit: commit || undefined, dirty: status.trim() !== '', branch, repoDir, configPath };
}

/** Files under the config directory that differ from HEAD (for the error message). */
async function listDirtyFiles(stamp: GitStamp): Promise<string[]> {
  if (stamp.repoDir === undefined || stamp.configPath === undefined) return [];
  const status = await gitAt(stamp.repoDir).raw(['status', '--porcelain', '--untracked-files=all', '--', stamp.configPath]);
  return status
    .split('\n')
    .map((line) => line.slice(3).trim())
    .filter((line) => line !== '');
}

/**
 * `apply` applies what is committed: refuse a config directory with uncommitted changes unless the
 * user said `--allow-dirty`. Outside a git repository there is nothing to compare with, so the
 * stamp says so (commit undefined) and apply goes on. Returns the stamp for the run record.
 */
export async function assertCleanConfig(dir: string, allowDirty: boolean): Promise<GitStamp> {
  const stamp = await gitStamp(dir);
  if (stamp.dirty && !allowDirty) {
    const files = await listDirtyFiles(stamp);
    throw new MlError('CONFIG_DIRTY', `The configuration in ${dir} has uncommitted changes (${files.length} file${files.length === 1 ? '' : 's'}).`, {
      meta: { dir, files: files.slice(0, 20), commit: stamp.commit },
      hint: 'Commit the changes (what is applied should be what is in git), or pass --allow-dirty to apply the working tree anyway; the run records that it was dirty.',
    });
  }
  return stamp;
}

export function toPosix(path: string): string {
  return path.split('\\').join('/');
}
