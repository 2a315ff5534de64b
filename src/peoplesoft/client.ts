/**
 * One PeopleSoft connection: a keep-alive connection pool (TLS with the customer's CA, or no
 * certificate check only when configured, with a loud warning), authentication, timeouts and
 * retries (src/support/http.ts), and the translation of what goes wrong into coded errors whose
 * hint says what to check. 401 is never retried with the same credentials (reference §1.5).
 */
import { readFileSync } from 'node:fs';
import { Agent, type Dispatcher } from 'undici';
import type { PeopleSoftConnection } from '../config/types.generated.js';
import { ConfigError, HttpError, MlError } from '../support/errors.js';
import { DEFAULT_RETRY, send, type HttpResult, type RetryPolicy } from '../support/http.js';
import { safeUrl, scrub } from '../support/redact.js';
import { silentLogger, type Logger } from '../support/log.js';
import type { Clock } from '../support/clock.js';
import { createAuthenticator, type AuthMode, type Authenticator, type PsCredentials } from './auth.js';
import { readErrorBody } from './rows.js';
import { rootElementName } from './xml.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export interface PeopleSoftClientOptions {
  credentials: PsCredentials;
  clock?: Clock;
  logger?: Logger;
  /** Use this pool instead of creating one (tests, or sharing); it is not closed by close(). */
  dispatcher?: Dispatcher;
}

