import type { Command } from 'commander';
import { loadValidConfig, resolveCredential, DEFAULT_CONFIG_DIR, type Config, type SecretSource } from '../../config/index.js';
import type { PeopleSoftConnection } from '../../config/types.generated.js';
import type { CheckResult } from '../../model/index.js';
import { checkPeopleSoftConnection, type PsCredentials } from '../../peoplesoft/index.js';
import { describeError, isMlError } from '../../support/errors.js';
import { createLogger } from '../../support/log.js';
import { scrub } from '../../support/redact.js';
import { checkZohoConnection } from '../../zoho/check.js';
import { checkSharedOrgs } from '../../zoho/shared-org.js';
import { resolveZohoCredentials } from '../../zoho/setup.js';
import type { CommandContext } from '../shared/context.js';
import { EXIT, paint, useColor } from '../output.js';
import { addExamples } from '../shared/help.js';
import { lazyState } from '../shared/state.js';

async function psCredentials(conn: PeopleSoftConnection, secrets: SecretSource): Promise<PsCredentials> {
  const what = (k: string): { secrets: SecretSource; what: string } => ({ secrets, what: `${conn.name} auth.${k}` });
  if (conn.auth.type === 'basic') return { password: await resolveCredential(conn.auth.password, what('password')) };
  if (conn.auth.token && !conn.auth.tokenUrl) return { token: await resolveCredential(conn.auth.token, what('token')) };
  return { clientSecret: await resolveCredential(conn.auth.clientSecret ?? '', what('clientSecret')) };
}

const failed = (target: string, err: unknown): CheckResult => ({
  target,
  status: 'error',
  summary: describeError(err),
  ...(isMlError(err) && err.hint ? { diagnosis: err.hint } : {}),
  details: isMlError(err) ? { code: err.code } : {},
});

/** Every connection of the config, probed; PeopleSoft and Zoho in parallel. */
export async function runChecks(config: Config, secrets: SecretSource, only?: string, o: { createFields?: boolean } = {}): Promise<CheckResult[]> {
  const logger = createLogger({ level: 'warn' });
  const mappings = [...config.mappings.values()];
  const jobs: Array<Promise<CheckResult[]>> = [];
  for (const conn of config.peoplesoft.values()) {
    if (only && conn.name !== only) continue;
    jobs.push(
      Promise.resolve().then(() => { config.requireEnv('PeopleSoftConnection', conn.name); return psCredentials(conn, secrets); }).then(
        (credentials) => checkPeopleSoftConnection(conn, { credentials, logger, mappings }),
        (err: unknown) => [failed(`peoplesoft/${conn.name}`, err)],
      ),
    );
  }
  for (const conn of config.zoho.values()) {
    if (only && conn.name !== only) continue;
    jobs.push(
      Promise.resolve().then(() => { config.requireEnv('ZohoConnection', conn.name); return resolveZohoCredentials(conn, { secrets }); }).then(
        (credentials) =>
          checkZohoConnection(conn, mappings, {
            credentials,
            logger,
            locate: (m) => (path) => config.locate('Mapping', m.name, path),
            ...(o.createFields ? { createFields: true } : {}),
          }),
        (err: unknown) => [failed(`zoho/${conn.name}/auth`, err)],
      ),
    );
  }
  const results = (await Promise.all(jobs)).flat();
  return [...results, ...checkSharedOrgs(results, mappings)];
}

export function renderChecks(results: CheckResult[], color: boolean): string {
  const c = paint(color);
  const width = Math.max(10, ...results.map((r) => r.target.length));
  const lines = results.map((r) => {
    const mark = r.status === 'ok' ? c('green', 'ok     ') : r.status === 'warning' ? c('yellow', 'warning') : c('red', 'error  ');
    const diagnosis = r.diagnosis && r.status !== 'ok' ? '\n' + r.diagnosis.split('\n').map((l) => `          ${c('gray', l)}`).join('\n') : '';
    return `${mark} ${r.target.padEnd(width)}  ${r.summary}${diagnosis}`;
  });
  const errors = results.filter((r) => r.status === 'error').length;
  const warnings = results.filter((r) => r.status === 'warning').length;
  lines.push('', errors ? c('red', `${errors} check(s) failed`) + (warnings ? `, ${warnings} warning(s)` : '') : c('green', `all ${results.length} checks passed`) + (warnings ? ` (${warnings} warning(s))` : ''));
  return lines.join('\n');
}

export function register(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('check')
    .description('Probe every connection with cheap calls: PeopleSoft readers, Zoho token, user, org, modules, mapping fields, credits')
    .option('-c, --config <dir>', 'configuration directory', DEFAULT_CONFIG_DIR)
    .option('--connection <name>', 'only this connection')
    .option('--state <path>', "state database holding ${secret:} values (default: the Project's state.path)")
    .option('--create-fields', "create the custom fields the mappings write and Zoho lacks (needs the scope ZohoCRM.settings.fields.ALL); without it, check prints them as a checklist")
    .option('--json', 'print { ok, results } as JSON (schema/output/check.schema.json)')
    .action(async (opts: { config: string; connection?: string; state?: string; json?: boolean; createFields?: boolean }) => {
      const config = await loadValidConfig(opts.config);
      const state = lazyState({ config: opts.config, ...(opts.state ? { state: opts.state } : {}) }, false);
      try {
        const results = await runChecks(config, state, opts.connection, { createFields: opts.createFields === true });
        const ok = !results.some((r) => r.status === 'error');
        if (!ok) ctx.setExitCode(EXIT.error);
        process.stdout.write(scrub(opts.json ? JSON.stringify({ ok, results }, null, 2) : renderChecks(results, useColor())) + '\n');
      } finally {
        await state.close();
      }
    });
  addExamples(cmd, [
    'check -c configs',
    'check --connection zoho --json',
    'check --create-fields                        # a fresh Zoho org: create PeopleSoft_Employee_ID, ...',
  ], 'Exit status: 0 when no check failed (warnings allowed), 1 otherwise.');
}
