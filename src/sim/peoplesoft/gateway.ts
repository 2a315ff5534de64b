import type { IncomingMessage, ServerResponse } from 'node:http';
import { sleep, type Clock } from '../../support/clock.js';
import { toPsDate } from '../dataset/dates.js';
import type { ScenarioDayReport } from '../dataset/scenario.js';
import type { PeopleSoftDataset } from '../dataset/types.js';
import { authenticate, isPermitted, type TokenIssuer } from './auth.js';
import { findVendors, getVendor, listEmployeeChanges, type OperationContext } from './operations.js';
import { QUERIES, executeQuery, type Outcome } from './qas.js';
import { renderErrorPage, renderIbError, type RenderOptions } from './render.js';
import { handleTokenRequest, jwksBody, metadataBody } from './token-endpoint.js';
import type { FaultPlan, RequestRecorder } from './traffic.js';
import { GATEWAY_KINDS } from './traffic.js';
import type { PeopleSoftQuirks, PsUser, RequestKind, RowEffects } from './types.js';

export interface GatewayState {
  data: PeopleSoftDataset;
  clock: Clock;
  nodes: { hcm: string; fscm: string };
  users: PsUser[];
  quirks: Required<Omit<PeopleSoftQuirks, 'maxRowsCap'>> & { maxRowsCap: number | undefined };
  recorder: RequestRecorder;
  faults: FaultPlan;
  issuer: () => TokenIssuer;
  oauthClient: { clientId: string; clientSecret: string; oprid: string };
  /** Apply one scenario day (the simulator's own control route, not a PeopleSoft one). */
  nextDay: () => ScenarioDayReport;
}

const GATEWAY_PREFIX = '/PSIGW/RESTListeningConnector/';
const HTML = 'text/html; charset=UTF-8';

interface Route {
  kind: RequestKind;
  /** Runs after faults; gateway routes authenticate inside. */
  run(effects: RowEffects): Promise<Outcome & { user?: string }>;
}

const page = (status: number, title: string, detail: string): Outcome => ({ status, contentType: HTML, body: renderErrorPage(status, title, detail) });

/** Serve one request: classify, apply faults and latency, run, record. */
export async function handleRequest(state: GatewayState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const seq = state.recorder.nextSeq();
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const rawQuery = q < 0 ? '' : rawUrl.slice(q + 1);
  const method = (req.method ?? 'GET').toUpperCase();
  let route: Route = { kind: 'unknown', run: async () => page(500, 'Internal Server Error', 'unclassified') };
  const record = (status: number, extra: { rows?: number; user?: string } = {}): void => {
    state.recorder.record({
      seq, method, path, query: Object.fromEntries(new URLSearchParams(rawQuery)), status,
      durationMs: performance.now() - started, cpuMs: cpuMillis(process.cpuUsage(cpuStart)), kind: route.kind, ...extra,
    });
  };
  try {
    const body = method === 'POST' ? await readBody(req) : '';
    route = classify(state, method, path, rawQuery, req.headers.authorization, body);
    const fired = state.faults.take(seq, route.kind, path);
    const gateway = GATEWAY_KINDS.has(route.kind);
    const delay = fired.reduce((sum, f) => sum + (f.delayMs ?? 0), 0) + (gateway ? state.faults.latency() : 0);
    if (delay > 0) await sleep(delay);
    if (fired.some((f) => f.reset)) {
      req.socket.destroy();
      record(0);
      return;
    }
    const statusFault = fired.find((f) => f.status !== undefined);
    let outcome: Outcome & { user?: string };
    const headers: Record<string, string> = {};
    if (statusFault?.status !== undefined) {
      outcome = page(statusFault.status, 'Error', 'Injected failure.');
      if (statusFault.retryAfter !== undefined) headers['retry-after'] = String(statusFault.retryAfter);
    } else if (gateway && state.faults.randomFailure()) {
      outcome = page(500, 'Internal Server Error', 'Integration Gateway error.');
    } else if (fired.some((f) => f.ibError)) {
      outcome = { status: 200, contentType: 'text/xml; charset=UTF-8', body: renderIbError('Integration Broker error (injected) (-1,-1) ML_SIM.OnExecute Name:onRequest') };
    } else {
      outcome = await route.run({
        zeroRows: fired.some((f) => f.zeroRows),
        keepRows: fired.find((f) => f.keepRows !== undefined)?.keepRows,
        dropRows: fired.find((f) => f.dropRows !== undefined)?.dropRows,
        rewind: fired.some((f) => f.rewind),
      });
    }
    if (fired.some((f) => f.truncateBody)) outcome = { ...outcome, body: outcome.body.slice(0, Math.floor(outcome.body.length / 2)) };
    const bytes = Buffer.from(outcome.body, 'utf8');
    res.writeHead(outcome.status, { 'content-type': outcome.contentType, 'content-length': bytes.length, ...headers });
    res.end(bytes);
    record(outcome.status, {
      ...(outcome.rows === undefined ? {} : { rows: outcome.rows }),
      ...(outcome.user === undefined ? {} : { user: outcome.user }),
    });
  } catch (err) {
    if (!res.headersSent) {
      const failure = page(500, 'Internal Server Error', err instanceof Error ? err.message : String(err));
      res.writeHead(500, { 'content-type': HTML });
      res.end(failure.body);
    } else {
      res.destroy();
    }
    record(500);
  }
}

