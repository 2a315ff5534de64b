import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OffsetClock, sleep } from '../../support/clock.js';
import { handleAuthorize, handleRevoke, handleToken, type AccountsContext } from './accounts.js';
import { handleApi, type ApiContext } from './api.js';
import { addHandMade, seedFixture, dumpFixture, editAsUser, deleteAsUser } from './fixture.js';
import { handleSimRoute } from './sim-routes.js';
import { encodeReply, invalidUrl, readBody, readFormParams, writeBytes, zohoError, type Reply } from './http-io.js';
import { createRandom } from './ids.js';
import { CreditMeter, createRequestLog, describeFault, EDITION_CONCURRENCY, FaultPlan } from './limits.js';
import { Notifier } from './notifications.js';
import { DEFAULT_QUIRKS, Org } from './org.js';
import { RecordReader } from './records-read.js';
import { classify } from './routes.js';
import { parseScopes, TokenRegistry } from './tokens.js';
import type { ZohoFault, ZohoRequestLogEntry, ZohoSimulator, ZohoSimulatorOptions } from './types.js';

export type * from './types.js';

/** Fixed demo credentials, so a local config can name them without reading simulator output. */
export const DEFAULT_ZOHO_CLIENT = {
  clientId: '1000.SIMULATORCLIENT0000000000000000',
  clientSecret: 'sim-client-secret-0000000000000000000000000',
  refreshToken: '1000.simrefresh00000000000000000000.00000000000000000000000000000000',
  orgId: '20061234567',
} as const;

export const DEFAULT_ZOHO_SCOPES = [
  'ZohoCRM.modules.ALL',
  'ZohoCRM.settings.ALL',
  'ZohoCRM.users.READ',
  'ZohoCRM.org.READ',
  'ZohoCRM.notifications.ALL',
  'ZohoCRM.coql.READ',
];

/**
 * Start a local Zoho CRM (accounts server and API v8) on 127.0.0.1. See docs/simulator-zoho.md
 * for the behaviour, the fixture format and the UNCONFIRMED switches.
 */
