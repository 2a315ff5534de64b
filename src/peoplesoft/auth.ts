/**
 * Authentication to the Integration Gateway (reference §1.4): HTTP Basic (every PeopleTools
 * version) or an OAuth2 bearer token (8.58+), either from the client-credentials grant at the
 * configured token URL (cached until shortly before expiry, one refresh shared by concurrent
 * calls) or a ready token the caller resolved. Credentials arrive resolved: the caller turns
 * `${env:..}` / `${secret:..}` references into values, so this module never reads the environment.
 */
import type { Dispatcher } from 'undici';
import type { PeopleSoftConnection } from '../config/types.generated.js';
import { ConfigError, HttpError } from '../support/errors.js';
import { send, type RetryPolicy } from '../support/http.js';
import { registerSecret } from '../support/redact.js';
import { systemClock, type Clock } from '../support/clock.js';
import type { Logger } from '../support/log.js';

/** Resolved credential values; which one depends on `auth.type` (and for OAuth2 on tokenUrl vs token). */
export type PsCredentials = { password: string } | { clientSecret: string } | { token: string };

export type AuthMode = 'basic' | 'oauth2-client-credentials' | 'oauth2-token';

export interface Authenticator {
  mode: AuthMode;
  /** The Authorization header value for the next call. */
  header(signal?: AbortSignal): Promise<string>;
  /** Forget a cached token the server refused; true when a fresh one can be fetched. */
  invalidate(): boolean;
}

/** Refresh this long before the token's stated expiry, so a call never leaves with a dying token. */
const EXPIRY_MARGIN_MS = 60_000;

export interface AuthContext {
  credentials: PsCredentials;
  clock?: Clock | undefined;
  logger?: Logger | undefined;
  dispatcher?: Dispatcher | undefined;
  timeoutMs: number;
  retry: RetryPolicy;
  onCall?: (() => void) | undefined;
}

export function createAuthenticator(conn: PeopleSoftConnection, ctx: AuthContext): Authenticator {
  const auth = conn.auth;
  const creds = ctx.credentials as Partial<Record<'password' | 'clientSecret' | 'token', string>>;
  if (auth.type === 'basic') {
    if (creds.password === undefined) throw missing(conn, 'password');
    registerSecret(creds.password);
    const value = `Basic ${Buffer.from(`${auth.username}:${creds.password}`).toString('base64')}`;
    registerSecret(value.slice(6));
    return { mode: 'basic', header: async () => value, invalidate: () => false };
  }
  if (creds.token !== undefined) {
    registerSecret(creds.token);
    const value = `Bearer ${creds.token}`;
    return { mode: 'oauth2-token', header: async () => value, invalidate: () => false };
  }
  if (!auth.tokenUrl || !auth.clientId || creds.clientSecret === undefined) {
    throw new ConfigError('PS_AUTH_CONFIG', `Connection ${conn.name}: OAuth2 needs either a token, or tokenUrl, clientId and clientSecret`, {
      meta: { connection: conn.name },
      hint: 'Set auth.tokenUrl, auth.clientId and auth.clientSecret (client credentials), or auth.token.',
    });
  }
  registerSecret(creds.clientSecret);
  return clientCredentials(conn, auth.tokenUrl, auth.clientId, creds.clientSecret, ctx);
}

function missing(conn: PeopleSoftConnection, what: string): ConfigError {
  return new ConfigError('PS_AUTH_CONFIG', `Connection ${conn.name}: no ${what} was given for ${conn.auth.type} authentication`, {
    meta: { connection: conn.name },
    hint: `Resolve auth.${what} (an \${env:..} or \${secret:..} reference) before connecting.`,
  });
}

function clientCredentials(conn: PeopleSoftConnection, tokenUrl: string, clientId: string, secret: string, ctx: AuthContext): Authenticator {
  const clock = ctx.clock ?? systemClock;
  const oauth = conn.auth.type === 'oauth2' ? conn.auth : undefined;
  let cached: { value: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;

  const fetchToken = async (signal?: AbortSignal): Promise<string> => {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret });
    if (oauth?.scope) form.set('scope', oauth.scope);
    if (oauth?.audience) form.set('audience', oauth.audience);
    const res = await send(
      { method: 'POST', url: tokenUrl, timeoutMs: ctx.timeoutMs, body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' } },
      { retry: ctx.retry, ...(ctx.dispatcher ? { dispatcher: ctx.dispatcher } : {}), ...(ctx.logger ? { logger: ctx.logger } : {}), ...(signal ? { signal } : {}), ...(ctx.onCall ? { onAttempt: ctx.onCall } : {}) },
    );
    let doc: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
    try {
      doc = JSON.parse(res.body) as typeof doc;
    } catch {
      /* reported below */
    }
    if (res.status !== 200 || typeof doc.access_token !== 'string') {
      const why = typeof doc.error === 'string' ? `${doc.error}${typeof doc.error_description === 'string' ? `: ${doc.error_description}` : ''}` : `HTTP ${res.status}`;
      throw new HttpError('PS_OAUTH_FAILED', `The token endpoint refused the client-credentials request (${why})`, {
        status: res.status,
        meta: { connection: conn.name, status: res.status },
        hint: 'Check auth.clientId and auth.clientSecret, that the client may use the client-credentials grant, and the scope/audience the identity provider expects.',
      });
    }
    registerSecret(doc.access_token);
    const lifetime = typeof doc.expires_in === 'number' ? doc.expires_in * 1000 : Number(doc.expires_in ?? 3600) * 1000;
    // Short-lived tokens still get used: keep at least half their life instead of the full margin.
    const margin = Math.min(EXPIRY_MARGIN_MS, lifetime / 2);
    cached = { value: `Bearer ${doc.access_token}`, expiresAt: clock.now() + lifetime - margin };
    ctx.logger?.debug('peoplesoft oauth token fetched', { connection: conn.name, expiresInS: Math.round(lifetime / 1000) });
    return cached.value;
  };

  return {
    mode: 'oauth2-client-credentials',
    header(signal) {
      if (cached && clock.now() < cached.expiresAt) return Promise.resolve(cached.value);
      // One refresh for all concurrent callers.
      pending ??= fetchToken(signal).finally(() => {
        pending = undefined;
      });
      return pending;
    },
    invalidate() {
      cached = undefined;
      return true;
    },
  };
}
