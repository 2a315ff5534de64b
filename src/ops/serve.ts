import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Mapping, Project, Schedule } from '../config/types.generated.js';
import { systemClock, type Clock } from '../support/clock.js';
import { describeError, MlError } from '../support/errors.js';
import { HTTP_ATTEMPTS_CHANNEL, type HttpAttemptEvent } from '../support/http.js';
import type { Logger } from '../support/log.js';
import { scrub } from '../support/redact.js';
import { Metrics, METRICS_CONTENT_TYPE, type BuildInfo } from './metrics.js';
import { RejectionLimiter } from './rate-limit.js';
import { RunCoordinator, type MappingHistory, type RunMappings, type RunResult } from './runner.js';
import { renderStatusPage, type ChannelStatus } from './status-page.js';
import { startSchedules, type RunningSchedules } from './scheduler.js';
import type { WebhookReceiver } from './webhook.js';
import type { GitConfigSync } from './git-sync.js';

/** The parts of a loaded configuration serve uses. */
export interface ServeConfig {
  project: Project;
  schedules: readonly Schedule[];
  mappings: readonly Mapping[];
  /** The loaded configuration this came from (what the run function uses). */
  source?: unknown;
}

/** Keeps Zoho notification channels alive; returns when the earliest one expires. */
export interface ChannelKeeper {
  /** Enable missing channels and renew those expiring soon. Returns the next expiry (ms epoch), if any, and the channels. */
  renew(config: ServeConfig): Promise<{ nextExpiry: number | undefined; channels?: ChannelStatus[] }>;
}

export interface ServeOptions {
  config: ServeConfig;
  run: RunMappings;
  logger: Logger;
  port?: number;
  host?: string;
  clock?: Clock;
  /** Verifies `/webhooks/zoho` POSTs and returns a verdict; serve answers. Without it (and `webhookHandler`) the route answers 404. */
  webhook?: WebhookReceiver;
  /**
   * Or: a complete handler for `/webhooks/zoho` that answers itself (the Zoho connector's
   * receiver); it calls `ServeHandle.zohoChanged(module)` for changes made by someone else.
   */
  webhookHandler?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** Called for every notification (accepted or not), e.g. to record it in the state store. */
  onWebhook?: (verdict: { accepted: boolean; channelId?: string; module?: string; operation?: string; ids?: string[]; reason?: string }) => Promise<void>;
  /** Quiet time after a notification before the affected mappings run (notifications come in bursts). */
  webhookDebounceMs?: number;
  channels?: ChannelKeeper;
  /**
   * Pull-based GitOps: `sync` has usually made its first pull already (the CLI loads the first
   * configuration from it); serve pulls again every `intervalMs` and reloads on a new commit.
   */
  git?: { sync: GitConfigSync; intervalMs: number; load: (dir: string) => Promise<ServeConfig> };
  /** Sends the alert for a finished run (nothing is sent when absent). */
  alert?: (result: RunResult) => Promise<void>;
  /** Wait this long for running applies on shutdown before abandoning them. */
  shutdownGraceMs?: number;
  /** Version labels of `ml_connector_build_info` and the status page. */
  build?: BuildInfo;
  /** What the state database remembers of earlier runs (last run and last success per mapping). */
  history?: () => Promise<MappingHistory[]>;
  /** Which system an HTTP origin belongs to (`zoho`, `peoplesoft`), for the API-latency histogram. */
  systemOf?: (origin: string) => string | undefined;
  /** Refused /webhooks/zoho calls allowed per client address and window before it gets 429. */
  webhookLimit?: { maxRejected: number; windowMs: number };
  /**
   * Behind a reverse proxy every call comes from the proxy: take the client address from the
   * right-most X-Forwarded-For entry (the one the proxy added) instead.
   */
  trustProxy?: boolean;
}

export interface ServeHandle {
  url: string;
  port: number;
  metrics: Metrics;
  coordinator: RunCoordinator;
  /** The configuration in use (replaced after a good git pull). */
  config(): ServeConfig;
  gitCommit(): string | undefined;
  /** A record of `module` changed in Zoho: run the mappings writing it (after the debounce). */
  zohoChanged(module: string): void;
  /** Pull from git now (tests, SIGHUP). */
  pullNow(): Promise<void>;
  /** Stop schedules, timers and the HTTP server, let running applies stop after their batch. */
  stop(reason?: string): Promise<void>;
  /** Resolves when stop() has finished. */
  closed: Promise<void>;
}