function classify(state: GatewayState, method: string, path: string, rawQuery: string, authorization: string | undefined, body: string): Route {
  const fixed = (kind: RequestKind, outcome: Outcome): Route => ({ kind, run: async () => outcome });
  if (path === '/oauth2/v1/token') {
    if (method !== 'POST') return fixed('oauth-token', page(405, 'Method Not Allowed', 'Use POST.'));
    return { kind: 'oauth-token', run: () => handleTokenRequest(state.issuer(), state.oauthClient, authorization, body) };
  }
  if (path === '/oauth2/v1/keys') return fixed('oauth-keys', jwksBody(state.issuer()));
  if (path === '/.well-known/openid-configuration' || path === '/.well-known/oauth-authorization-server') {
    return fixed('oauth-metadata', metadataBody(state.issuer()));
  }
  if (path === '/sim/next-day') {
    if (method !== 'POST') return fixed('scenario', page(405, 'Method Not Allowed', 'Use POST.'));
    return { kind: 'scenario', run: async () => ({ status: 200, contentType: 'application/json; charset=UTF-8', body: JSON.stringify(state.nextDay()) }) };
  }
  if (!path.startsWith(GATEWAY_PREFIX)) return fixed('unknown', page(404, 'Not Found', `No such resource: ${path}`));

  const segments = path.slice(GATEWAY_PREFIX.length).split('/').map(decodeSegment);
  let node = segments[0] ?? '';
  let opSegment = segments[1] ?? '';
  let rest = segments.slice(2);
  if (state.quirks.allowMissingNode && /\.[vV]\d+$/.test(node)) {
    opSegment = node;
    rest = segments.slice(1);
    node = '';
  }
  const match = /^(.+)\.[vV](\d+)$/.exec(opSegment);
  const operation = match?.[1] ?? '';
  const kind = kindOf(operation);
  const notFound = fixed(kind, page(404, 'Not Found', `No service operation ${opSegment} on node ${node}.`));
  if (match === null || match[2] !== '1' || method !== 'GET') return notFound;
  const database = node === '' ? inferDatabase(operation, rest) : node === state.nodes.hcm ? 'hcm' : node === state.nodes.fscm ? 'fscm' : undefined;
  if (database === undefined || !operationsOf(database).includes(operation)) return notFound;

  return {
    kind,
    run: async (effects) => {
      const user = await authenticate(authorization, state.users, (token) => state.issuer().verify(token));
      if (user === undefined || !isPermitted(user, operation)) return page(401, 'Unauthorized', 'Unauthorized');
      const ctx: OperationContext = {
        data: state.data,
        today: toPsDate(state.clock.now()),
        user,
        database,
        render: renderOptions(state),
        queryErrorStatus: state.quirks.queryErrorStatus,
        splitEncodedCommas: state.quirks.splitEncodedCommas,
        jsonRequiresJsonResp: state.quirks.jsonRequiresJsonResp,
        maxRowsCap: state.quirks.maxRowsCap,
        effects,
        changedRowsOnly: state.quirks.changedRowsOnly,
        omitColumns: state.quirks.omitColumns,
        controlCharsInNames: state.quirks.controlCharsInNames,
        ciNotFoundStatus: state.quirks.ciNotFoundStatus,
        ciHistoryItems: state.quirks.ciHistoryItems,
      };
      const outcome =
        operation === 'ExecuteQuery' ? executeQuery(rest, rawQuery, ctx)
        : operation === 'ML_EMPL_CHANGES' ? listEmployeeChanges(rest, rawQuery, ctx)
        : operation === 'CIRT_VENDOR_CI_F_GET' ? findVendors(rest, ctx)
        : getVendor(rest, ctx);
      return { ...(outcome ?? page(404, 'Not Found', `No resource ${rest.join('/')} for ${opSegment}.`)), user: user.oprid };
    },
  };
}

function cpuMillis(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

function kindOf(operation: string): RequestKind {
  switch (operation) {
    case 'ExecuteQuery': return 'qas';
    case 'ML_EMPL_CHANGES': return 'employee-changes';
    case 'CIRT_VENDOR_CI_F_GET': return 'ci-find';
    case 'CIRT_VENDOR_CI_G_GET': return 'ci-get';
    default: return 'unknown';
  }
}

function operationsOf(database: 'hcm' | 'fscm'): string[] {
  return database === 'hcm' ? ['ExecuteQuery', 'ML_EMPL_CHANGES'] : ['ExecuteQuery', 'CIRT_VENDOR_CI_F_GET', 'CIRT_VENDOR_CI_G_GET'];
}

/** Without a node segment (allowMissingNode), the operation (or the query name) tells the database. */
function inferDatabase(operation: string, rest: string[]): 'hcm' | 'fscm' | undefined {
  if (operation === 'ML_EMPL_CHANGES') return 'hcm';
  if (operation.startsWith('CIRT_')) return 'fscm';
  if (operation === 'ExecuteQuery') return QUERIES.find((q) => q.name === rest[1])?.database;
  return undefined;
}

function renderOptions(state: GatewayState): RenderOptions {
  return {
    blankAsSpace: state.quirks.blankAsSpace,
    aliasPrefixes: state.quirks.aliasPrefixes,
    querynameWithEquals: state.quirks.querynameWithEquals,
  };
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
