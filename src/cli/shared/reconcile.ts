/** What `plan` and `apply` share: options, opening the session, printing a plan of any size. */
import { DEFAULT_CONFIG_DIR, loadValidConfig, type Config } from '../../config/index.js';
import { openSession, type Session } from '../../engine/session.js';
import { openProjectState } from '../../engine/state.js';
import { gitStamp } from '../../gitops/stamp.js';
import { renderPlanJson, renderPlanMarkdown, renderPlanText, type PlanView } from '../../plan/index.js';
import type { StateStore } from '../../state/index.js';
import { MlError } from '../../support/errors.js';
import { createLogger, type LogLevel } from '../../support/log.js';
import { paint, useColor } from '../output.js';

export interface ReconcileCliOptions {
  config?: string;
  state?: string;
  mapping?: string[];
  full?: boolean;
  asOf?: string;
  mask?: boolean;
  json?: boolean;
  allowLargeChange?: boolean;
}

/** `--as-of 2026-03-31` plans as of the end of that day (UTC); a full ISO instant is taken as is. */
export function parseAsOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T23:59:59.999Z`) : Date.parse(text);
  if (Number.isNaN(ms)) throw new MlError('CLI_BAD_DATE', `--as-of ${text} is not a date.`, { hint: 'Use YYYY-MM-DD or an ISO 8601 instant.' });
  return ms;
}

/** True when the process runs in CI (`CI` set to anything but empty or `false`). */
export function inCi(): boolean {
  return process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
}

/**
 * Whether to mask personal data. On unless turned off: `--no-mask` turns it off anywhere (a
 * person asked); the Project's `defaults.maskPersonalData: false` only in a local terminal, never
 * in Markdown (pull-request comments) or CI. An absent setting takes the schema's default, true:
 * an optional setting is read by its default, not tested for `=== true`.
 */
export function shouldMask(config: Pick<Config, 'project'> | undefined, o: { mask?: boolean; markdown?: boolean }): boolean {
  if (o.mask === false) return false;
  if (o.markdown === true || inCi()) return true;
  return config?.project.defaults?.maskPersonalData ?? true;
}

export interface CliSession {
  config: Config;
  store: StateStore;
  session: Session;
  close(): Promise<void>;
}

/**
 * Load the configuration, open the state (the Project's path, or --state), and make a session.
 * `needState: false` (plan): a missing state file is not created; an empty in-memory state is used.
 */
export async function openCliSession(o: ReconcileCliOptions, needState: boolean): Promise<CliSession> {
  const config = await loadValidConfig(o.config ?? DEFAULT_CONFIG_DIR);
  const level = (process.env.ML_CONNECTOR_LOG_LEVEL as LogLevel | undefined) ?? 'warn';
  const logger = createLogger({ level });
  const store = await openProjectState(config.project.state, { create: true, memoryIfMissing: !needState, logger, ...(o.state ? { path: o.state } : {}) });
  const session = openSession({ config, store, logger });
  return {
    config, store, session,
    async close() {
      await session.close();
      await store.close();
    },
  };
}

/** The configuration's git commit and whether its directory has uncommitted changes (else GITHUB_SHA, if set). */
export async function configStamp(dir: string): Promise<{ gitCommit?: string; gitDirty?: boolean }> {
  try {
    const stamp = await gitStamp(dir);
    if (stamp.commit) return { gitCommit: stamp.commit, gitDirty: stamp.dirty };
  } catch {
    // not a repository, or git missing: the plan simply has no commit
  }
  return process.env.GITHUB_SHA ? { gitCommit: process.env.GITHUB_SHA } : {};
}

/** Write chunks to stdout, waiting for it to drain: a plan of any size streams through a pipe. */
export async function writeChunks(chunks: AsyncIterable<string> | Iterable<string>): Promise<void> {
  for await (const chunk of chunks) {
    if (!process.stdout.write(chunk)) await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
  }
}

export interface PrintPlanOptions {
  json?: boolean;
  markdown?: boolean;
  mask: boolean;
  /** Markdown: where the full plan is (linked when records are cut, and in the footer). */
  planUrl?: string;
  /** Shown before the plan (text), or after its table within the comment budget (Markdown): the `--base` comparison. */
  preamble?: string;
}

/** Print a plan as `plan` does (and `show` again from its file): JSON, Markdown or text. */
export async function printPlan(view: PlanView, o: PrintPlanOptions): Promise<void> {
  if (o.json) return writeChunks(renderPlanJson(view));
  if (o.markdown) return writeChunks([await renderPlanMarkdown(view, { mask: o.mask, ...(o.planUrl ? { planUrl: o.planUrl } : {}), ...(o.preamble ? { preamble: o.preamble } : {}) })]);
  if (o.preamble) await writeChunks([o.preamble.trimEnd() + '\n\n']);
  return writeChunks(renderPlanText(view, { mask: o.mask, paint: paint(useColor(process.stdout)) }));
}
