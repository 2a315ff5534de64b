import type { Dispatcher } from 'undici';
import type { Clock } from '../support/clock.js';
import { DEFAULT_RETRY, send, type RetryPolicy } from '../support/http.js';
import { registerSecret } from '../support/redact.js';
import { silentLogger, type Logger } from '../support/log.js';
import { REAUTH_HINT, ZohoAuthError } from './errors.js';
import type { TokenCache } from './token-cache.js';

/** How access tokens are obtained: a stored refresh token, or a self client's client credentials. */
export type TokenGrant =
  | { type: 'refresh_token'; refreshToken: string }
  | { type: 'client_credentials'; soid: string; scopes: string[] };

export interface AccessToken {
  value: string;
  /** Where API calls go: the `api_domain` of the token response (falls back to the configured one). */
  apiDomain: string;
  /** Epoch ms on the manager's clock. */
  expiresAt: number;
  obtainedAt: number;
}

/** A parsed token-endpoint answer. Zoho puts errors in HTTP 200 bodies, so the body decides. */
export interface TokenAnswer {
  accessToken: string;
  refreshToken?: string;
  apiDomain?: string;
  expiresInMs: number;
  scope?: string;
}

export interface TokenEndpoint {
  accountsUrl: string;
  clientId: string;
  clientSecret: string;
  region?: string;
  timeoutMs?: number;
  retry?: RetryPolicy;
  dispatcher?: Dispatcher;
  logger?: Logger;
}

/** What went wrong depends on the grant: a bad code on refresh means the refresh token is gone. */
type Purpose = 'refresh' | 'client_credentials' | 'code_exchange';

/**
 * Read a token answer. Errors come as `{"error":"..."}` with HTTP 200 (or 400), and the refresh
 * throttle as `{"error":"Access Denied","error_description":"You have made too many requests..."}`.
 */
export function parseTokenAnswer(status: number, body: string, purpose: Purpose, endpoint: Pick<TokenEndpoint, 'accountsUrl' | 'region'>): TokenAnswer {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(body) as Record<string, unknown>;
  } catch {
    throw new ZohoAuthError('ZOHO_AUTH_FAILED', `The Zoho accounts server answered HTTP ${status} with a body that is not JSON`, {
      meta: { status, accountsUrl: endpoint.accountsUrl },
      hint: 'check accountsUrl/region of the Zoho connection: this does not look like a Zoho accounts server',
    });
  }
  if (typeof json.access_token === 'string' && json.access_token !== '') {
    const accessToken = json.access_token;
    registerSecret(accessToken);
    const refreshToken = typeof json.refresh_token === 'string' ? json.refresh_token : undefined;
    registerSecret(refreshToken);
    // The SDK's rule: with the legacy `expires_in_sec`, `expires_in` is in ms; otherwise seconds.
    // Getting this wrong is a known bug (tokens "expiring" after 3.6 s), hence the explicit branches.
    const raw = Number(json.expires_in);
    const expiresInMs = !Number.isFinite(raw) || raw <= 0 ? 3_600_000 : json.expires_in_sec !== undefined ? raw : raw * 1000;
    return {
      accessToken,
      ...(refreshToken ? { refreshToken } : {}),
      ...(typeof json.api_domain === 'string' && json.api_domain !== '' ? { apiDomain: json.api_domain.replace(/\/+$/, '') } : {}),
      ...(typeof json.scope === 'string' ? { scope: json.scope } : {}),
      expiresInMs,
    };
  }
  throw tokenError(String(json.error ?? `HTTP ${status}`), typeof json.error_description === 'string' ? json.error_description : '', status, purpose, endpoint);
}

function tokenError(error: string, description: string, status: number, purpose: Purpose, endpoint: Pick<TokenEndpoint, 'accountsUrl' | 'region'>): ZohoAuthError {
  const meta = { zohoError: error, status, accountsUrl: endpoint.accountsUrl, ...(endpoint.region ? { region: endpoint.region } : {}) };
  const region = endpoint.region ?? 'unset';
  if (/access.?denied/i.test(error) || /too many requests/i.test(description)) {
    return new ZohoAuthError('ZOHO_TOKEN_THROTTLED', `Zoho refused to issue a token: too many token requests (${error})`, {
      meta,
      hint: 'Zoho blocks token requests for 15-30 minutes after too many; wait, and make sure only one process refreshes with this refresh token',
    });
  }
  switch (error) {
    case 'invalid_code':
      return purpose === 'code_exchange'
        ? new ZohoAuthError('ZOHO_GRANT_CODE_INVALID', 'Zoho refused the grant code (invalid_code): it expired (2-3 minutes), was used already, or was exchanged at another data center', {
            meta,
            hint: 'run ml-connector auth zoho again and finish within two minutes',
          })
        : new ZohoAuthError('ZOHO_REAUTH_REQUIRED', `Zoho refused the refresh token (invalid_code): it was revoked or replaced by a newer one, or it belongs to another data center than ${region}`, {
            meta,
            hint: REAUTH_HINT,
          });
    case 'invalid_client':
      return new ZohoAuthError('ZOHO_WRONG_DATA_CENTER', `The accounts server ${endpoint.accountsUrl} does not know this client id (invalid_client): the organisation is probably in another data center: check \`region\``, {
        meta,
        hint: `check \`region\` (now ${region}) and clientId in the Zoho connection; a client used outside its home data center needs Multi-DC enabled in Zoho's API console`,
      });
    case 'invalid_client_secret':
      return new ZohoAuthError('ZOHO_AUTH_FAILED', 'Zoho refused the client secret (invalid_client_secret)', {
        meta,
        hint: "check the connection's clientSecret against Zoho's API console (the secret may differ per data center)",
      });
    case 'missing_org_info':
      return new ZohoAuthError('ZOHO_AUTH_FAILED', 'Zoho needs the organisation for the client-credentials grant (missing_org_info)', {
        meta,
        hint: 'set auth.soid to ZohoCRM.<org id> (Setup > Company Details shows the org id)',
      });
    case 'invalid_redirect_uri':
      return new ZohoAuthError('ZOHO_AUTH_FAILED', 'Zoho refused the redirect URI (invalid_redirect_uri)', {
        meta,
        hint: "register auth.redirectUri exactly as configured in Zoho's API console",
      });
    default:
      return new ZohoAuthError(
        purpose === 'refresh' ? 'ZOHO_REAUTH_REQUIRED' : 'ZOHO_AUTH_FAILED',
        `Zoho's accounts server refused to issue a token (${error})`,
        { meta, hint: purpose === 'refresh' ? REAUTH_HINT : 'check clientId, clientSecret and region of the Zoho connection' },
      );
  }
}

