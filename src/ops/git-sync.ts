import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { describeError } from '../support/errors.js';
import type { Logger } from '../support/log.js';
import { safeUrl, scrub } from '../support/redact.js';
import { materializeConfigAtRef } from '../gitops/materialize.js';

export interface GitSyncOptions {
  /** Remote URL (https with a token in it, or ssh with the agent's key). Never logged in full. */
  remote: string;
  branch: string;
  /** The configuration directory inside the repository, e.g. `configs`. */
  configPath: string;
  /** Where serve keeps its own clone (never the user's working tree). */
  workDir: string;
  /** Time allowed for one fetch or clone. */
  timeoutMs?: number;
  logger: Logger;
}

export type PullOutcome =
  | { kind: 'unchanged'; commit: string }
  | { kind: 'updated'; commit: string; previous: string | undefined; dir: string }
  | { kind: 'rejected'; commit: string; error: string }
  | { kind: 'fetch-failed'; error: string };

/**
 * Pull-based GitOps for serve: a clone of REMOTE at BRANCH that is fetched on an interval. A new
 * commit is materialised into a fresh directory and handed to `accept`, which loads and
 * validates it; when `accept` throws, the commit is reported once and the running configuration
 * stays (a bad push never takes serve down, and is not re-tried until the next commit).
 */
export class GitConfigSync {
  private current: string | undefined;
  private rejected: string | undefined;
  private currentDir: string | undefined;
  private readonly git: SimpleGit;

  constructor(private readonly options: GitSyncOptions) {
    this.git = simpleGit({ baseDir: '/', timeout: { block: options.timeoutMs ?? 60_000 } });
  }

  get commit(): string | undefined {
    return this.current;
  }

  private async ensureClone(): Promise<void> {
    const { workDir, remote, branch } = this.options;
    if (existsSync(join(workDir, '.git'))) return;
    await mkdir(workDir, { recursive: true });
    // --no-checkout: configs are read with `git show`, so no working tree is needed or touched.
    await this.git.clone(remote, workDir, ['--no-checkout', '--single-branch', '--branch', branch]);
  }

  /** Fetch once; hand a new commit to `accept`. Never throws: the outcome says what happened. */
  async pull(accept: (dir: string, commit: string) => Promise<void>): Promise<PullOutcome> {
    const { workDir, branch, configPath, logger } = this.options;
    let commit: string;
    try {
      await this.ensureClone();
      const repo = simpleGit({ baseDir: workDir, timeout: { block: this.options.timeoutMs ?? 60_000 } });
      await repo.fetch('origin', branch);
      commit = (await repo.revparse([`refs/remotes/origin/${branch}`])).trim();
    } catch (err) {
      const error = scrub(describeError(err)).split(this.options.remote).join(safeUrl(this.options.remote));
      logger.warn('config pull failed; keeping the running configuration', { remote: safeUrl(this.options.remote), branch, error });
      return { kind: 'fetch-failed', error };
    }
    if (commit === this.current) return { kind: 'unchanged', commit };
    if (commit === this.rejected) return { kind: 'rejected', commit, error: 'already rejected' };
    const { dir } = await materializeConfigAtRef(workDir, commit, configPath);
    try {
      await accept(dir, commit);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      this.rejected = commit;
      const error = scrub(describeError(err));
      logger.error('new configuration rejected; keeping the running one', { commit, error });
      return { kind: 'rejected', commit, error };
    }
    const previous = this.current;
    const previousDir = this.currentDir;
    this.current = commit;
    this.currentDir = dir;
    if (previousDir) await rm(previousDir, { recursive: true, force: true });
    logger.info('configuration updated from git', { commit, previous });
    return { kind: 'updated', commit, previous, dir };
  }

  /** Remove the materialised configuration (the clone stays for the next start). */
  async dispose(): Promise<void> {
    if (this.currentDir) await rm(this.currentDir, { recursive: true, force: true });
  }
}
