import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { addExamples } from '../shared/help.js';
import type { CommandContext } from '../shared/context.js';
import { DEFAULT_CONFIG_DIR, type Config } from '../../config/index.js';
import { describeError, isMlError, MlError } from '../../support/errors.js';
import { createLogger, type Logger, type LogLevel } from '../../support/log.js';
import { EXIT } from '../output.js';

interface ServeCliOptions {
  config: string;
  port: string;
  host: string;
  state?: string;
  gitRemote?: string;
  gitBranch: string;
  gitInterval: string;
  gitWorkdir: string;
  logLevel: string;
  shutdownGrace: string;
  webhookDebounce: string;
  trustProxy?: boolean;
  leaderLease: string;
}

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Origins of the configured systems, so each HTTP attempt lands in the right latency series. */
function systemsOf(config: Config, zohoUrls: (c: import('../../config/types.generated.js').ZohoConnection) => { accountsUrl: string; apiUrl: string }): Map<string, string> {
  const origins = new Map<string, string>();
  const add = (url: string, system: string): void => {
    try {
      origins.set(new URL(url).origin, system);
    } catch {
      /* an invalid URL was reported by validation; nothing to label */
    }
  };
  for (const c of config.peoplesoft.values()) {
    add(c.baseUrl, 'peoplesoft');
    if (c.auth.type === 'oauth2' && c.auth.tokenUrl) add(c.auth.tokenUrl, 'peoplesoft');
  }
  for (const c of config.zoho.values()) {
    try {
      const u = zohoUrls(c);
      add(u.accountsUrl, 'zoho');
      add(u.apiUrl, 'zoho');
    } catch {
      /* unknown region: reported when the connection is used */
    }
  }
  return origins;
}

/** `60s`, `5m`, `1h`, or plain seconds. */
export function parseDuration(text: string, option: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) {
    throw new MlError('CLI_INVALID_OPTION', `${option} must be a duration like 30s, 5m or 1h (got "${text}").`, { meta: { [option]: text } });
  }
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'];
}

function toServeConfig(config: Config): import('../../ops/serve.js').ServeConfig {
  return { project: config.project, schedules: [...config.schedules.values()], mappings: [...config.mappings.values()], source: config };
}

/**
 * serve's stderr is JSON lines only, for the log collector: Node's own warnings and the error
 * that stops serve (a busy port, a bad configuration) become lines too, and the exit code says
 * it failed, so systemd or Kubernetes restart it.
 */
async function runServe(opts: ServeCliOptions, ctx: CommandContext): Promise<void> {
  const level = (['debug', 'info', 'warn', 'error'].includes(opts.logLevel) ? opts.logLevel : 'info') as LogLevel;
  const logger = createLogger({ format: 'json', level, base: { service: 'ml-connector', host: hostname() } });
  process.removeAllListeners('warning');
  process.on('warning', (w) => logger.warn('node warning', { name: w.name, warning: w.message }));
  try {
    if (level !== opts.logLevel) throw new MlError('CLI_INVALID_OPTION', `--log-level must be debug, info, warn or error (got "${opts.logLevel}").`);
    await serveUntilStopped(opts, logger);
  } catch (err) {
    const fields = isMlError(err) ? { ...err.meta, errorCode: err.code, error: err.message, ...(err.hint ? { hint: err.hint } : {}) } : { errorCode: 'INTERNAL', error: describeError(err) };
    logger.error('serve cannot run', fields);
    ctx.setExitCode(EXIT.error);
  }
}

