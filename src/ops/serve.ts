import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Mapping, Project, Schedule } from '../config/types.generated.js';
import { systemClock, type Clock } from '../support/clock.js';
import { describeError } from '../support/errors.js';
import { HTTP_ATTEMPTS_CHANNEL, type HttpAttemptEvent } from '../support/http.js';
import type { Logger } from '../support/log.js';
import { scrub } from '../support/redact.js';
import { Metrics, METRICS_CONTENT_TYPE, type BuildInfo } from './metrics.js';
import { listen, send } from './http.js';
import { createWebhookEndpoint } from './webhook-endpoint.js';
import { RunCoordinator, type MappingHistory, type RunMappings, type RunResult } from './runner.js';
import { renderStatusPage, type ChannelStatus } from './status-page.js';
import { nextScheduleTimes, startSchedules, type RunningSchedules } from './scheduler.js';
import type { LeaderElection } from './leader.js';
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
  /**
   * Several replicas on one state database: only the elected one runs the schedules and renews
   * channels; the others serve /healthz, /metrics and webhooks and take over when it dies.
   * Without it this process always leads.
   */
  leader?: LeaderElection;
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

const DEFAULT_WEBHOOK_LIMIT = { maxRejected: 20, windowMs: 60_000 };

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
  const leading = (): boolean => options.leader?.isLeader() ?? true;
  // A standby validates and reports the schedules but runs none of them.
  const scheduleFor = (c: ServeConfig): RunningSchedules => {
    const tz = c.project.defaults?.timezone;
    if (leading()) return startSchedules(c.schedules, (req) => coordinator.request(req), { logger, defaultTimezone: tz });
    nextScheduleTimes(c.schedules, new Date(), tz);
    return { stop: () => undefined, times: () => nextScheduleTimes(c.schedules, new Date(), tz) };
  };
  // Schedules start once the server listens: a serve that cannot answer /healthz must not run.
  let schedules: RunningSchedules | undefined;
  let channels: ChannelStatus[] | undefined = options.channels ? [] : undefined;

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

  const handleWebhook = createWebhookEndpoint({
    webhook: options.webhook,
    webhookHandler: options.webhookHandler,
    onWebhook: options.onWebhook,
    onModule: scheduleWebhookRun,
    limit: options.webhookLimit ?? DEFAULT_WEBHOOK_LIMIT,
    trustProxy: options.trustProxy === true,
    metrics,
    logger,
    clock,
    stopping: () => stopping,
  });

  const health = (): { status: number; body: unknown } => {
    const body = {
      status: stopping ? 'stopping' : 'ok',
      role: leading() ? 'leader' : 'standby',
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

  schedules = scheduleFor(config);
  logger.info('serve listening', { url, status: `${url}/`, healthz: `${url}/healthz`, metrics: `${url}/metrics`, webhooks: options.webhook || options.webhookHandler ? `${url}/webhooks/zoho` : 'off' });

  // Channel renewal: the keeper renews what has less than half its lifetime left; look again when
  // half of the earliest channel's remaining time has passed (at least a minute, at most 6 h).
  // One renewal chain: its next run is kept so that an election can bring it forward.
  let nextRenewal: NodeJS.Timeout | undefined;
  const renewLater = (ms: number): void => {
    if (nextRenewal) {
      clearTimeout(nextRenewal);
      timers.delete(nextRenewal);
    }
    nextRenewal = setTimeout(() => {
      if (nextRenewal) timers.delete(nextRenewal);
      nextRenewal = undefined;
      void renewChannels();
    }, ms);
    timers.add(nextRenewal);
  };
  const renewChannels = async (): Promise<void> => {
    if (!options.channels || stopping) return;
    // Only the leader renews; a standby renews when it is elected.
    if (!leading()) return;
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
    if (!stopping) renewLater(Math.min(nextInMs, 6 * 3600_000));
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
      const nextSchedules = scheduleFor(next);
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

  metrics.leader.set(leading() ? 1 : 0);
  options.leader?.start((leader) => {
    if (stopping) return;
    schedules?.stop();
    schedules = scheduleFor(config);
    metrics.leader.set(leader ? 1 : 0);
    if (leader && options.channels) renewLater(0);
  });

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => { resolveClosed = resolve; });
  const stop = async (reason = 'stop'): Promise<void> => {
    if (stopping) return closed;
    stopping = true;
    logger.info('serve stopping', { reason, running: coordinator.active() });
    schedules?.stop();
    // Released at once, so a standby replica takes the schedules over without waiting a lease.
    await options.leader?.stop();
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