const MAX_WEBHOOK_BODY = 256 * 1024;
const DEFAULT_WEBHOOK_LIMIT = { maxRejected: 20, windowMs: 60_000 };

/** The caller's address; behind a trusted proxy, the address the proxy saw. */
function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
  const last = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded)?.split(',').map((s) => s.trim()).filter(Boolean).at(-1);
  return last ?? req.socket.remoteAddress ?? 'unknown';
}

/** Listen, or fail with a message a person can act on (no raw EADDRINUSE stack). */
function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const where = `${host}:${port}`;
      if (err.code === 'EADDRINUSE') {
        reject(new MlError('SERVE_PORT_IN_USE', `serve cannot listen on ${where}: the port is in use by another process.`, {
          meta: { host, port },
          hint: `Stop the other process (\`ss -ltnp 'sport = :${port}'\` shows it) or start serve with another --port.`,
        }));
      } else if (err.code === 'EACCES') {
        reject(new MlError('SERVE_PORT_DENIED', `serve may not listen on ${where}: permission denied.`, {
          meta: { host, port },
          hint: 'Ports below 1024 need privileges; use a port such as 8080 behind the reverse proxy.',
        }));
      } else if (err.code === 'EADDRNOTAVAIL') {
        reject(new MlError('SERVE_ADDRESS_UNAVAILABLE', `serve cannot listen on ${where}: this machine has no such address.`, {
          meta: { host, port },
          hint: 'Use --host 0.0.0.0 (every interface) or an address of this machine.',
        }));
      } else {
        reject(new MlError('SERVE_LISTEN_FAILED', `serve cannot listen on ${where}: ${err.message}`, { meta: { host, port, errorCode: err.code } }));
      }
    });
    server.listen(port, host, () => resolve());
  });
}

function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        resolve(undefined);
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: string, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

/**
 * `ml-connector serve`: schedules, Zoho notifications, channel renewal, pull-based GitOps,
 * `/healthz` and `/metrics`, in one long-running process inside the customer's network.
 */