/** POST {accounts}/oauth/v2/token with a form body; retried on 5xx and network errors only. */
export async function requestToken(endpoint: TokenEndpoint, params: Record<string, string>, purpose: Purpose): Promise<TokenAnswer> {
  registerSecret(endpoint.clientSecret);
  const form = new URLSearchParams({ client_id: endpoint.clientId, client_secret: endpoint.clientSecret, ...params });
  const res = await send(
    {
      method: 'POST',
      url: `${endpoint.accountsUrl.replace(/\/+$/, '')}/oauth/v2/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      timeoutMs: endpoint.timeoutMs ?? 30_000,
    },
    {
      retry: endpoint.retry ?? DEFAULT_RETRY,
      // Never retry a throttled token endpoint: every attempt extends Zoho's block.
      retryOn: (status) => status >= 500,
      ...(endpoint.dispatcher ? { dispatcher: endpoint.dispatcher } : {}),
      ...(endpoint.logger ? { logger: endpoint.logger } : {}),
    },
  );
  return parseTokenAnswer(res.status, res.body, purpose, endpoint);
}

export interface TokenManagerOptions extends TokenEndpoint {
  grant: TokenGrant;
  clock: Clock;
  /** Where API calls go when the token answer has no api_domain. */
  fallbackApiUrl: string;
  /** Refresh this long before expiry (default 300 s); capped at half the token's lifetime. */
  refreshAheadMs?: number;
  /** After "Access Denied", fail fast for this long instead of asking again (default 15 min). */
  throttleCooldownMs?: number;
  /** Tokens kept between processes (token-cache.ts): consulted once, before the first request. */
  cache?: TokenCache;
}

/**
 * Access tokens for one connection: cached with their expiry on the clock, refreshed ahead of
 * expiry, one refresh in flight however many calls wait, and no hammering of a throttled endpoint.
 */
export class TokenManager {
  private current: AccessToken | undefined;
  private inflight: Promise<AccessToken> | undefined;
  private blocked: { until: number; error: ZohoAuthError } | undefined;
  private cacheChecked = false;
  refreshes = 0;
  private readonly logger: Logger;

  constructor(private readonly o: TokenManagerOptions) {
    this.logger = o.logger ?? silentLogger;
    if (o.grant.type === 'refresh_token') registerSecret(o.grant.refreshToken);
  }

  /** A token good for a call now; refreshes (once, for all waiters) when it is due. */
  async get(): Promise<AccessToken> {
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

  private async fetch(): Promise<AccessToken> {
    if (this.o.cache && !this.cacheChecked) {
      // Only before the first request: a later refresh means the token we hold was refused.
      this.cacheChecked = true;
      const cached = await this.o.cache.load();
      if (cached && !this.isDue(cached)) {
        registerSecret(cached.value);
        this.current = cached;
        this.logger.debug('zoho access token reused from the state database', { apiDomain: cached.apiDomain });
        return cached;
      }
    }
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
      this.current = {
        value: answer.accessToken,
        apiDomain: answer.apiDomain ?? this.o.fallbackApiUrl,
        expiresAt: obtainedAt + answer.expiresInMs,
        obtainedAt,
      };
      this.logger.debug('zoho access token obtained', { apiDomain: this.current.apiDomain, expiresInSec: Math.round(answer.expiresInMs / 1000) });
      const obtained = this.current;
      await this.o.cache?.save(obtained);
      return obtained;
    } catch (err) {
      if (err instanceof ZohoAuthError && err.code === 'ZOHO_TOKEN_THROTTLED') {
        this.blocked = { until: this.o.clock.now() + (this.o.throttleCooldownMs ?? 900_000), error: err };
      } else if (err instanceof ZohoAuthError) {
        // A revoked token or an unknown client does not heal by asking again; ask no more.
        this.blocked = { until: Infinity, error: err };
      }
      throw err;
    }
  }
}
