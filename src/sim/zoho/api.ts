import type { IncomingMessage } from 'node:http';
import { runCoql } from './coql.js';
import { zohoError, json, parseJsonBody, type Reply } from './http-io.js';
import { creditCost, SUB_CONCURRENCY, type CreditMeter } from './limits.js';
import type { Notifier } from './notifications.js';
import type { Org } from './org.js';
import type { RecordReader } from './records-read.js';
import { countRecords, handleDelete, handleWrite, parseSinceHeader, type WriteOp } from './records-write.js';
import { scopesFor, type Route } from './routes.js';
import { getFields, getModules, getOrg, getUsers, missingModule } from './settings-api.js';
import { createFields } from './fields-create.js';
import type { TokenRegistry } from './tokens.js';
import type { ModuleStore } from './store.js';

/**
 * The CRM API pipeline for one request: token, scope, module, body, limits (concurrency,
 * credits), injected latency and error rate, then the endpoint itself.
 */

export interface ApiContext {
  org: Org;
  tokens: TokenRegistry;
  reader: RecordReader;
  notifier: Notifier;
  credits: CreditMeter;
  concurrencyLimit: number;
  orgId: string;
  random: () => number;
  latencyMs: number;
  jitterMs: number;
  errorRate: number;
  inFlight: { all: number; heavy: number };
}

export interface ApiOutcome {
  reply: Reply;
  records?: number;
  credits?: number;
  /** Time spent in the endpoint itself (no latency, no waiting), wall and CPU. */
  serverMs: number;
  serverCpuMs?: number;
  /** The module a COQL query reads (its path names none), for the request log. */
  module?: string;
}

const tooMany = (message: string): Reply => zohoError(429, 'TOO_MANY_REQUESTS', message);

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function checkAuth(ctx: ApiContext, req: IncomingMessage, route: Route): Reply | undefined {
  const auth = header(req, 'authorization');
  const m = auth ? /^Zoho-oauthtoken\s+(\S+)$/.exec(auth) : null;
  if (!m) return zohoError(401, 'AUTHENTICATION_FAILURE', 'Authentication failed');
  const token = ctx.tokens.check(m[1]!);
  if (!token) return zohoError(401, 'INVALID_TOKEN', 'invalid oauth token');
  const have = new Set(token.scopes.map((s) => s.toLowerCase()));
  const method = req.method ?? 'GET';
  let ok = scopesFor(route, method).some((s) => have.has(s));
  if (!ok && route.kind === 'upsert') {
    const mod = route.module?.toLowerCase();
    ok = ['create', 'update'].every((op) => have.has(`zohocrm.modules.${mod}.${op}`) || have.has(`zohocrm.modules.${op}`));
  }
  if (ok && route.kind === 'search' && ctx.org.quirks.searchNeedsSecureSearchScope) ok = have.has('zohosearch.securesearch.read');
  if (!ok) return zohoError(401, 'OAUTH_SCOPE_MISMATCH', 'Unauthorized');
  return undefined;
}

function externalField(store: ModuleStore, req: IncomingMessage): string | Reply | undefined {
  const raw = header(req, 'x-external');
  if (raw === undefined) return undefined;
  const [mod, field, extra] = raw.split('.');
  const def = field ? store.def.byName.get(field) : undefined;
  if (mod !== store.def.apiName || extra !== undefined || !def?.external) {
    return zohoError(400, 'INVALID_DATA', 'invalid data', { header_name: 'X-EXTERNAL' });
  }
  return field;
}

/** Heavy calls share the sub-concurrency of 10 (reference §4.3). */
function isHeavy(ctx: ApiContext, route: Route, records: number, query: URLSearchParams): boolean {
  if (route.kind === 'search' || route.kind === 'coql') return true;
  if ((route.kind === 'insert' || route.kind === 'update' || route.kind === 'upsert') && records > 10) return true;
  return route.kind === 'list' && ctx.org.quirks.sortByIsHeavy && query.get('sort_by') !== null;
}

