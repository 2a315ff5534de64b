import type { Clock } from '../support/clock.js';
import { registerSecret } from '../support/redact.js';
import { silentLogger, type Logger } from '../support/log.js';
import { ZohoAuthError } from './errors.js';
import type { TokenBlock, TokenCache, TokenCacheState } from './token-cache.js';
import type { AccessToken, TokenGrant } from './token-types.js';

export type { AccessToken, TokenGrant } from './token-types.js';
import { isTransientTokenError, requestToken, retryInMsOf, withRetryTime, type TokenEndpoint } from './token-endpoint.js';

/** How access tokens are obtained: a stored refresh token, or a self client's client credentials. */
export interface TokenManagerOptions extends TokenEndpoint {
  grant: TokenGrant;
  clock: Clock;
  /** Where API calls go when the token answer has no api_domain. */
  fallbackApiUrl: string;
  /** Refresh this long before expiry (default 300 s); capped at half the token's lifetime. */
  refreshAheadMs?: number;
  /** After "Access Denied", fail fast for this long instead of asking again (default 15 min). */
  throttleCooldownMs?: number;
  /** Tokens and throttles kept between processes (token-cache.ts): read once, before the first request. */
  cache?: TokenCache;
}

/**
 * Access tokens for one connection: cached with their expiry on the clock (and between processes
 * through the token cache), refreshed ahead of expiry, one refresh in flight however many calls
 * wait, and no hammering of a throttled or failing endpoint.
 */
export class TokenManager {
  private current: AccessToken | undefined;
  private inflight: Promise<AccessToken> | undefined;
  private blocked: { until: number; error: ZohoAuthError } | undefined;
  private cacheRead: Promise<void> | undefined;
  /** Whether the token in use came from the cache rather than from Zoho in this process. */
  reused = false;
  refreshes = 0;
  private readonly logger: Logger;

  constructor(private readonly o: TokenManagerOptions) {
    this.logger = o.logger ?? silentLogger;
    if (o.grant.type === 'refresh_token') registerSecret(o.grant.refreshToken);
  }

  /** A token good for a call now; refreshes (once, for all waiters) when it is due. */
  async get(): Promise<AccessToken> {
    await (this.cacheRead ??= this.readCache());
    const t = this.current;
    if (t && !this.isDue(t)) return t;
    try {
      return await this.refresh();
    } catch (err) {
      // A throttled or failing endpoint while the old token still works: keep using it.
      if (t && this.o.clock.now() < t.expiresAt - 5_000) {
        this.logger.warn('zoho token refresh failed; using the current token until it expires', { error: (err as Error).message });
        return t;
      }
      throw err;
    }
  }

  /** The call that used `token` got 401 INVALID_TOKEN: forget it unless a newer one exists. */
  invalidate(token: AccessToken): void {
    if (this.current === token) this.current = undefined;
  }

  /** Force a new token (single-flight). */
  refresh(): Promise<AccessToken> {
    this.inflight ??= this.fetch().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private isDue(t: AccessToken): boolean {
    const lifetime = t.expiresAt - t.obtainedAt;
    const ahead = Math.min(this.o.refreshAheadMs ?? 300_000, lifetime / 2);
    return this.o.clock.now() >= t.expiresAt - ahead;
  }

  /** The token and throttle another process left: used while valid, before asking Zoho. */
  private async readCache(): Promise<void> {
    if (!this.o.cache) return;
    // Best effort, like the cache itself: a cache that fails means asking Zoho.
    const state = await this.o.cache.load().catch(() => ({}) as TokenCacheState);
    if (state.token && !this.isDue(state.token)) {
      registerSecret(state.token.value);
      this.current = state.token;
      this.reused = true;
      this.logger.debug('zoho access token reused from the token cache', { apiDomain: state.token.apiDomain });
    }
    if (state.blocked && state.blocked.until > this.o.clock.now()) {
      const b = state.blocked;
      this.blocked = { until: b.until, error: new ZohoAuthError(b.code, b.message, { meta: { retryAfter: new Date(b.until).toISOString() }, ...(b.hint ? { hint: b.hint } : {}) }) };
    }
  }

  private async fetch(): Promise<AccessToken> {
    const now = this.o.clock.now();
    if (this.blocked && now < this.blocked.until) throw this.blocked.error;
    const { grant } = this.o;
    const params: Record<string, string> =
      grant.type === 'refresh_token'
        ? { grant_type: 'refresh_token', refresh_token: grant.refreshToken }
        : { grant_type: 'client_credentials', scope: grant.scopes.join(','), soid: grant.soid };
    this.refreshes++;
    try {
      const answer = await requestToken(this.o, params, grant.type === 'refresh_token' ? 'refresh' : 'client_credentials');
      const obtainedAt = this.o.clock.now();
      this.blocked = undefined;
      const token: AccessToken = { value: answer.accessToken, apiDomain: answer.apiDomain ?? this.o.fallbackApiUrl, expiresAt: obtainedAt + answer.expiresInMs, obtainedAt };
      this.current = token;
      this.reused = false;
      this.logger.debug('zoho access token obtained', { apiDomain: token.apiDomain, expiresInSec: Math.round(answer.expiresInMs / 1000) });
      await this.o.cache?.save({ token }).catch(() => undefined);
      return token;
    } catch (err) {
      throw await this.block(err);
    }
  }

  /**
   * Remember a failure so the endpoint is not asked again too soon: a throttle until it has passed
   * (in this process and, through the cache, in the next ones), an unreachable endpoint for a short
   * while, a refused grant or client for good (asking again does not heal it).
   */
  private async block(err: unknown): Promise<unknown> {
    if (!(err instanceof ZohoAuthError)) return err;
    const now = this.o.clock.now();
    if (!isTransientTokenError(err)) {
      this.blocked = { until: Infinity, error: err };
      return err;
    }
    const waitMs = err.code === 'ZOHO_TOKEN_THROTTLED' ? (retryInMsOf(err) ?? this.o.throttleCooldownMs ?? 900_000) : (retryInMsOf(err) ?? 30_000);
    const error = withRetryTime(err, now + waitMs, now);
    this.blocked = { until: now + waitMs, error };
    if (err.code === 'ZOHO_TOKEN_THROTTLED') {
      const blocked: TokenBlock = { until: now + waitMs, code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
      await this.o.cache?.save({ ...(this.current ? { token: this.current } : {}), blocked }).catch(() => undefined);
    }
    return error;
  }
}
