import type { Dispatcher } from 'undici';
import type { Mapping, ZohoConnection } from '../config/types.generated.js';
import type { CheckResult } from '../model/index.js';
import type { Clock } from '../support/clock.js';
import { describeError, isMlError } from '../support/errors.js';
import type { Logger } from '../support/log.js';
import { createZohoClient, type ZohoCredentials } from './client.js';
import { checkMappingAgainstFields, type Locate, type ZohoField } from './fields.js';
import { describeNeededField, planMissingFields, type NeededField } from './field-plan.js';
import type { ZohoClient } from './client.js';
import { resolveZohoUrls } from './regions.js';
import type { TokenCache } from './token-cache.js';

export interface ZohoCheckContext {
  credentials: ZohoCredentials;
  clock?: Clock;
  logger?: Logger;
  dispatcher?: Dispatcher;
  /** Where tokens are kept between runs (default: the user's token cache; `false`: none). */
  tokenCache?: TokenCache | false;
  /** Source positions of a mapping's nodes, so field issues name the mapping line. */
  locate?: (mapping: Mapping) => Locate | undefined;
  /** Create the custom fields the mappings need and the modules lack (`check --create-fields`). */
  createFields?: boolean;
}

/** What to check when Zoho could not be reached at all (the transport error carries no hint). */
const UNREACHABLE: Record<string, string> = {
  HTTP_NETWORK: 'Zoho could not be reached: check `region` (or the accountsUrl/apiUrl overrides) of the Zoho connection, and that this host may reach Zoho through its proxy and firewall.',
};

const failure = (target: string, err: unknown, details: Record<string, unknown> = {}): CheckResult => {
  const diagnosis = isMlError(err) ? (err.hint ?? UNREACHABLE[err.code]) : undefined;
  return {
    target,
    status: 'error',
    summary: describeError(err),
    ...(diagnosis ? { diagnosis } : {}),
    details: { ...details, ...(isMlError(err) ? { code: err.code } : {}) },
  };
};

/** The fields to create, as lines a person can follow in Setup (or `check --create-fields` does). */
function checklist(needed: readonly NeededField[]): string[] {
  if (needed.length === 0) return [];
  return ['Create in Zoho (Setup > Modules and Fields, or run `ml-connector check --create-fields`):', ...needed.map((f) => `  [ ] ${describeNeededField(f)}`)];
}

/**
 * `check --create-fields`, one module: create what its mappings write and it lacks, then read
 * the fields again and confirm each came out under the API name the mapping uses.
 */
async function createMissingFields(client: ZohoClient, base: string, module: string, mine: readonly Mapping[], all: readonly Mapping[]): Promise<CheckResult> {
  const target = `${base}/${module} fields`;
  try {
    const needed = planMissingFields(module, mine, await client.getFields(module), all);
    if (needed.length === 0) return { target, status: 'ok', summary: 'every field the mappings write exists; nothing to create', details: { module, created: [] } };
    const created = await client.createFields(module, needed);
    const after: ZohoField[] = await client.getFields(module);
    const problems = created.filter((c) => !c.ok).map((c) => `${c.apiName}: ${c.code}${c.message ? ` (${c.message})` : ''}`);
    for (const c of created.filter((x) => x.ok)) {
      if (!after.some((f) => f.apiName === c.apiName)) {
        const actual = after.find((f) => f.label === c.label)?.apiName;
        problems.push(`${c.apiName}: Zoho named the new field ${actual ?? 'differently'}; rename its API name in Setup to ${c.apiName}, or change the mapping`);
      }
    }
    const ok = created.filter((c) => c.ok).map((c) => c.apiName);
    return {
      target,
      status: problems.length ? 'error' : 'ok',
      summary: `${ok.length} of ${needed.length} custom fields created${ok.length ? `: ${ok.join(', ')}` : ''}`,
      ...(problems.length ? { diagnosis: problems.join('\n') } : {}),
      details: { module, created: created.map((c) => ({ ...c, ...needed.find((n) => n.apiName === c.apiName) })) },
    };
  } catch (err) {
    const scope = isMlError(err) && /SCOPE/.test(err.code);
    return {
      ...failure(target, err, { module }),
      ...(scope ? { diagnosis: 'Creating fields needs the scope ZohoCRM.settings.fields.ALL (or .CREATE), which ml-connector does not ask for by default. Add it to auth.scopes and run `ml-connector auth zoho` again, or create the fields by hand from the checklist `ml-connector check` prints.' } : {}),
    };
  }
}

/**
 * `ml-connector check`, Zoho part: a token (kept from an earlier run, or one refresh), who we are, which org and modules, the
 * mappings' fields against Zoho's metadata (external-id fields exist and are unique), and the
 * credits Zoho reports. Reads only; costs a handful of API credits.
 */