export async function handleApi(ctx: ApiContext, req: IncomingMessage, url: URL, route: Route, rawBody: () => Promise<Buffer>, sleep: (ms: number) => Promise<void>): Promise<ApiOutcome> {
  const method = req.method ?? 'GET';
  const fail = (reply: Reply): ApiOutcome => ({ reply, serverMs: 0 });
  if (!route.methodOk) return fail(zohoError(400, 'INVALID_REQUEST_METHOD', 'The http request method type is not a valid one'));
  const denied = checkAuth(ctx, req, route);
  if (denied) return fail(denied);

  let store: ModuleStore | undefined;
  if (route.module !== undefined) {
    store = ctx.org.store(route.module);
    if (!store) return fail(missingModule(ctx.org, route.module));
  }
  let body: unknown;
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    const parsed = parseJsonBody(await rawBody());
    if (!parsed.ok) return fail(zohoError(400, 'INVALID_DATA', 'invalid data', { expected_data_type: 'jsonobject' }));
    body = parsed.value;
  }
  const records = route.kind === 'delete' ? deleteKeys(route, url).length : countRecords(body);

  // Limits: both concurrency counters already include this request.
  const heavy = isHeavy(ctx, route, records, url.searchParams);
  if (heavy) ctx.inFlight.heavy++;
  try {
    if (ctx.inFlight.all > ctx.concurrencyLimit) return fail(tooMany('You have reached the maximum concurrency limit'));
    if (heavy && ctx.inFlight.heavy > SUB_CONCURRENCY) return fail(tooMany('You have reached the maximum sub-concurrency limit'));
    const cost = creditCost(route.kind, records, route.kind === 'coql' ? coqlLimitOf(body) : undefined);
    if (!ctx.credits.trySpend(cost)) return fail(tooMany('You have exhausted the API credits for the day'));

    const delay = ctx.latencyMs + (ctx.jitterMs > 0 ? ctx.random() * ctx.jitterMs : 0);
    if (delay > 0) await sleep(delay);
    if (ctx.errorRate > 0 && ctx.random() < ctx.errorRate) {
      return { reply: zohoError(500, 'INTERNAL_ERROR', 'Internal Server Error'), credits: cost, serverMs: 0 };
    }
    const started = performance.now();
    const cpu = process.cpuUsage();
    const reply = dispatch(ctx, req, url, route, store, body);
    const cpuUsed = process.cpuUsage(cpu);
    const serverMs = performance.now() - started;
    const serverCpuMs = (cpuUsed.user + cpuUsed.system) / 1000;
    const used = ctx.credits.used();
    if (ctx.org.quirks.creditsHeader && used * 2 >= ctx.credits.daily) {
      reply.headers = { ...(reply.headers ?? {}), 'X-API-CREDITS-REMAINING': String(Math.max(0, ctx.credits.daily - used)) };
    }
    const coqlModule = route.kind === 'coql' ? coqlModuleOf(body) : undefined;
    return { reply, records, credits: cost, serverMs, serverCpuMs, ...(coqlModule !== undefined ? { module: coqlModule } : {}) };
  } finally {
    if (heavy) ctx.inFlight.heavy--;
  }
}

function deleteKeys(route: Route, url: URL): string[] {
  if (route.key !== undefined) return [route.key];
  const ids = url.searchParams.get('ids');
  return ids === null ? [] : ids.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function dispatch(ctx: ApiContext, req: IncomingMessage, url: URL, route: Route, store: ModuleStore | undefined, body: unknown): Reply {
  const q = url.searchParams;
  const onChange = (module: string, op: 'insert' | 'update' | 'delete', ids: string[], affected: Map<string, string[]>): void =>
    ctx.notifier.emit(module, op, ids, affected, true);
  switch (route.kind) {
    case 'fields':
      return req.method === 'POST' ? createFields(ctx.org, q, body) : getFields(ctx.org, q, route.fieldId);
    case 'modules':
      return getModules(ctx.org, header(req, 'if-modified-since'));
    case 'users':
      return getUsers(ctx.org, q, ctx.org.users[0]!.id);
    case 'org':
      return getOrg(ctx.org, ctx.orgId);
    case 'watch':
      return ctx.notifier.handle(req.method ?? 'GET', q, body);
    case 'coql':
      return runCoql(ctx.org, body);
  }
  if (!store) return zohoError(404, 'INVALID_URL_PATTERN', 'Please check if the URL trying to access is a correct one');
  const ext = externalField(store, req);
  if (ext !== undefined && typeof ext !== 'string') return ext;
  const read = { query: q, ...(ext ? { externalField: ext } : {}) };
  switch (route.kind) {
    case 'list': {
      const ims = header(req, 'if-modified-since');
      return ctx.reader.list(store, ims === undefined ? read : { ...read, ifModifiedSince: ims });
    }
    case 'get':
      return ctx.reader.get(store, route.key!, read);
    case 'search':
      return ctx.reader.search(store, read);
    case 'count':
      return json(200, { count: store.size });
    case 'deleted':
      return ctx.reader.deleted(store, q);
    case 'delete':
      return handleDelete(ctx.org, store, deleteKeys(route, url), ext, onChange);
    case 'insert':
    case 'update':
    case 'upsert': {
      const ius = parseSinceHeader(header(req, 'if-unmodified-since'));
      if (ius === 'invalid') return zohoError(400, 'INVALID_DATA', 'invalid data', { header_name: 'If-Unmodified-Since' });
      // PUT /{module}/{id} carries one record; the path names it.
      if (route.kind === 'update' && route.key !== undefined) {
        const data = (body as { data?: unknown } | undefined)?.data;
        if (Array.isArray(data) && data.length > 1) return zohoError(400, 'LIMIT_EXCEEDED', 'limit exceeded', { api_name: 'data', limit: 1 });
      }
      return handleWrite(ctx.org, store, {
        op: route.kind as WriteOp,
        body,
        ...(route.key !== undefined ? { pathId: route.key } : {}),
        ...(ext ? { externalField: ext } : {}),
        ...(ius !== undefined ? { ifUnmodifiedSince: ius } : {}),
      }, onChange);
    }
    default:
      return json(404, { code: 'INVALID_URL_PATTERN', details: {}, message: 'Please check if the URL trying to access is a correct one', status: 'error' });
  }
}

/** The module after FROM in a COQL query. */
function coqlModuleOf(body: unknown): string | undefined {
  const q = (body as { select_query?: unknown } | undefined)?.select_query;
  return typeof q === 'string' ? /\bfrom\s+([A-Za-z0-9_]+)/i.exec(q)?.[1] : undefined;
}

/** The LIMIT of a COQL query (its credit cost depends on it); 200 when absent. */
function coqlLimitOf(body: unknown): number {
  const q = (body as { select_query?: unknown } | undefined)?.select_query;
  const m = typeof q === 'string' ? /\blimit\s+(?:\d+\s*,\s*)?(\d+)/i.exec(q) : null;
  return m ? Number(m[1]) : 200;
}
