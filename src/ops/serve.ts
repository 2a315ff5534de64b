import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Mapping, Project, Schedule } from '../config/types.generated.js';
import { systemClock, type Clock } from '../support/clock.js';
import { describeError } from '../support/errors.js';
import type { Logger } from '../support/log.js';
import { scrub } from '../support/redact.js';
import { Metrics, METRIC } from './metrics.js';
import { RunCoordinator, type RunMappings, type RunResult } from './runner.js';
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
  /** Enable missing channels and renew those expiring soon. Returns the next expiry (ms epoch), if any. */
  renew(config: ServeConfig): Promise<{ nextExpiry: number | undefined }>;
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

const MAX_WEBHOOK_BODY = 256 * 1024;

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
  const metrics = new Metrics();
  metrics.set(METRIC.up[0], METRIC.up[1], {}, 1);
  for (const [name, help] of [METRIC.webhooks, METRIC.configReloads]) metrics.declare(name, help, 'counter');
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
  const leading = (): boolean => options.leader?.isLeader() ?? true;
  // A standby validates and reports the schedules but runs none of them.
  const scheduleFor = (c: ServeConfig): RunningSchedules => {
    const tz = c.project.defaults?.timezone;
    if (leading()) return startSchedules(c.schedules, (req) => coordinator.request(req), { logger, defaultTimezone: tz });
    nextScheduleTimes(c.schedules, new Date(), tz);
    return { stop: () => undefined, times: () => nextScheduleTimes(c.schedules, new Date(), tz) };
  };
  let schedules: RunningSchedules = scheduleFor(config);

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
    if (options.webhookHandler) {
      await options.webhookHandler(req, res);
      const accepted = res.statusCode >= 200 && res.statusCode < 300;
      metrics.inc(METRIC.webhooks[0], METRIC.webhooks[1], { outcome: accepted ? 'accepted' : 'rejected' });
      return;
    }
    if (!options.webhook) return send(res, 404, '{"error":"webhooks are not configured"}');
    if (req.method !== 'POST') return send(res, 405, '{"error":"POST only"}');
    const body = await readBody(req, MAX_WEBHOOK_BODY);
    if (body === undefined) return send(res, 413, '{"error":"too large"}');
    const verdict = await options.webhook(body, req.headers['content-type']);
    metrics.inc(METRIC.webhooks[0], METRIC.webhooks[1], { outcome: verdict.accepted ? 'accepted' : 'rejected' });
    if (!verdict.accepted) {
      logger.warn('webhook rejected', { status: verdict.status, reason: verdict.reason, channelId: verdict.channelId });
    } else {
      logger.info('webhook received', { channelId: verdict.channelId, module: verdict.module, operation: verdict.operation, records: verdict.ids?.length ?? 0 });
      if (verdict.module && !stopping) scheduleWebhookRun(verdict.module);
    }
    if (options.onWebhook) await options.onWebhook(verdict).catch((err: unknown) => logger.warn('webhook not recorded', { error: describeError(err) }));
    send(res, verdict.status, JSON.stringify(verdict.accepted ? { ok: true } : { error: verdict.reason ?? 'rejected' }));
  };

  const health = (): { status: number; body: unknown } => {
    const body = {
      status: stopping ? 'stopping' : 'ok',
      role: leading() ? 'leader' : 'standby',
      uptimeSeconds: Math.round((clock.now() - startedAt) / 1000),
      running: coordinator.active(),
      lastRuns: coordinator.last(),
      gitCommit: sync?.commit,
      schedules: schedules.times(),
    };
    return { status: stopping ? 503 : 200, body };
  };

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = async (): Promise<void> => {
      if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
        const h = health();
        return send(res, h.status, JSON.stringify(h.body));
      }
      if (path === '/metrics' && req.method === 'GET') return send(res, 200, metrics.render(), 'text/plain; version=0.0.4; charset=utf-8');
      if (path === '/webhooks/zoho') return handleWebhook(req, res);
      send(res, 404, '{"error":"not found"}');
    };
    route().catch((err: unknown) => {
      logger.error('request failed', { path, error: scrub(describeError(err)) });
      if (!res.headersSent) send(res, 500, '{"error":"internal"}');
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '0.0.0.0';
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  logger.info('serve listening', { url, healthz: `${url}/healthz`, metrics: `${url}/metrics`, webhooks: options.webhook || options.webhookHandler ? `${url}/webhooks/zoho` : 'off' });

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
      const { nextExpiry } = await options.channels.renew(config);
      if (nextExpiry !== undefined) nextInMs = Math.max(60_000, (nextExpiry - clock.now()) / 2);
      logger.info('notification channels checked', { nextExpiry: nextExpiry ? new Date(nextExpiry).toISOString() : undefined });
    } catch (err) {
      metrics.inc(METRIC.failures[0], METRIC.failures[1], { kind: 'channel-renewal' });
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
      schedules.stop();
      schedules = nextSchedules;
      config = next;
    });
    if (outcome.kind === 'updated') metrics.inc(METRIC.configReloads[0], METRIC.configReloads[1], { result: 'ok' });
    if (outcome.kind === 'rejected' && outcome.error !== 'already rejected') {
      metrics.inc(METRIC.configReloads[0], METRIC.configReloads[1], { result: 'rejected' });
      metrics.inc(METRIC.failures[0], METRIC.failures[1], { kind: 'config-reload' });
    }
    if (outcome.kind === 'fetch-failed') metrics.inc(METRIC.configReloads[0], METRIC.configReloads[1], { result: 'fetch-failed' });
  };
  const pullLoop = async (): Promise<void> => {
    await pullNow();
    if (!stopping && options.git) later(pullLoop, options.git.intervalMs);
  };
  if (sync && options.git) later(pullLoop, options.git.intervalMs);

  const LEADER_METRIC = ['ml_connector_leader', 'Whether this replica runs the schedules (1) or stands by for another (0).'] as const;
  metrics.set(LEADER_METRIC[0], LEADER_METRIC[1], {}, leading() ? 1 : 0);
  options.leader?.start((leader) => {
    if (stopping) return;
    schedules.stop();
    schedules = scheduleFor(config);
    metrics.set(LEADER_METRIC[0], LEADER_METRIC[1], {}, leader ? 1 : 0);
    if (leader && options.channels) renewLater(0);
  });

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => { resolveClosed = resolve; });
  const stop = async (reason = 'stop'): Promise<void> => {
    if (stopping) return closed;
    stopping = true;
    logger.info('serve stopping', { reason, running: coordinator.active() });
    schedules.stop();
    // Released at once, so a standby replica takes the schedules over without waiting a lease.
    await options.leader?.stop();
    if (webhookTimer) clearTimeout(webhookTimer);
    for (const t of timers) clearTimeout(t);
    timers.clear();
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const ended = await coordinator.stop(options.shutdownGraceMs ?? 30_000);
    if (!ended) logger.warn('shutdown grace period over: running applies abandoned; the next run resumes from the last committed batch');
    server.closeAllConnections();
    await serverClosed;
    await sync?.dispose();
    metrics.set(METRIC.up[0], METRIC.up[1], {}, 0);
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