export async function startServe(options: ServeOptions): Promise<ServeHandle> {
  const logger = options.logger;
  const clock = options.clock ?? systemClock;
  const build = options.build ?? { version: 'unknown', node: process.version };
  const metrics = new Metrics(build);
  const startedAt = clock.now();
  let config = options.config;
  let stopping = false;
  const timers = new Set<NodeJS.Timeout>();
  const sync = options.git?.sync;

  const coordinator = new RunCoordinator({
    run: options.run,
    metrics,
    logger,
    clock,
    ...(options.alert ? { onFinished: options.alert } : {}),
  });
  metrics.declareMappings(config.mappings.map((m) => m.name));
  if (options.history) {
    try {
      coordinator.restore(await options.history());
    } catch (err) {
      logger.warn('run history not read from the state database; /metrics starts without last-success times', { error: scrub(describeError(err)) });
    }
  }
  // Schedules start once the server listens: a serve that cannot answer /healthz must not run.
  let schedules: RunningSchedules | undefined;
  let channels: ChannelStatus[] | undefined = options.channels ? [] : undefined;
  const webhookLimit = options.webhookLimit ?? DEFAULT_WEBHOOK_LIMIT;
  const limiter = new RejectionLimiter({ max: webhookLimit.maxRejected, windowMs: webhookLimit.windowMs, now: () => clock.now() });

  // Webhooks: collect the modules touched, then run their mappings once the burst is over.
  const touchedModules = new Set<string>();
  let webhookTimer: NodeJS.Timeout | undefined;
  const scheduleWebhookRun = (module: string): void => {
    touchedModules.add(module);
    if (webhookTimer) return;
    webhookTimer = setTimeout(() => {
      webhookTimer = undefined;
      const modules = new Set(touchedModules);
      touchedModules.clear();
      const names = config.mappings.filter((m) => modules.has(m.target.module)).map((m) => m.name);
      if (names.length > 0) coordinator.request({ mappings: names, full: false, trigger: 'webhook:zoho' });
    }, options.webhookDebounceMs ?? 30_000);
  };

  const handleWebhook = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!options.webhook && !options.webhookHandler) return send(res, 404, '{"error":"webhooks are not configured"}');
    if (stopping) return send(res, 503, '{"error":"serve is stopping"}');
    const address = clientAddress(req, options.trustProxy === true);
    const wait = limiter.retryAfterSeconds(address);
    if (wait > 0) {
      metrics.webhooks.inc({ outcome: 'rate-limited' });
      req.resume();
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(wait), connection: 'close' });
      return void res.end('{"error":"too many refused calls from this address"}');
    }
    const refused = (reason: string | undefined, channelId?: string): void => {
      metrics.webhooks.inc({ outcome: 'rejected' });
      // Counted, never stored; one line per address and window, so a flood cannot fill the logs either.
      if (limiter.reject(address)) logger.warn('webhook rejected', { address, reason, channelId, limit: `${webhookLimit.maxRejected} per ${webhookLimit.windowMs / 1000} s, then 429` });
    };
    if (options.webhookHandler) {
      await options.webhookHandler(req, res);
      if (res.statusCode >= 200 && res.statusCode < 300) metrics.webhooks.inc({ outcome: 'accepted' });
      else refused(`HTTP ${res.statusCode}`);
      return;
    }
    if (req.method !== 'POST') {
      refused('not a POST');
      return send(res, 405, '{"error":"POST only"}');
    }
    const body = await readBody(req, MAX_WEBHOOK_BODY);
    if (body === undefined) {
      refused('body too large');
      return send(res, 413, '{"error":"too large"}');
    }
    const verdict = await options.webhook!(body, req.headers['content-type']);
    if (!verdict.accepted) {
      refused(verdict.reason, verdict.channelId);
      return send(res, verdict.status, JSON.stringify({ error: verdict.reason ?? 'rejected' }));
    }
    metrics.webhooks.inc({ outcome: 'accepted' });
    logger.info('webhook received', { channelId: verdict.channelId, module: verdict.module, operation: verdict.operation, records: verdict.ids?.length ?? 0 });
    if (verdict.module) scheduleWebhookRun(verdict.module);
    if (options.onWebhook) await options.onWebhook(verdict).catch((err: unknown) => logger.warn('webhook not recorded', { error: describeError(err) }));
    send(res, verdict.status, JSON.stringify({ ok: true }));
  };

  const health = (): { status: number; body: unknown } => {
    const body = {
      status: stopping ? 'stopping' : 'ok',
      uptimeSeconds: Math.round((clock.now() - startedAt) / 1000),
      running: coordinator.active(),
      lastRuns: coordinator.last(),
      gitCommit: sync?.commit,
      schedules: schedules?.times() ?? [],
    };
    return { status: stopping ? 503 : 200, body };
  };

  const statusPage = (): string => {
    const last = coordinator.last();
    const running = new Set(coordinator.active());
    const success = coordinator.lastSuccess();
    return renderStatusPage({
      project: config.project.name,
      version: build.version,
      startedAt,
      now: clock.now(),
      stopping,
      gitCommit: sync?.commit,
      mappings: config.mappings.map((m) => ({ name: m.name, module: m.target.module, running: running.has(m.name), last: last[m.name], lastSuccessAt: success[m.name] })),
      lastResult: coordinator.lastResult(),
      schedules: schedules?.times() ?? [],
      channels,
      links: [
        { href: '/healthz', label: 'Health (JSON)' },
        { href: '/metrics', label: 'Metrics (Prometheus)' },
      ],
    });
  };

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    // While draining, answer but do not keep connections: the load balancer sees 503 and goes.
    if (stopping) res.setHeader('connection', 'close');
    const route = async (): Promise<void> => {
      const read = req.method === 'GET' || req.method === 'HEAD';
      if (path === '/healthz' && read) {
        const h = health();
        return send(res, h.status, JSON.stringify(h.body));
      }
      if (path === '/metrics' && read) return send(res, 200, await metrics.render(), METRICS_CONTENT_TYPE);
      if (path === '/' && read) return send(res, stopping ? 503 : 200, statusPage(), 'text/html; charset=utf-8');
      if (path === '/webhooks/zoho') return handleWebhook(req, res);
      send(res, 404, '{"error":"not found"}');
    };
    route().catch((err: unknown) => {
      logger.error('request failed', { path, error: scrub(describeError(err)) });
      if (!res.headersSent) send(res, 500, '{"error":"internal"}');
    });
  });
  server.keepAliveTimeout = 5_000;
  const host = options.host ?? '0.0.0.0';
  await listen(server, options.port ?? 8080, host);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  metrics.up.set(1);

  // API latency of every HTTP attempt the runs make (published by support/http's send()).
  const onAttempt = (message: unknown): void => {
    const e = message as HttpAttemptEvent;
    const system = options.systemOf?.(e.origin);
    if (system) metrics.apiLatency.observe({ system, outcome: e.status !== undefined && e.status < 500 && e.status !== 429 ? 'ok' : 'error' }, e.durationMs / 1000);
  };
  subscribe(HTTP_ATTEMPTS_CHANNEL, onAttempt);

  schedules = startSchedules(config.schedules, (req) => coordinator.request(req), { logger, defaultTimezone: config.project.defaults?.timezone });
  logger.info('serve listening', { url, status: `${url}/`, healthz: `${url}/healthz`, metrics: `${url}/metrics`, webhooks: options.webhook || options.webhookHandler ? `${url}/webhooks/zoho` : 'off' });

  // Channel renewal: the keeper renews what has less than half its lifetime left; look again when
  // half of the earliest channel's remaining time has passed (at least a minute, at most 6 h).
  const renewChannels = async (): Promise<void> => {
    if (!options.channels || stopping) return;
    let nextInMs = 60 * 60_000;
    try {
      const renewed = await options.channels.renew(config);
      const nextExpiry = renewed.nextExpiry;
      if (renewed.channels) channels = renewed.channels;
      if (nextExpiry !== undefined) nextInMs = Math.max(60_000, (nextExpiry - clock.now()) / 2);
      logger.info('notification channels checked', { nextExpiry: nextExpiry ? new Date(nextExpiry).toISOString() : undefined });
    } catch (err) {
      metrics.failure('channel-renewal');
      logger.error('notification channel renewal failed; retrying in 5 minutes', { error: scrub(describeError(err)) });
      nextInMs = 5 * 60_000;
    }
    if (!stopping) later(renewChannels, Math.min(nextInMs, 6 * 3600_000));
  };
  const later = (fn: () => Promise<void>, ms: number): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      void fn();
    }, ms);
    timers.add(t);
  };
  if (options.channels) void renewChannels();

  // Pull-based GitOps.
  const pullNow = async (): Promise<void> => {
    if (!sync || !options.git) return;
    const outcome = await sync.pull(async (dir) => {
      const next = await options.git!.load(dir);
      // Validate the schedules before swapping anything: a bad cron keeps the old config running.
      const nextSchedules = startSchedules(next.schedules, (req) => coordinator.request(req), { logger, defaultTimezone: next.project.defaults?.timezone });
      schedules?.stop();
      schedules = nextSchedules;
      config = next;
      metrics.declareMappings(next.mappings.map((m) => m.name));
    });
    if (outcome.kind === 'updated') metrics.configReloads.inc({ result: 'ok' });
    if (outcome.kind === 'rejected' && outcome.error !== 'already rejected') {
      metrics.configReloads.inc({ result: 'rejected' });
      metrics.failure('config-reload');
    }
    if (outcome.kind === 'fetch-failed') metrics.configReloads.inc({ result: 'fetch-failed' });
  };
  const pullLoop = async (): Promise<void> => {
    await pullNow();
    if (!stopping && options.git) later(pullLoop, options.git.intervalMs);
  };
  if (sync && options.git) later(pullLoop, options.git.intervalMs);

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => { resolveClosed = resolve; });
  const stop = async (reason = 'stop'): Promise<void> => {
    if (stopping) return closed;
    stopping = true;
    logger.info('serve stopping', { reason, running: coordinator.active() });
    schedules?.stop();
    if (webhookTimer) clearTimeout(webhookTimer);
    for (const t of timers) clearTimeout(t);
    timers.clear();
    // The server keeps answering while runs drain: /healthz says 503 (what the documentation
    // promises a load balancer or probe), instead of refusing connections.
    server.closeIdleConnections();
    const ended = await coordinator.stop(options.shutdownGraceMs ?? 30_000);
    if (!ended) logger.warn('shutdown grace period over: running applies abandoned; the next run resumes from the last committed batch');
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    unsubscribe(HTTP_ATTEMPTS_CHANNEL, onAttempt);
    await sync?.dispose();
    metrics.up.set(0);
    logger.info('serve stopped', { reason, clean: ended });
    resolveClosed();
  };

  return {
    url,
    port,
    metrics,
    coordinator,
    config: () => config,
    zohoChanged: (module) => {
      if (!stopping) scheduleWebhookRun(module);
    },
    gitCommit: () => sync?.commit,
    pullNow,
    stop,
    closed,
  };
}