async function serveUntilStopped(opts: ServeCliOptions, logger: Logger): Promise<void> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new MlError('CLI_INVALID_OPTION', `--port must be 0-65535 (got "${opts.port}").`);
  }
  // Heavy modules (sqlite3, undici clients) load only when serve actually runs.
  const { loadValidConfig } = await import('../../config/index.js');
  const { startServe } = await import('../../ops/serve.js');
  const { GitConfigSync } = await import('../../ops/git-sync.js');
  const { createApplyRunner } = await import('../../ops/run-apply.js');
  const { notifyRun, createAlertThrottle } = await import('../../ops/notify.js');
  const { needsAttention } = await import('../../ops/alerts.js');
  const { gitStamp } = await import('../../gitops/stamp.js');
  const zohoLib = await import('../../zoho/index.js');
  const { renewChannels, channelResolver, planChannels } = await import('../../zoho/webhooks.js');
  const { resolveZohoCredentials } = await import('../../zoho/setup.js');
  const { resolveZohoUrls } = await import('../../zoho/regions.js');

  // The first configuration: from the git remote (pull-based GitOps) or the local directory.
  let sync: InstanceType<typeof GitConfigSync> | undefined;
  let config: Config;
  if (opts.gitRemote) {
    sync = new GitConfigSync({ remote: opts.gitRemote, branch: opts.gitBranch, configPath: opts.config, workDir: resolve(opts.gitWorkdir), logger });
    let loaded: Config | undefined;
    const first = await sync.pull(async (dir) => { loaded = await loadValidConfig(dir); });
    if (first.kind !== 'updated' || !loaded) {
      throw new MlError('SERVE_GIT_FAILED', `Could not load the configuration from ${opts.gitBranch} of the git remote: ${'error' in first ? first.error : first.kind}`, {
        hint: 'Check --git-remote (credentials in the URL or an ssh key), --git-branch and that --config names the directory inside the repository.',
      });
    }
    config = loaded;
  } else {
    config = await loadValidConfig(opts.config);
  }
  // Serve applies what is committed, but says so when the local directory has edits.
  const localStamp = sync ? undefined : await gitStamp(opts.config);
  const localCommit = localStamp?.commit;
  // The local directory is read once, at start: its state then is what every run applies.
  const dirtyNow: boolean | undefined = sync ? false : localStamp?.commit ? localStamp.dirty : undefined;

  const { openProjectState } = await import('../../engine/state.js');
  const store = await openProjectState(config.project.state, { create: true, logger, ...(opts.state ? { path: opts.state } : {}) });
  let handle: Awaited<ReturnType<typeof startServe>> | undefined;
  // The configuration in use: serve swaps it only after a pulled commit validated completely.
  const current = (): Config => (handle?.config().source as Config | undefined) ?? config;
  const zohoClients: Array<{ close(): Promise<void> | void }> = [];
  try {
    // Zoho notifications: the first connection with `webhooks` configured owns /webhooks/zoho.
    const hooked = [...config.zoho.values()].find((c) => c.webhooks?.notifyUrl);
    let webhookHandler: Parameters<typeof startServe>[0]['webhookHandler'];
    let channels: Parameters<typeof startServe>[0]['channels'];
    if (hooked) {
      const client = zohoLib.createZohoClient(hooked, { credentials: await resolveZohoCredentials(hooked, { secrets: store.secrets }), logger });
      zohoClients.push(client);
      const modules = (): string[] => planChannels(hooked, [...current().mappings.values()]);
      webhookHandler = zohoLib.createWebhookReceiver({
        client,
        channel: (id) => channelResolver(hooked, modules(), store.secrets)(id),
        sink: store,
        onChange: ({ module }) => handle?.zohoChanged(module),
        // Echoes: runs write through their own clients, so a callback about serve's own write is
        // recognised by our Zoho user inside an apply's time window (from the run history).
        ownUserId: async () => (await client.getCurrentUser()).id,
        applyWindows: async () => (await store.listRuns({ limit: 20 }))
          .filter((r) => r.kind === 'apply')
          .map((r) => ({ start: Date.parse(r.startedAt), end: r.finishedAt ? Date.parse(r.finishedAt) : Date.now() })),
        logger,
      });
      channels = {
        async renew() {
          const reports = await renewChannels({ conn: hooked, client, secrets: store.secrets, clock: { now: () => Date.now() } }, modules());
          const expiries = reports.map((r) => r.expiresAt).filter((e): e is number => e !== undefined);
          return {
            nextExpiry: expiries.length ? Math.min(...expiries) : undefined,
            channels: reports.map((r) => ({ module: r.module, channelId: r.channelId, ...(r.expiresAt !== undefined ? { expiresAt: r.expiresAt } : {}) })),
          };
        },
      };
    }

    // Several replicas may share the state database: the holder of its `serve` lock runs the schedules.
    const { createLeaderElection } = await import('../../ops/leader.js');
    const leaseMs = parseDuration(opts.leaderLease, '--leader-lease');
    if (leaseMs < 1000) throw new MlError('CLI_INVALID_OPTION', `--leader-lease must be at least 1s (got "${opts.leaderLease}").`);
    const leader = createLeaderElection({ store, logger, holder: `serve on ${hostname()} pid ${process.pid}`, leaseMs });
    const shouldAlert = createAlertThrottle(60 * 60_000);
    // Per configuration (a git pull swaps it): which origin is which system, for the latency metric.
    const systemOrigins = new WeakMap<Config, Map<string, string>>();
    handle = await startServe({
      config: toServeConfig(config),
      run: createApplyRunner({ config: current, store, gitCommit: () => sync?.commit ?? localCommit, gitDirty: () => dirtyNow }),
      logger,
      port,
      host: opts.host,
      shutdownGraceMs: parseDuration(opts.shutdownGrace, '--shutdown-grace'),
      build: { version: pkg.version, node: process.version },
      history: () => store.mappingHistory(),
      systemOf: (origin) => {
        const c = current();
        let origins = systemOrigins.get(c);
        if (!origins) systemOrigins.set(c, (origins = systemsOf(c, resolveZohoUrls)));
        return origins.get(origin);
      },
      trustProxy: opts.trustProxy === true,
      webhookDebounceMs: parseDuration(opts.webhookDebounce, '--webhook-debounce'),
      leader,
      ...(webhookHandler ? { webhookHandler } : {}),
      ...(channels ? { channels } : {}),
      alert: async (result) => {
        if (!needsAttention(result.status)) return;
        if (!shouldAlert(result)) {
          logger.info('alert not sent again: same problem as an alert less than an hour ago', { runId: result.runId, status: result.status });
          return;
        }
        await notifyRun(current().project, result, { secrets: store.secrets, logger, where: `ml-connector serve on ${hostname()}` });
      },
      ...(sync
        ? {
            git: {
              sync,
              intervalMs: parseDuration(opts.gitInterval, '--git-interval'),
              load: async (dir: string) => toServeConfig(await loadValidConfig(dir)),
            },
          }
        : {}),
    });

    // Graceful shutdown: stop taking work, let the batch in flight commit, then return. The
    // command returns normally (no process.exit) once every handle is closed.
    const onSignal = (signal: NodeJS.Signals): void => {
      void handle?.stop(signal);
    };
    // SIGHUP: pull the configuration now instead of waiting for the interval.
    const onHangup = (): void => {
      logger.info('SIGHUP: pulling the configuration now');
      void handle?.pullNow();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    if (sync) process.on('SIGHUP', onHangup);
    try {
      await handle.closed;
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.off('SIGHUP', onHangup);
    }
  } finally {
    for (const c of zohoClients) await c.close();
    await store.close();
  }
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('serve')
    .description('Run inside your network: apply on the schedules, take Zoho notifications on /webhooks/zoho, renew notification channels, optionally pull the configuration from git; /healthz and /metrics; JSON logs; stops cleanly on SIGTERM.')
    .option('-c, --config <dir>', 'configuration directory (with --git-remote: the directory inside the repository)', DEFAULT_CONFIG_DIR)
    .option('-p, --port <port>', 'HTTP port for /healthz, /metrics and /webhooks/zoho (0: any free port)', '8080')
    .option('--host <address>', 'address to listen on', '0.0.0.0')
    .option('--state <path>', "state database file (default: the Project's state.path)")
    .option('--git-remote <url>', 'pull the configuration from this git remote (pull-based GitOps)')
    .option('--git-branch <branch>', 'branch to follow', 'main')
    .option('--git-interval <duration>', 'how often to pull', '60s')
    .option('--git-workdir <dir>', "where serve keeps its clone", '.ml-connector/config-repo')
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .option('--shutdown-grace <duration>', 'on SIGTERM, how long a running apply may take to finish its batch', '30s')
    .option('--webhook-debounce <duration>', 'quiet time after a Zoho notification before the affected mappings run', '30s')
    .option('--trust-proxy', 'behind a reverse proxy: rate-limit refused webhook calls by the X-Forwarded-For address the proxy adds')
    .option('--leader-lease <duration>', 'replicas on one state database: how long a leader that stopped answering keeps the schedules before a standby takes them over', '45s')
    .action(async (opts: ServeCliOptions) => {
      await runServe(opts, ctx);
    });
  addExamples(program.commands.find((c) => c.name() === 'serve')!, [
    'serve -c configs --port 8080                 # schedules, /, /healthz, /metrics, /webhooks/zoho',
    'serve --git-remote git@github.com:acme/ml-config.git --git-branch main --git-interval 60s',
    'serve --host 127.0.0.1 --trust-proxy         # behind a reverse proxy on the same host',
  ], 'Exit status: 0 after a clean stop (SIGTERM, SIGINT); 1 when it cannot start or listen (the reason is the last JSON line on stderr).');
}
