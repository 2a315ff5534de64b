import type { Config, Env, SecretSource } from '../config/index.js';
import { resolveCredential } from '../config/index.js';
import { createPeopleSoftClient, resolvePeopleSoftCredentials, type PeopleSoftClient } from '../peoplesoft/index.js';
import type { StateStore } from '../state/index.js';
import { systemClock, type Clock } from '../support/clock.js';
import { MlError } from '../support/errors.js';
import { silentLogger, type Logger } from '../support/log.js';
import { createZohoClient, type ZohoClient } from '../zoho/index.js';
import { resolveZohoCredentials } from '../zoho/setup.js';

/**
 * Everything a plan or an apply needs from the outside world: the configuration, the state
 * store, a clock, and the connector clients (made on first use, credentials resolved then from
 * the environment and the state store's secrets, and closed together).
 */
export interface Session {
  config: Config;
  store: StateStore;
  clock: Clock;
  logger: Logger;
  peoplesoft(name: string): Promise<PeopleSoftClient>;
  zoho(name: string): Promise<ZohoClient>;
  /** PeopleSoft calls made so far, all connections. */
  peoplesoftCalls(): number;
  /** Zoho calls and credits so far, all connections: by kind. */
  zohoUsage(): { calls: number; byKind: Record<string, number>; credits: number; retries: number };
  close(): Promise<void>;
}

export interface SessionOptions {
  config: Config;
  store: StateStore;
  clock?: Clock;
  logger?: Logger;
  env?: Env;
}

/** The one way credentials of a PeopleSoft connection are resolved (environment, then the state's secrets). */
export function peoplesoftCredentials(conn: Parameters<typeof resolvePeopleSoftCredentials>[0], ctx: { env?: Env; secrets: SecretSource }): ReturnType<typeof resolvePeopleSoftCredentials> {
  return resolvePeopleSoftCredentials(conn, (ref, what) => resolveCredential(ref, { ...(ctx.env ? { env: ctx.env } : {}), secrets: ctx.secrets, what }));
}

export function openSession(o: SessionOptions): Session {
  const clock = o.clock ?? systemClock;
  const logger = o.logger ?? silentLogger;
  const secrets: SecretSource = o.store.secrets;
  const ps = new Map<string, Promise<PeopleSoftClient>>();
  const zoho = new Map<string, Promise<ZohoClient>>();
  const psClients: PeopleSoftClient[] = [];
  const zohoClients: ZohoClient[] = [];
  const env = o.env ? { env: o.env } : {};
  return {
    config: o.config,
    store: o.store,
    clock,
    logger,
    peoplesoft(name) {
      let client = ps.get(name);
      if (!client) {
        const conn = o.config.peoplesoft.get(name);
        if (!conn) throw new MlError('PS_CONNECTION_NOT_FOUND', `No PeopleSoft connection named "${name}".`, { hint: 'Check source.connection of the mapping.' });
        client = peoplesoftCredentials(conn, { ...env, secrets }).then((credentials) => {
          const c = createPeopleSoftClient(conn, { credentials, clock, logger });
          psClients.push(c);
          return c;
        });
        ps.set(name, client);
      }
      return client;
    },
    zoho(name) {
      let client = zoho.get(name);
      if (!client) {
        const conn = o.config.zoho.get(name);
        if (!conn) throw new MlError('ZOHO_CONNECTION_NOT_FOUND', `No Zoho connection named "${name}".`, { hint: 'Check target.connection of the mapping.' });
        client = resolveZohoCredentials(conn, { ...env, secrets }).then((credentials) => {
          const c = createZohoClient(conn, { credentials, clock, logger });
          zohoClients.push(c);
          return c;
        });
        zoho.set(name, client);
      }
      return client;
    },
    peoplesoftCalls() {
      return psClients.reduce((n, c) => n + c.calls, 0);
    },
    zohoUsage() {
      const total = { calls: 0, byKind: {} as Record<string, number>, credits: 0, retries: 0 };
      for (const c of zohoClients) {
        const s = c.stats();
        total.calls += s.calls;
        total.credits += s.credits;
        total.retries += s.retries;
        for (const [k, n] of Object.entries(s.callsByKind)) total.byKind[k] = (total.byKind[k] ?? 0) + n;
      }
      return total;
    },
    async close() {
      const all = [...ps.values(), ...zoho.values()];
      await Promise.all(all.map((p) => p.then((c) => c.close()).catch(() => undefined)));
    },
  };
}