export async function checkZohoConnection(conn: ZohoConnection, mappings: Mapping[], ctx: ZohoCheckContext): Promise<CheckResult[]> {
  // Named like the PeopleSoft checks: the connection, then what was probed.
  const base = conn.name;
  const results: CheckResult[] = [];
  let client;
  try {
    const urls = resolveZohoUrls(conn);
    client = createZohoClient(conn, {
      credentials: ctx.credentials,
      ...(ctx.clock ? { clock: ctx.clock } : {}),
      ...(ctx.logger ? { logger: ctx.logger } : {}),
      ...(ctx.dispatcher ? { dispatcher: ctx.dispatcher } : {}),
      ...(ctx.tokenCache !== undefined ? { tokenCache: ctx.tokenCache } : {}),
    });
    const started = Date.now();
    const { apiDomain, reused, expiresAt } = await client.connect();
    // A kept token still proves the grant: revoking a refresh token revokes its access tokens, so
    // the calls below would fail and refresh. Asking Zoho anyway would spend its 10-per-10-minutes.
    const how = reused
      ? `token kept from an earlier run (valid until ${new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z')}), no token request`
      : `token obtained (${conn.auth.type}) from ${urls.accountsUrl} in ${Date.now() - started} ms`;
    results.push({
      target: `${base}/auth`,
      status: 'ok',
      summary: `${how}; API domain ${apiDomain}`,
      details: { accountsUrl: urls.accountsUrl, apiDomain, grant: conn.auth.type, region: conn.region, tokenReused: reused },
    });
  } catch (err) {
    results.push(failure(`${base}/auth`, err, { region: conn.region }));
    await client?.close();
    return results;
  }

  try {
    const user = await client.getCurrentUser();
    results.push({
      target: `${base}/user`,
      status: 'ok',
      summary: `acting as ${user.fullName ?? user.id}${user.email ? ` <${user.email}>` : ''}${user.profile ? `, profile ${user.profile}` : ''}`,
      details: { userId: user.id, ...(user.profile ? { profile: user.profile } : {}), ...(user.role ? { role: user.role } : {}) },
    });
  } catch (err) {
    results.push(failure(`${base}/user`, err));
  }

  try {
    const org = await client.getOrg();
    results.push({
      target: `${base}/org`,
      status: 'ok',
      summary: `organisation ${org.companyName ?? org.id} (id ${org.id})${org.edition ? `, edition ${org.edition}` : ''}`,
      details: { orgId: org.id, ...(org.edition ? { edition: org.edition } : {}), ...(org.timeZone ? { timeZone: org.timeZone } : {}) },
    });
  } catch (err) {
    results.push(failure(`${base}/org`, err));
  }

  const mine = mappings.filter((m) => m.target.connection === conn.name);
  let available: Set<string> | undefined;
  try {
    const modules = (await client.getModules()).filter((m) => m.apiSupported);
    available = new Set(modules.map((m) => m.apiName));
    const needed = [...new Set(mine.map((m) => m.target.module))];
    const missing = needed.filter((m) => !available!.has(m));
    const vendors = available.has('Vendors');
    results.push({
      target: `${base}/modules`,
      status: missing.length ? 'error' : 'ok',
      summary: missing.length
        ? `module(s) ${missing.join(', ')} not available to the API in this organisation`
        : `${modules.length} modules available; ${needed.length ? `${needed.join(', ')} present` : 'no mapping targets this connection'}; Vendors ${vendors ? 'available' : 'not available (Professional edition and above)'}`,
      ...(missing.length ? { diagnosis: missing.includes('Vendors') ? 'Vendors exists from the Professional edition up; map vendors to Accounts instead, or upgrade' : 'check the module API name (case-sensitive) in the mapping' } : {}),
      details: { modules: modules.map((m) => m.apiName), vendors, ...(missing.length ? { missing } : {}) },
    });
  } catch (err) {
    results.push(failure(`${base}/modules`, err));
  }

  if (ctx.createFields) {
    for (const module of [...new Set(mine.map((m) => m.target.module))]) {
      if (available && !available.has(module)) continue;
      results.push(await createMissingFields(client, base, module, mine, mappings));
    }
  }

  for (const mapping of mine) {
    const target = `${base}/${mapping.target.module} (${mapping.name})`;
    if (available && !available.has(mapping.target.module)) continue;
    try {
      const fields = await client.getFields(mapping.target.module);
      const issues = checkMappingAgainstFields(mapping, fields, ctx.locate?.(mapping));
      const needed = issues.some((i) => i.code === 'ZOHO_FIELD_UNKNOWN') ? planMissingFields(mapping.target.module, [mapping], fields, mappings) : [];
      const errors = issues.filter((i) => i.severity === 'error');
      const warnings = issues.filter((i) => i.severity === 'warning');
      const ext = fields.find((f) => f.apiName === mapping.externalId.field);
      results.push({
        target,
        status: errors.length ? 'error' : warnings.length ? 'warning' : 'ok',
        summary: errors.length || warnings.length
          ? `${errors.length} error(s), ${warnings.length} warning(s) in the mapping's fields`
          : `${mapping.fields.length} mapped fields match Zoho; external id ${mapping.externalId.field} is ${ext?.external ? 'external' : 'unique'}`,
        ...(issues.length ? { diagnosis: [...issues.map((i) => i.message), ...checklist(needed)].join('\n') } : {}),
        details: { module: mapping.target.module, fields: fields.length, issues, ...(needed.length ? { neededFields: needed } : {}) },
      });
    } catch (err) {
      results.push(failure(target, err));
    }
  }

  const stats = client.stats();
  results.push({
    target: `${base}/credits`,
    status: 'ok',
    summary:
      stats.creditsRemaining !== undefined
        ? `${stats.creditsRemaining} API credits remaining in the rolling 24 h window (this check used about ${stats.credits})`
        : `remaining credits not reported (Zoho reports them once half are used); this check used about ${stats.credits}`,
    details: { creditsUsed: stats.credits, calls: stats.calls, ...(stats.creditsRemaining !== undefined ? { creditsRemaining: stats.creditsRemaining } : {}) },
  });
  await client.close();
  return results;
}