export interface PeopleSoftClient {
  readonly connection: PeopleSoftConnection;
  readonly authMode: AuthMode;
  readonly logger: Logger;
  /** HTTP calls made to PeopleSoft (attempts, retries and token calls included). */
  readonly calls: number;
  /** Rows received from PeopleSoft. */
  readonly rows: number;
  /** GET `url` and return the 2xx answer, or throw a coded error with a hint. */
  get(url: string, opts?: { accept?: string; signal?: AbortSignal | undefined }): Promise<HttpResult>;
  countRows(n: number): void;
  close(): Promise<void>;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

/**
 * Worth another attempt: what support/http retries (429, 5xx), and the HttpListeningConnector's
 * 200 with `<IBResponse type="error">`: the handler failed, often for a passing reason (a locked
 * row, an application server restarting), so it gets the same bounded backoff as a 5xx.
 */
function isRetryable(status: number, body: string): boolean {
  if (RETRYABLE_STATUS.has(status)) return true;
  return status === 200 && rootElementName(body) === 'IBResponse' && /\btype\s*=\s*["']error["']/i.test(body.slice(0, 4096));
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|EPROTO|SSL|UNABLE_TO_GET_ISSUER/;

export function createPeopleSoftClient(conn: PeopleSoftConnection, opts: PeopleSoftClientOptions): PeopleSoftClient {
  const logger = (opts.logger ?? silentLogger).child({ connection: conn.name });
  const timeoutMs = conn.timeouts?.requestMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...conn.retry };
  const dispatcher = opts.dispatcher ?? createPool(conn, logger);
  let calls = 0;
  let rows = 0;
  const onCall = (): void => {
    calls++;
  };
  const auth: Authenticator = createAuthenticator(conn, {
    credentials: opts.credentials, clock: opts.clock, logger, dispatcher, timeoutMs, retry, onCall,
  });

  async function get(url: string, o: { accept?: string; signal?: AbortSignal | undefined } = {}): Promise<HttpResult> {
    const where = `GET ${safeUrl(url)}`;
    for (let attempt = 1; ; attempt++) {
      const authorization = await auth.header(o.signal);
      let res: HttpResult;
      try {
        res = await send(
          { method: 'GET', url, timeoutMs, headers: { authorization, accept: o.accept ?? 'application/json' } },
          { dispatcher, retry, retryOn: isRetryable, logger, onAttempt: onCall, ...(o.signal ? { signal: o.signal } : {}) },
        );
      } catch (err) {
        throw translateNetworkError(err, conn, where, timeoutMs);
      }
      if (res.status === 401 && attempt === 1 && auth.invalidate()) {
        // Our cached OAuth token was refused before its stated expiry: fetch one fresh token, once.
        logger.debug('peoplesoft token refused, fetching a new one', { call: where });
        continue;
      }
      if (res.status >= 200 && res.status < 300) {
        const ibError = res.status === 200 ? readErrorBody(res.body, where) : undefined;
        if (ibError !== undefined) {
          throw new MlError('PS_IB_ERROR', `${where}: the Integration Broker answered with an error${res.attempts > 1 ? ` ${res.attempts} times` : ''}: ${scrub(ibError)}`, {
            meta: { call: where, status: res.status, attempts: res.attempts },
            hint: 'The gateway accepted the call but the handler failed (retried with backoff); see the message and the Integration Broker monitor.',
          });
        }
        return res;
      }
      throw translateStatus(res, conn, where, auth.mode);
    }
  }

  return {
    connection: conn,
    authMode: auth.mode,
    logger,
    get calls() {
      return calls;
    },
    get rows() {
      return rows;
    },
    get,
    countRows(n) {
      rows += n;
    },
    async close() {
      if (!opts.dispatcher) await dispatcher.close();
    },
  };
}

function createPool(conn: PeopleSoftConnection, logger: Logger): Agent {
  const connect: Record<string, unknown> = { timeout: conn.timeouts?.connectMs ?? DEFAULT_CONNECT_TIMEOUT_MS };
  if (conn.tls?.caFile) {
    try {
      connect.ca = readFileSync(conn.tls.caFile);
    } catch (cause) {
      throw new ConfigError('PS_TLS_CA_FILE', `Connection ${conn.name}: cannot read tls.caFile ${conn.tls.caFile}`, {
        meta: { connection: conn.name, caFile: conn.tls.caFile },
        hint: 'Point tls.caFile at a readable PEM file with the CA certificate(s) of the PeopleSoft web server.',
        cause,
      });
    }
  }
  if (conn.tls?.rejectUnauthorized === false) {
    connect.rejectUnauthorized = false;
    logger.warn('TLS CERTIFICATE CHECK IS OFF for this PeopleSoft connection: anyone between ml-connector and PeopleSoft can read and change the data and see the credentials. Use tls.caFile instead, and turn it off only on a test system.', { connection: conn.name, baseUrl: conn.baseUrl });
  }
  return new Agent({ connections: Math.max(4, conn.concurrency ?? 4), keepAliveTimeout: 30_000, connect });
}

function causeCodes(err: unknown): string[] {
  const out: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 6 && e; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') out.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

function hostOf(conn: PeopleSoftConnection): string {
  try {
    return new URL(conn.baseUrl).host;
  } catch {
    return conn.baseUrl;
  }
}

/** Network failures (after retries) as coded errors: DNS, refused, TLS, timeout. */
export function translateNetworkError(err: unknown, conn: PeopleSoftConnection, where: string, timeoutMs: number): unknown {
  if (!(err instanceof HttpError)) return err;
  const codes = causeCodes(err.cause);
  const meta = { ...err.meta, connection: conn.name, host: hostOf(conn) };
  const host = hostOf(conn);
  if (err.code === 'HTTP_TIMEOUT') {
    return new HttpError('PS_TIMEOUT', `${where}: PeopleSoft did not answer within ${timeoutMs} ms`, {
      meta, cause: err,
      hint: 'Synchronous queries can be slow: raise timeouts.requestMs (keep at least 120 s), lower maxRows, or ask the PeopleSoft team why the query is slow.',
    });
  }
  if (codes.some((c) => c === 'ENOTFOUND' || c === 'EAI_AGAIN' || c === 'EAI_NONAME')) {
    return new HttpError('PS_DNS', `Cannot resolve host ${host} (${where})`, {
      meta, cause: err, hint: `Check baseUrl (${conn.baseUrl}); from inside the customer network, check DNS or use the server's IP address.`,
    });
  }
  if (codes.includes('ECONNREFUSED')) {
    return new HttpError('PS_REFUSED', `Connection to ${host} refused (${where})`, {
      meta, cause: err, hint: 'Check the port in baseUrl, that the PeopleSoft web server (PIA/PSIGW) is up, and that a firewall lets ml-connector through.',
    });
  }
  const tls = codes.find((c) => TLS_CODES.test(c));
  if (tls) {
    return new HttpError('PS_TLS', `TLS handshake with ${host} failed: ${tls} (${where})`, {
      meta: { ...meta, tlsError: tls }, cause: err,
      hint: 'If the server uses an internal CA, set tls.caFile to its PEM certificate. Check the host name matches the certificate.',
    });
  }
  return new HttpError('PS_NETWORK', `${where}: network failure ${codes[0] ?? err.message}`, {
    meta, cause: err, hint: 'Check the network path to PeopleSoft; the call was retried with backoff.',
  });
}

/** Non-2xx statuses as coded errors. */
function translateStatus(res: HttpResult, conn: PeopleSoftConnection, where: string, mode: AuthMode): HttpError {
  const meta = { call: where, status: res.status, connection: conn.name };
  const snippet = scrub(res.body.replace(/\s+/g, ' ').trim().slice(0, 200));
  if (res.status === 401 || res.status === 403) {
    const who = conn.auth.type === 'basic' ? `user ${conn.auth.username}` : 'the OAuth2 token';
    const hint = mode === 'basic'
      ? `Check that OPRID ${conn.auth.type === 'basic' ? conn.auth.username : ''} is unlocked and the password is right; that a permission list grants the service operation (PTPT2200 for QAS queries, the CIRT_/custom operation otherwise); and that the query's records are in one of the user's query access groups.`
      : 'Check the token is valid and not expired, that its sub (or email) claim maps to an unlocked PeopleSoft OPRID, that the service operation accepts OAuth2, and the permission lists (PTPT2200 for QAS) and query access groups of that user.';
    return new HttpError('PS_UNAUTHORIZED', `PeopleSoft refused ${who} (HTTP ${res.status}) on ${where}`, { status: res.status, meta, hint });
  }
  if (res.status === 404) {
    return new HttpError('PS_NOT_FOUND', `PeopleSoft answered 404 for ${where}${snippet ? `: ${snippet}` : ''}`, {
      status: 404, meta,
      hint: `Check the node name (${conn.node ?? 'PSFT_HR'}; delivered defaults are PSFT_HR for HCM and PSFT_EP for FSCM), the service operation or query name, and that it is published and active.`,
    });
  }
  return new HttpError('PS_HTTP_ERROR', `PeopleSoft answered HTTP ${res.status} for ${where}${res.attempts > 1 ? ` after ${res.attempts} attempts` : ''}${snippet ? `: ${snippet}` : ''}`, {
    status: res.status, meta: { ...meta, attempts: res.attempts },
    hint: res.status >= 500 ? 'PeopleSoft failed before answering; check the application server and the Integration Broker monitor, then rerun.' : 'Check the request the connection config builds (query, prompts, URI template).',
  });
}
