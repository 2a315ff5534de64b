/**
 * `ml-connector check`, PeopleSoft part: one cheap authenticated call per reader (maxrows=1, a
 * one-row page, or the CI Find), reporting reachability, auth mode, latency and rows visible, with
 * a diagnosis for what usually goes wrong: DNS, refused connection, TLS, 401, 404, zero rows.
 */
import type { Dispatcher } from 'undici';
import { peopleSoftSource } from '../config/source.js';
import { zohoFieldsBySource } from '../config/source-columns.js';
import type { Mapping, PeopleSoftConnection } from '../config/types.generated.js';
import type { CheckResult, SourceEntity } from '../model/index.js';
import { describeError, isMlError } from '../support/errors.js';
import type { Clock } from '../support/clock.js';
import type { Logger } from '../support/log.js';
import type { PsCredentials } from './auth.js';
import { createPeopleSoftClient, type PeopleSoftClient } from './client.js';
import { resolveNormalization } from './codes.js';
import { createRenamer, type ColumnMap } from './columns.js';
import type { PsRow } from './rows.js';
import { readCiKeys } from './read-ci.js';
import { readQasPages } from './read-qas.js';
import { readRestPages } from './read-rest.js';
import { placeholderValues, queryGapProblems } from './read.js';
import { computeReadWindow } from './window.js';

export interface CheckContext {
  credentials: PsCredentials;
  clock?: Clock;
  logger?: Logger;
  dispatcher?: Dispatcher;
  /**
   * The mappings of the configuration: a reader whose real columns cannot feed a field one of the
   * mappings reading it writes is a warning naming the column and the Zoho fields. Without them,
   * every field counts.
   */
  mappings?: readonly Mapping[];
}

const DIAGNOSIS: Record<string, string> = {
  PS_DNS: 'The host name does not resolve: check baseUrl, and DNS from where ml-connector runs (PeopleSoft is often reachable only inside the customer network).',
  PS_REFUSED: 'Nothing listens on that host and port: check the port in baseUrl and that the PeopleSoft web server is up and not blocked by a firewall.',
  PS_TLS: 'The TLS handshake failed: set tls.caFile to the CA that signed the server certificate, and check the host name matches it.',
  PS_TIMEOUT: 'PeopleSoft did not answer in time: check the server load, or raise timeouts.requestMs.',
  PS_NOT_FOUND: 'Wrong node or operation: check `node` (PSFT_HR for HCM, PSFT_EP for FSCM as delivered) and that the query or service operation is published and active.',
  PS_UNAUTHORIZED: 'Authentication or permission failed (PeopleSoft answers 401 for both): check the OPRID is unlocked, the password, the permission list (PTPT2200 for QAS) and the query access groups.',
  PS_OAUTH_FAILED: 'The identity provider refused the client credentials: check clientId, clientSecret, scope and audience.',
  PS_QUERY_FAILED: 'The query ran but PeopleSoft reported an error: check the query name, that it is public, and that the prompts match its unique prompt names in order.',
  PS_IB_ERROR: 'The gateway answered 200 with an Integration Broker error: see the message and the IB monitor.',
};

async function probe(client: PeopleSoftClient, conn: PeopleSoftConnection, entity: SourceEntity, now: number): Promise<{ rows: number; exact: boolean; call: string; sample: PsRow[] }> {
  const reader = conn.readers[entity]!;
  const timeZone = conn.normalization?.serverTimezone ?? 'UTC';
  const ctx = { values: placeholderValues(computeReadWindow({ now, full: true }), timeZone), timeZone, pageSize: 1, firstPageOnly: true };
  if (reader.kind === 'ci') {
    const keys = await readCiKeys(client, reader);
    return { rows: keys.length, exact: true, call: `CI ${reader.component} Find`, sample: [] };
  }
  const pages = reader.kind === 'qas' ? readQasPages(client, reader, ctx) : readRestPages(client, reader, ctx);
  const rename = createRenamer(reader.columns as ColumnMap | undefined);
  const sample: PsRow[] = [];
  for await (const page of pages) sample.push(...page.map(rename));
  return { rows: sample.length, exact: false, call: reader.kind === 'qas' ? `query ${reader.query} (maxrows=1)` : `operation ${reader.operation} (page size 1)`, sample };
}

