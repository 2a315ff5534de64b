import type { Dispatcher } from 'undici';
import { HttpError } from '../support/errors.js';
import { DEFAULT_RETRY, parseRetryAfter, send, type RetryPolicy } from '../support/http.js';
import type { Logger } from '../support/log.js';
import { registerSecret } from '../support/redact.js';
import { REAUTH_HINT, ZohoAuthError } from './errors.js';

/**
 * Zoho's token endpoint, `POST {accounts}/oauth/v2/token` (reference §1.3): one request with
 * bounded retries, and its answer read into a token or a coded error. Zoho answers errors with
 * HTTP 200 bodies too, so the body decides; the status only matters when the body says nothing.
 */

/** A parsed token-endpoint answer. */
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
export type TokenPurpose = 'refresh' | 'client_credentials' | 'code_exchange';

/** Zoho's refresh throttle: `{"error":"Access Denied","error_description":"You have made too many requests..."}`. */
const THROTTLE_BODY = /access.?denied|too many requests/i;

/** Whether an answer is Zoho's throttle verdict (a JSON body), as opposed to a bare 429 of a gateway. */
function isThrottleVerdict(body: string): boolean {
  try {
    const json = JSON.parse(body) as { error?: unknown; error_description?: unknown } | null;
    return THROTTLE_BODY.test(String(json?.error ?? '')) || THROTTLE_BODY.test(String(json?.error_description ?? ''));
  } catch {
    return false;
  }
}
/** When a 429 carries no Retry-After: wait this long before asking again. */
const DEFAULT_429_WAIT_MS = 60_000;
/** After a token endpoint that stayed unreachable or failing through the retries. */
const UNAVAILABLE_WAIT_MS = 30_000;

/** `meta.retryInMs` of a transient token error: how long to wait before asking again. */
export function retryInMsOf(err: ZohoAuthError): number | undefined {
  const v = err.meta.retryInMs;
  return typeof v === 'number' ? v : undefined;
}

/**
 * Read a token answer. Errors come as `{"error":"..."}` with HTTP 200 (or 400), the refresh
 * throttle as "Access Denied"; a 429 or 5xx without such a body is the endpoint failing, not a
 * verdict on the grant. `retryAfterMs` is the answer's Retry-After, if any.
 */
export function parseTokenAnswer(status: number, body: string, purpose: TokenPurpose, endpoint: Pick<TokenEndpoint, 'accountsUrl' | 'region'>, retryAfterMs?: number): TokenAnswer {
  let json: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed !== null && typeof parsed === 'object') json = parsed as Record<string, unknown>;
  } catch {
    /* decided below by the status */
  }
  if (typeof json?.access_token === 'string' && json.access_token !== '') return readToken(json);
  const error = typeof json?.error === 'string' && json.error !== '' ? json.error : undefined;
  const description = typeof json?.error_description === 'string' ? json.error_description : '';
  const meta = { ...(error ? { zohoError: error } : {}), status, accountsUrl: endpoint.accountsUrl, ...(endpoint.region ? { region: endpoint.region } : {}) };
  if (THROTTLE_BODY.test(error ?? '') || THROTTLE_BODY.test(description)) {
    return fail(
      new ZohoAuthError('ZOHO_TOKEN_THROTTLED', `Zoho refused to issue a token: too many token requests (${error ?? description})`, {
        meta,
        hint: 'Zoho issues at most 10 access tokens per refresh token per 10 minutes, then refuses every token request for 15-30 minutes, and each request meanwhile extends the block; make sure only one place (CI, serve, a colleague) uses this refresh token',
      }),
    );
  }
  if (error === undefined && status === 429) {
    const retryInMs = retryAfterMs ?? DEFAULT_429_WAIT_MS;
    return fail(
      new ZohoAuthError('ZOHO_TOKEN_THROTTLED', `Zoho's accounts server ${endpoint.accountsUrl} answered 429 Too Many Requests to every attempt`, {
        meta: { ...meta, retryInMs },
        hint: `the accounts server (or a proxy in front of it) is rate-limiting this host: retry in ${describeWait(retryInMs)}`,
      }),
    );
  }
  if (error === undefined && status >= 500) {
    return fail(
      new ZohoAuthError('ZOHO_TOKEN_UNAVAILABLE', `Zoho's accounts server ${endpoint.accountsUrl} answered HTTP ${status} to every attempt`, {
        meta: { ...meta, retryInMs: UNAVAILABLE_WAIT_MS },
        hint: "Zoho's accounts server is failing for now; nothing is wrong with the credentials: retry in a few minutes (https://status.zoho.com)",
      }),
    );
  }
  if (json === undefined) {
    return fail(
      new ZohoAuthError('ZOHO_AUTH_FAILED', `The Zoho accounts server answered HTTP ${status} with a body that is not JSON`, {
        meta,
        hint: 'check accountsUrl/region of the Zoho connection: this does not look like a Zoho accounts server',
      }),
    );
  }
  return fail(grantError(error ?? `HTTP ${status}`, purpose, meta, endpoint));
}

