import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { DEFAULT_CONFIG_DIR } from '../../config/index.js';
import { runReconcile } from '../../engine/run.js';
import { randomBytes } from 'node:crypto';
import { readFullSource } from '../../engine/source.js';
import type { Session } from '../../engine/session.js';
import type { Mapping } from '../../config/types.generated.js';
import { planBaseComparison } from '../../gitops/base-plan.js';
import { readOfflineStats } from '../../gitops/offline-stats.js';
import { renderBaseComparison, renderBaseComparisonMarkdown } from '../../gitops/render.js';
import { fromZohoValue, type FieldValue } from '../../mapping/index.js';
import { personalFieldsOfMapping, savePlan } from '../../plan/index.js';
import { MlError } from '../../support/errors.js';
import type { CommandContext } from '../shared/context.js';
import { addExamples, PLAN_EXAMPLES } from '../shared/help.js';
import { EXIT } from '../output.js';
import { startProgress } from '../shared/progress.js';
import { configStamp, openCliSession, parseAsOf, printPlan, shouldMask, writeChunks, type ReconcileCliOptions } from '../shared/reconcile.js';

interface PlanCliOptions extends ReconcileCliOptions {
  out?: string;
  markdown?: boolean;
  detailedExitcode?: boolean;
  base?: string;
  offline?: boolean;
  offlineStats?: string;
  planUrl?: string;
}

/** The personal fields of a mapping for the `--base` samples: with Zoho's field metadata when online, declarations and Zoho's standard fields offline. */
function personalLookup(session: Session | undefined): (m: Mapping) => Promise<ReadonlySet<string>> {
  const cache = new Map<string, ReadonlySet<string>>();
  return async (m) => {
    let set = cache.get(m.name);
    if (!set) {
      const fields = session ? await (await session.zoho(m.target.connection)).getFields(m.target.module) : undefined;
      set = new Set(personalFieldsOfMapping(m, fields));
      cache.set(m.name, set);
    }
    return set;
  };
}

/** Zoho's current values of some records, by external id: one search call per 10 keys. */
async function zohoValuesOf(session: Session, m: Mapping, keys: readonly string[], fields: readonly string[]): Promise<Map<string, Record<string, FieldValue>>> {
  const zoho = await session.zoho(m.target.connection);
  const ext = m.externalId.field;
  const out = new Map<string, Record<string, FieldValue>>();
  for (const r of await zoho.searchByField(m.target.module, ext, [...keys], [ext, ...fields])) {
    const values: Record<string, FieldValue> = {};
    for (const f of fields) values[f] = fromZohoValue(r[f]);
    out.set(String(r[ext]), values);
  }
  return out;
}

function unwritablePlan(file: string, reason: string): MlError {
  return new MlError('PLAN_FILE_UNWRITABLE', `Cannot save the plan to ${file}: ${reason}.`, {
    meta: { file },
    hint: 'Give --out a path in an existing directory you can write to.',
  });
}

export function register(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('plan')
    .description('Show what apply would change in Zoho, record by record and field by field (reads only)')
    .option('-c, --config <dir>', 'configuration directory', DEFAULT_CONFIG_DIR)
    .option('--mapping <name>', 'plan only this mapping (repeatable; looked-up mappings are read, not planned)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--out <file>', 'save the plan as versioned JSON, for `ml-connector apply <file>`')
    .option('--json', 'print the plan as JSON (schema/plan.schema.json)')
    .option('--markdown', 'print the plan as Markdown for a pull-request comment (personal data masked)')
    .option('--plan-url <url>', 'with --markdown: where the full plan is (e.g. the workflow run with the plan artifact), linked where records are cut')
    .option('--detailed-exitcode', 'exit 0 when there are no changes, 2 when there are, 1 on error')
    .option('--full', 'compare every source record (default: only those changed since the last apply)')
    .option('--as-of <date>', 'plan as of this date (YYYY-MM-DD) or instant')
    .option('--no-mask', 'show personal data (local use only)')
    .option('--allow-large-change', 'mark the plan as allowed past its guards (recorded in the audit trail on apply)')
    .option('--base <ref>', 'also compare the configuration with this git revision (e.g. origin/main)')
    .option('--offline', 'with --base: estimate from the state database only, read neither PeopleSoft nor Zoho')
    .option('--offline-stats <file>', 'with --offline: estimate from these published counts instead of a state database (pull requests from forks)')
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
          const personal = personalLookup(o.offline ? undefined : cli.session);
          const personalOf = new Map<string, ReadonlySet<string>>();
          for (const m of cli.config.mappings.values()) personalOf.set(m.name, o.offline ? await personal(m) : new Set());
          const comparison = await planBaseComparison({
            configDir: o.config ?? DEFAULT_CONFIG_DIR, head: cli.config, baseRef: o.base, mode: o.offline ? 'offline' : 'online',
            readSource: (m, fields) => readFullSource(cli.session, m, { fields, ...(now !== undefined ? { now } : {}) }),
            zohoValues: async (m, keys, fields) => {
              if (mask) personalOf.set(m.name, await personal(m));
              return zohoValuesOf(cli.session, m, keys, fields);
            },
            state: cli.store,
            ...(o.offlineStats ? { stats: readOfflineStats(o.offlineStats) } : {}),
            // The samples' digests are keyed per run: nobody can test a guess against them.
            ...(mask ? { mask: { personal: (m: Mapping) => personalOf.get(m.name) ?? new Set<string>(), key: randomBytes(16).toString('hex') } } : {}),
          });
          baseText = o.markdown ? renderBaseComparisonMarkdown(comparison) : renderBaseComparison(comparison);
        }
        if (o.offline) {
          await writeChunks([baseText]);
          ctx.setExitCode(EXIT.ok);
          return;
        }
        const stamp = await configStamp(o.config ?? DEFAULT_CONFIG_DIR);
        const progress = startProgress();
        let outcome;
        try {
          outcome = await runReconcile(cli.session, {
            apply: false, trigger: 'cli', holder: `ml-connector plan (pid ${process.pid})`,
            ...(o.mapping ? { mappings: o.mapping } : {}), ...(o.full ? { full: true } : {}),
            ...(o.allowLargeChange ? { allowLargeChange: true } : {}), ...(now !== undefined ? { now } : {}),
            ...stamp,
            onMapping: (e) => { if (e.phase === 'start') progress.planning(e.mapping); else progress.clear(); },
            onPlan: async (view) => {
              progress.end();
              if (o.out) {
                try {
                  await savePlan(view, o.out);
                } catch (err) {
                  throw unwritablePlan(o.out, (err as Error).message);
                }
              }
              await printPlan(view, { ...o, mask, ...(baseText ? { preamble: baseText } : {}) });
            },
          });
        } finally {
          progress.end();
        }
        if (outcome.error) throw new MlError(outcome.error.code, outcome.error.message, outcome.error.hint ? { hint: outcome.error.hint } : {});
        if (o.out && !o.json && !o.markdown) process.stderr.write(`Saved the plan to ${o.out}; apply it with: ml-connector apply ${o.out}\n`);
        const failed = outcome.mappings.filter((m) => m.status === 'failed');
        for (const m of failed) process.stderr.write(`Mapping ${m.name} could not be planned: ${m.error?.message ?? 'failed'}${m.error?.hint ? `\n  ${m.error.hint}` : ''}\n`);
        const changes = !outcome.noChanges;
        ctx.setExitCode(failed.length > 0 ? EXIT.error : o.detailedExitcode && changes ? EXIT.changes : EXIT.ok);
      } finally {
        await cli.close();
      }
    });
  addExamples(cmd, PLAN_EXAMPLES);
}
