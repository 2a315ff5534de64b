import type { Command } from 'commander';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { makePlan, openSession, readFullSource, type Session } from '../../apply/index.js';
import { DEFAULT_CONFIG_DIR, loadValidConfig, type Config } from '../../config/index.js';
import { planBaseComparison } from '../../gitops/base-plan.js';
import { renderBaseComparison, renderBaseComparisonMarkdown } from '../../gitops/render.js';
import { gitStamp } from '../../gitops/stamp.js';
import { maskValue, renderPlanMarkdown, renderPlanText, serializePlan, type Plan } from '../../plan/index.js';
import { openStateStore, resolveStatePath, type StateStore } from '../../state/index.js';
import { MlError } from '../../support/errors.js';
import { createLogger, type LogLevel } from '../../support/log.js';
import type { CommandContext } from '../main.js';
import { EXIT, paint, useColor } from '../output.js';

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

/** Personal data is masked in Markdown, in CI, and when the Project asks for it; --no-mask unmasks locally. */
export function shouldMask(config: Config, o: { mask?: boolean; markdown?: boolean }): boolean {
  if (o.mask === false) return false;
  return o.markdown === true || (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') || config.project.defaults?.maskPersonalData === true;
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
  const path = resolveStatePath(o.state, config.project.state?.path);
  const level = (process.env.ML_CONNECTOR_LOG_LEVEL as LogLevel | undefined) ?? 'warn';
  const logger = createLogger({ level });
  const keyFile = config.project.state?.masterKeyFile;
  const store = await openStateStore(!needState && !existsSync(path) ? ':memory:' : path, {
    create: true, logger,
    ...(keyFile ? { masterKeyFile: keyFile } : {}),
    ...(config.project.state?.staleLockSeconds ? { staleMs: config.project.state.staleLockSeconds * 1000 } : {}),
  });
  const session = openSession({ config, store, logger });
  return {
    config, store, session,
    async close() {
      await session.close();
      await store.close();
    },
  };
}

/** The git commit of the configuration, when it is in a repository (else GITHUB_SHA, if set). */
/** The configuration's git commit and whether its directory has uncommitted changes, as plan options. */
export async function configStamp(dir: string): Promise<{ gitCommit?: string; gitDirty?: boolean }> {
  try {
    const stamp = await gitStamp(dir);
    if (stamp.commit) return { gitCommit: stamp.commit, gitDirty: stamp.dirty };
  } catch {
    // not a repository, or git missing: the plan simply has no commit
  }
  return process.env.GITHUB_SHA ? { gitCommit: process.env.GITHUB_SHA } : {};
}

interface PlanCliOptions extends ReconcileCliOptions {
  out?: string;
  markdown?: boolean;
  detailedExitcode?: boolean;
  base?: string;
  offline?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('plan')
    .description('Show what apply would change in Zoho, record by record and field by field (reads only)')
    .option('--config <dir>', 'configuration directory', DEFAULT_CONFIG_DIR)
    .option('--mapping <name>', 'plan only this mapping (repeatable; looked-up mappings are read, not planned)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--out <file>', 'save the plan as versioned JSON, for `ml-connector apply <file>`')
    .option('--json', 'print the plan as JSON (schema/plan.schema.json)')
    .option('--markdown', 'print the plan as Markdown for a pull-request comment (personal data masked)')
    .option('--detailed-exitcode', 'exit 0 when there are no changes, 2 when there are, 1 on error')
    .option('--full', 'compare every source record (default: only those changed since the last apply)')
    .option('--as-of <date>', 'plan as of this date (YYYY-MM-DD) or instant')
    .option('--no-mask', 'show personal data (local use only)')
    .option('--allow-large-change', 'mark the plan as allowed past its guards (recorded in the audit trail on apply)')
    .option('--base <ref>', 'also compare the configuration with this git revision (e.g. origin/main)')
    .option('--offline', 'with --base: estimate from the state database only, read neither PeopleSoft nor Zoho')
    .option('--state <path>', "state database (default: the Project's state.path)")
    .action(async (o: PlanCliOptions) => {
      // Before reading anything: a plan that cannot be saved is minutes of reading thrown away.
      if (o.out && !existsSync(dirname(o.out))) throw unwritablePlan(o.out, 'its directory does not exist');
      const cli = await openCliSession(o, false);
      try {
        const mask = shouldMask(cli.config, o);
        const now = parseAsOf(o.asOf);
        let baseText = '';
        if (o.base) {
          const comparison = await planBaseComparison({
            configDir: o.config ?? DEFAULT_CONFIG_DIR, head: cli.config, baseRef: o.base, mode: o.offline ? 'offline' : 'online',
            readSource: (m) => readFullSource(cli.session, m, now !== undefined ? { now } : {}),
            state: cli.store,
            ...(mask ? { mask: maskValue } : {}),
          });
          baseText = o.markdown ? renderBaseComparisonMarkdown(comparison) : renderBaseComparison(comparison);
        }
        if (o.offline) {
          process.stdout.write(baseText);
          ctx.setExitCode(EXIT.ok);
          return;
        }
        const stamp = await configStamp(o.config ?? DEFAULT_CONFIG_DIR);
        const plan = await makePlan(cli.session, {
          ...(o.mapping ? { mappings: o.mapping } : {}),
          ...(o.full ? { full: true } : {}),
          ...(o.allowLargeChange ? { allowLargeChange: true } : {}),
          ...(now !== undefined ? { now } : {}),
          ...stamp,
        });
        if (o.out) {
          try {
            writeFileSync(o.out, serializePlan(plan), { mode: 0o600 });
          } catch (err) {
            throw unwritablePlan(o.out, (err as Error).message);
          }
        }
        printPlan(plan, { ...o, mask }, baseText);
        if (o.out && !o.json && !o.markdown) process.stderr.write(`Saved the plan to ${o.out}; apply it with: ml-connector apply ${o.out}\n`);
        ctx.setExitCode(o.detailedExitcode && plan.summary.changes > 0 ? EXIT.changes : EXIT.ok);
      } finally {
        await cli.close();
      }
    });
}

function unwritablePlan(file: string, reason: string): MlError {
  return new MlError('PLAN_FILE_UNWRITABLE', `Cannot save the plan to ${file}: ${reason}.`, {
    meta: { file },
    hint: 'Give --out a path in an existing directory you can write to.',
  });
}

export function printPlan(plan: Plan, o: { json?: boolean; markdown?: boolean; mask: boolean }, prefix = ''): void {
  if (o.json) process.stdout.write(serializePlan(plan));
  else if (o.markdown) process.stdout.write((prefix ? prefix.trimEnd() + '\n\n' : '') + renderPlanMarkdown(plan, { mask: o.mask }));
  else process.stdout.write((prefix ? prefix.trimEnd() + '\n\n' : '') + renderPlanText(plan, { mask: o.mask, paint: paint(useColor(process.stdout)) }));
}
