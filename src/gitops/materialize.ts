import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { simpleGit } from 'simple-git';
import { MlError } from '../support/errors.js';
import { findRepoRoot, toPosix } from './stamp.js';

/**
 * Write the files of `configDir` as they are at `ref` into a new temporary directory and return
 * its path. `configDir` may be absolute or relative to `repoDir`. Uses `git ls-tree` + `git show`
 * (no working-tree checkout), so the user's tree and index are never touched.
 */
export async function materializeConfigAtRef(repoDir: string, ref: string, configDir: string): Promise<{ dir: string; commit: string; files: number }> {
  const top = await findRepoRoot(repoDir);
  if (top === undefined) {
    throw new MlError('GIT_NOT_A_REPO', `${repoDir} is not inside a git repository.`, {
      meta: { repoDir },
      hint: '--base compares with a git revision; run it from a clone of the configuration repository.',
    });
  }
  const git = simpleGit({ baseDir: top, trimmed: true });
  let commit: string;
  try {
    commit = await git.revparse(['--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    commit = '';
  }
  if (commit === '') {
    throw new MlError('GIT_UNKNOWN_REF', `Git revision "${ref}" was not found.`, {
      meta: { ref },
      hint: 'Fetch it first (in CI: actions/checkout with fetch-depth: 0, or `git fetch origin main`), then use e.g. --base origin/main.',
    });
  }
  const abs = isAbsolute(configDir) ? configDir : resolve(top, configDir);
  const path = toPosix(relative(top, abs)) || '.';
  const listing = await git.raw(['ls-tree', '-r', '-z', '--name-only', commit, '--', path === '.' ? '.' : `${path}/`]);
  const files = listing.split('\0').filter((f) => f !== '');
  const tmp = await mkdtemp(join(tmpdir(), 'ml-connector-base-'));
  const prefix = path === '.' ? '' : `${path}/`;
  for (const file of files) {
    const content = await git.binaryCatFile(['blob', `${commit}:${file}`]);
    const target = join(tmp, file.slice(prefix.length));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  return { dir: tmp, commit, files: files.length };
}