export async function startZohoSimulator(opts: ZohoSimulatorOptions = {}): Promise<ZohoSimulator> {
  const clock = opts.clock ?? new OffsetClock();
  const quirks = { ...DEFAULT_QUIRKS, ...(opts.quirks ?? {}) };
  const client = {
    ...DEFAULT_ZOHO_CLIENT,
    ...(opts.client ?? {}),
    scopes: opts.client?.scopes ?? DEFAULT_ZOHO_SCOPES,
  };
  const edition = opts.edition ?? 'enterprise';
  // Vendors is an inventory module: Professional and up (the product description; reference §3.1 says UNCONFIRMED).
  const vendors = opts.vendorsModule ?? !(edition === 'free' || edition === 'standard');
  const org = new Org(clock, opts.utcOffsetMinutes ?? -420, quirks, vendors, edition, opts.customFields ?? true);
  const ttlSec = 3600;
  const tokens = new TokenRegistry(clock, ttlSec * 1000, quirks.accessDeniedCooldownSec * 1000, quirks.grantCodeTtlSec * 1000);
  tokens.addRefreshToken(client.refreshToken, client.clientId, parseScopes(client.scopes.join(',')));

  let base = '';
  const baseUrl = (): string => base;
  const log = createRequestLog();
  const faults = new FaultPlan();
  const inFlight = { all: 0, heavy: 0 };
  const byKind = new Map<string, number>();
  const notifier = new Notifier(org, baseUrl, (d, durationMs) => {
    const u = new URL(d.url);
    log.entries.push({
      seq: log.nextSeq(),
      method: 'POST',
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      status: d.status ?? 0,
      durationMs,
      serverMs: 0,
      serverCpuMs: 0,
      kind: 'notify',
      module: String(d.payload.module),
      records: Array.isArray(d.payload.ids) ? d.payload.ids.length : 0,
      inFlightAtStart: 0,
      inFlightSameKindAtStart: 0,
      startedAt: d.at,
    });
  });
  const api: ApiContext = {
    org,
    tokens,
    reader: new RecordReader(org),
    notifier,
    credits: new CreditMeter(clock, opts.dailyCredits ?? 50_000),
    concurrencyLimit: opts.concurrencyLimit ?? EDITION_CONCURRENCY[edition],
    orgId: client.orgId,
    random: createRandom(opts.seed ?? 1),
    latencyMs: opts.latencyMs ?? 0,
    jitterMs: opts.jitterMs ?? 0,
    errorRate: opts.errorRate ?? 0,
    inFlight,
  };
  const accounts: AccountsContext = {
    client,
    tokens,
    baseUrl,
    quirks,
    ttlSec,
    autoApprove: opts.autoApprove ?? true,
    failure: opts.tokenEndpointFailure ? { ...opts.tokenEndpointFailure } : undefined,
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedWall = performance.now();
    // A request line such as `GET //x` still parses against the base; anything worse is a 404 below.
    const url = URL.canParse(req.url ?? '/', base) ? new URL(req.url ?? '/', base) : new URL('/invalid', base);
    const method = req.method ?? 'GET';
    const r = classify(method, url.pathname);
    const seq = log.nextSeq();
    const isApi = r.area === 'api';
    const entry: ZohoRequestLogEntry = {
      seq,
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      durationMs: 0,
      serverMs: 0,
      serverCpuMs: 0,
      kind: r.kind,
      inFlightAtStart: isApi ? inFlight.all : 0,
      inFlightSameKindAtStart: byKind.get(r.kind) ?? 0,
      startedAt: clock.now(),
    };
    if (r.module !== undefined) entry.module = r.module;
    if (isApi) inFlight.all++;
    byKind.set(r.kind, (byKind.get(r.kind) ?? 0) + 1);
    let body: Buffer | undefined;
    const rawBody = async (): Promise<Buffer> => (body ??= await readBody(req));
    try {
      // Control routes are the test's own hand: faults aimed at Zoho calls never hit them.
      const fault = r.area === 'sim' ? undefined : faults.take(seq, r.kind, r.module);
      if (fault) entry.fault = describeFault(fault);
      if (fault?.revokeRefreshToken) tokens.revoke(client.refreshToken);
      if (fault?.reset) {
        req.socket.destroy();
        return;
      }
      let reply: Reply;
      if (fault?.status !== undefined) {
        reply = faultReply(fault);
      } else if (r.area === 'accounts') {
        const started = performance.now();
        reply = await accountsReply(r.kind, r.methodOk, url, req, await rawBody());
        entry.serverMs = performance.now() - started;
      } else if (r.area === 'sim') {
        reply = handleSimRoute(org, method, url.pathname, await rawBody());
      } else if (r.area === 'api') {
        const out = await handleApi(api, req, url, r, rawBody, (ms) => sleep(ms));
        reply = out.reply;
        entry.serverMs = out.serverMs;
        if (out.serverCpuMs !== undefined) entry.serverCpuMs = out.serverCpuMs;
        if (out.records !== undefined) entry.records = out.records;
        if (out.credits !== undefined) entry.credits = out.credits;
        if (out.module !== undefined) entry.module = out.module;
      } else {
        reply = invalidUrl();
      }
      if (fault?.delayMs) await sleep(fault.delayMs);
      entry.status = reply.status;
      const { headers, bytes } = encodeReply(reply);
      if (fault?.truncatedJson && bytes) writeBytes(res, reply.status, headers, bytes.subarray(0, Math.floor(bytes.length / 2)));
      else writeBytes(res, reply.status, headers, bytes);
    } catch (err) {
      entry.status = 500;
      if (!res.headersSent) {
        const { headers, bytes } = encodeReply(zohoError(500, 'INTERNAL_ERROR', 'Internal Server Error', { reason: (err as Error).message }));
        writeBytes(res, 500, headers, bytes);
      } else res.destroy();
    } finally {
      if (isApi) inFlight.all--;
      byKind.set(r.kind, (byKind.get(r.kind) ?? 1) - 1);
      entry.durationMs = performance.now() - startedWall;
      log.entries.push(entry);
    }
  }

  async function accountsReply(kind: string, methodOk: boolean, url: URL, req: IncomingMessage, raw: Buffer): Promise<Reply> {
    if (!methodOk) return { status: 405, text: 'Method Not Allowed', contentType: 'text/plain;charset=UTF-8' };
    if (kind === 'auth') return handleAuthorize(accounts, url);
    const params = await readFormParams(req, url, raw);
    return kind === 'token' ? handleToken(accounts, params) : handleRevoke(accounts, params);
  }

  const server = createServer((req, res) => {
    route(req, res).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (opts.fixture) seedFixture(org, opts.fixture);
  if (opts.handMade) addHandMade(org, opts.handMade);

  return {
    url: base,
    accountsUrl: base,
    apiDomain: base,
    credentials: { clientId: client.clientId, clientSecret: client.clientSecret, refreshToken: client.refreshToken, orgId: client.orgId },
    clock,
    requests: log,
    deliveries: notifier.deliveries,
    inject: (fault: ZohoFault) => faults.add(fault),
    records: (module) => {
      const store = org.store(module);
      if (!store) throw new Error(`unknown module ${module}`);
      return [...store.all()].map((r) => org.serialize(store, r));
    },
    editRecord: (module, id, changes) => {
      const out = editAsUser(org, module, id, changes);
      notifier.emit(module, 'update', [id], new Map([[id, out]]), false);
    },
    deleteRecord: (module, id) => {
      deleteAsUser(org, module, id);
      notifier.emit(module, 'delete', [id], new Map(), false);
    },
    seed: (fixture) => seedFixture(org, fixture),
    addHandMade: (records) => addHandMade(org, records),
    dump: () => dumpFixture(org),
    creditsUsed: () => api.credits.used(),
    flushNotifications: () => notifier.flush(),
    revokeRefreshToken: (token) => {
      tokens.revoke(token ?? client.refreshToken);
    },
    issueSelfClientCode: (scopes) => {
      const code = tokens.issueGrant(client.clientId, '', scopes ?? client.scopes, true, true);
      if (code === 'throttled') throw new Error('more than 10 grant codes in 10 minutes');
      return code;
    },
    failTokenEndpoint: (failure) => {
      accounts.failure = failure ? { ...failure } : undefined;
    },
    close: async () => {
      await notifier.flush();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function faultReply(f: ZohoFault): Reply {
  const status = f.status ?? 500;
  if (status === 429) {
    const r = zohoError(429, 'TOO_MANY_REQUESTS', 'You have made too many requests');
    if (f.retryAfterSec !== undefined) r.headers = { 'Retry-After': String(f.retryAfterSec) };
    return r;
  }
  if (status === 500) return zohoError(500, 'INTERNAL_ERROR', 'Internal Server Error');
  if (status === 401) return zohoError(401, 'INVALID_TOKEN', 'invalid oauth token');
  return zohoError(status, 'INTERNAL_ERROR', 'injected failure');
}