function fail(err: ZohoAuthError): never {
  throw err;
}

function readToken(json: Record<string, unknown>): TokenAnswer {
  const accessToken = String(json.access_token);
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

/** Zoho's verdict on the grant or the client. Only a refused grant asks for `auth zoho` again. */
function grantError(error: string, purpose: TokenPurpose, meta: Record<string, unknown>, endpoint: Pick<TokenEndpoint, 'accountsUrl' | 'region'>): ZohoAuthError {
  const region = endpoint.region ?? 'unset';
  switch (error) {
    case 'invalid_code':
    case 'invalid_grant':
      return purpose === 'code_exchange'
        ? new ZohoAuthError('ZOHO_GRANT_CODE_INVALID', `Zoho refused the grant code (${error}): it expired (2-3 minutes), was used already, or was exchanged at another data center`, {
            meta,
            hint: 'run ml-connector auth zoho again and finish within two minutes',
          })
        : purpose === 'refresh'
          ? new ZohoAuthError('ZOHO_REAUTH_REQUIRED', `Zoho refused the refresh token (${error}): it was revoked or replaced by a newer one, or it belongs to another data center than ${region}`, {
              meta,
              hint: REAUTH_HINT,
            })
          : new ZohoAuthError('ZOHO_AUTH_FAILED', `Zoho refused the client-credentials grant (${error})`, { meta, hint: 'check auth.soid and auth.scopes of the Zoho connection against the self client in Zoho\'s API console' });
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
      // Not a statement that the grant is gone: re-authorizing would only mint more refresh tokens.
      return new ZohoAuthError('ZOHO_AUTH_FAILED', `Zoho's accounts server refused to issue a token (${error})`, {
        meta,
        hint: 'check clientId, clientSecret, region and the scopes of the Zoho connection',
      });
  }
}

/**
 * POST {accounts}/oauth/v2/token with a form body. 429, 5xx and network errors are retried with
 * backoff, jitter and Retry-After; "Access Denied" never is (each attempt extends Zoho's block).
 * Whatever persists becomes a coded error (ZOHO_TOKEN_THROTTLED, ZOHO_TOKEN_UNAVAILABLE, ...).
 */
export async function requestToken(endpoint: TokenEndpoint, params: Record<string, string>, purpose: TokenPurpose): Promise<TokenAnswer> {
  registerSecret(endpoint.clientSecret);
  const form = new URLSearchParams({ client_id: endpoint.clientId, client_secret: endpoint.clientSecret, ...params });
  const url = `${endpoint.accountsUrl.replace(/\/+$/, '')}/oauth/v2/token`;
  let res;
  try {
    res = await send(
      {
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        timeoutMs: endpoint.timeoutMs ?? 30_000,
      },
      {
        retry: endpoint.retry ?? DEFAULT_RETRY,
        retryOn: (status, body) => (status === 429 || status >= 500) && !isThrottleVerdict(body),
        ...(endpoint.dispatcher ? { dispatcher: endpoint.dispatcher } : {}),
        ...(endpoint.logger ? { logger: endpoint.logger } : {}),
      },
    );
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    throw new ZohoAuthError('ZOHO_TOKEN_UNAVAILABLE', `Zoho's accounts server could not be reached: ${err.message}`, {
      meta: { ...err.meta, accountsUrl: endpoint.accountsUrl, retryInMs: UNAVAILABLE_WAIT_MS, cause: err.code },
      hint: `check \`region\` (now ${endpoint.region ?? 'unset'}, or the accountsUrl override) of the Zoho connection, and that this host reaches ${endpoint.accountsUrl} through its proxy and firewall; then retry (nothing says the credentials are wrong)`,
      cause: err,
    });
  }
  return parseTokenAnswer(res.status, res.body, purpose, endpoint, parseRetryAfter(res.headers['retry-after']));
}

/** "15 minutes", "45 seconds": for hints. */
function describeWait(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  if (s === 1) return '1 second';
  if (s < 120) return `${s} seconds`;
  return `${Math.ceil(s / 60)} minutes`;
}

/**
 * The same transient error, saying when ml-connector will ask again: the manager refuses to ask
 * before `until` (epoch ms), in this process and, through the token cache, in the next ones.
 */
export function withRetryTime(err: ZohoAuthError, until: number, now: number): ZohoAuthError {
  const at = new Date(Math.ceil(until / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return new ZohoAuthError(err.code, err.message, {
    meta: { ...err.meta, retryAfter: at },
    hint: `retry after ${at} (in ${describeWait(until - now)}): ${err.hint ?? ''}`.replace(/: $/, ''),
    cause: err.cause ?? err,
  });
}

/** Throttling or an unreachable endpoint: it passes by itself, unlike a refused grant or client. */
export const isTransientTokenError = (err: unknown): err is ZohoAuthError =>
  err instanceof ZohoAuthError && (err.code === 'ZOHO_TOKEN_THROTTLED' || err.code === 'ZOHO_TOKEN_UNAVAILABLE');