/** Source field → Zoho fields, over the mappings that read this connection's entity (undefined: no mappings given). */
function zohoFieldsOf(conn: PeopleSoftConnection, entity: SourceEntity, mappings: readonly Mapping[] | undefined): Record<string, string[]> | undefined {
  if (mappings === undefined) return undefined;
  const out: Record<string, string[]> = {};
  for (const m of mappings) {
    const ps = peopleSoftSource(m);
    if (ps === undefined || ps.connection !== conn.name || ps.entity !== entity) continue;
    for (const [source, zoho] of Object.entries(zohoFieldsBySource(m))) out[source] = [...new Set([...(out[source] ?? []), ...zoho.map((z) => `${m.target.module}.${z}`)])];
  }
  return out;
}

export async function checkPeopleSoftConnection(configured: PeopleSoftConnection, ctx: CheckContext): Promise<CheckResult[]> {
  // A check should answer quickly: one retry at most, so a dead host is reported in seconds.
  const conn: PeopleSoftConnection = { ...configured, retry: { ...configured.retry, maxAttempts: Math.min(2, configured.retry?.maxAttempts ?? 2), baseDelayMs: 200 } };
  const entities = (Object.keys(conn.readers) as SourceEntity[]).filter((e) => conn.readers[e] !== undefined);
  const results: CheckResult[] = [];
  let client: PeopleSoftClient;
  try {
    client = createPeopleSoftClient(conn, {
      credentials: ctx.credentials,
      ...(ctx.clock ? { clock: ctx.clock } : {}),
      ...(ctx.logger ? { logger: ctx.logger } : {}),
      ...(ctx.dispatcher ? { dispatcher: ctx.dispatcher } : {}),
    });
  } catch (err) {
    return [{ target: conn.name, status: 'error', summary: describeError(err), ...(isMlError(err) && err.hint ? { diagnosis: err.hint } : {}), details: { code: isMlError(err) ? err.code : 'ERROR' } }];
  }
  const now = ctx.clock?.now() ?? Date.now();
  const tlsOff = conn.tls?.rejectUnauthorized === false;
  try {
    for (const entity of entities) {
      const target = `${conn.name}/${entity}`;
      const started = Date.now();
      const callsBefore = client.calls;
      try {
        const { rows, exact, call, sample } = await probe(client, conn, entity, now);
        const latencyMs = Date.now() - started;
        const reader = conn.readers[entity]!;
        const what = reader.kind === 'qas' ? `query ${reader.query}` : reader.kind === 'rest' ? `operation ${reader.operation}` : `CI ${reader.component}`;
        const norm = resolveNormalization(conn, '2000-01-01', reader.changeDetection?.cursorField ?? 'LASTUPDDTTM');
        const gaps = sample.length > 0 ? queryGapProblems(entity, sample, norm, what, zohoFieldsOf(conn, entity, ctx.mappings)) : [];
        const details = {
          authMode: client.authMode, latencyMs, rows, call, calls: client.calls - callsBefore, node: conn.node ?? 'PSFT_HR',
          ...(tlsOff ? { tlsVerification: false } : {}),
          ...(gaps.length > 0 ? { missingColumns: gaps.map((g) => g.field) } : {}),
        };
        const visible = rows === 0 ? 'no rows visible' : exact ? `${rows} rows visible` : 'rows visible';
        const summary = `reachable, ${client.authMode} auth, ${latencyMs} ms, ${visible}${gaps.length > 0 ? `, lacks ${gaps.map((g) => g.field).join(', ')}` : ''}`;
        if (gaps.length > 0) {
          results.push({ target, status: 'warning', summary, details, diagnosis: gaps.map((g) => g.message).join('\n') });
        } else if (rows === 0) {
          results.push({
            target, status: 'warning', summary, details,
            diagnosis: 'The call worked but returned no rows. Row-level security may hide them (the user\'s business units, department security or query security records), or the query criteria select nothing. Compare with the same query run in PeopleSoft as this user.',
          });
        } else if (tlsOff) {
          results.push({ target, status: 'warning', summary, details, diagnosis: 'TLS certificate checking is off: use tls.caFile instead, except on a test system.' });
        } else {
          results.push({ target, status: 'ok', summary, details });
        }
      } catch (err) {
        const code = isMlError(err) ? err.code : 'ERROR';
        results.push({
          target, status: 'error', summary: describeError(err),
          diagnosis: DIAGNOSIS[code] ?? (isMlError(err) && err.hint ? err.hint : 'See the message.'),
          details: { code, authMode: client.authMode, latencyMs: Date.now() - started, node: conn.node ?? 'PSFT_HR', ...(isMlError(err) ? err.meta : {}) },
        });
      }
    }
  } finally {
    await client.close();
  }
  return results;
}
