import PQueue from 'p-queue';
import type { Dispatcher } from 'undici';
import { allowManyListeners } from '../support/clock.js';
import { MlError } from '../support/errors.js';
import { sleep } from '../support/clock.js';
import { backoffDelay, DEFAULT_RETRY, send, type HttpResult, type RetryPolicy } from '../support/http.js';
import { silentLogger, type Logger } from '../support/log.js';
import { safeUrl } from '../support/redact.js';
import { callCredits, SUB_CONCURRENCY, type ZohoCallKind } from './credits.js';
import { hintFor, readEnvelope, ZohoApiError } from './errors.js';
import { regionsDisagree } from './regions.js';
import { SCOPE_OF_CALL } from './scopes.js';
import type { AccessToken, TokenManager } from './token.js';

export interface ApiRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path under `/crm/{version}`, e.g. `/Contacts/upsert`. */
  path: string;
  query?: Record<string, string | undefined>;
  headers?: Record<string, string>;
  body?: unknown;
  kind: ZohoCallKind;
  /** Records the call carries or asks for, for credits. */
  records?: number;
  /** Counts against Zoho's sub-concurrency of 10 (search, writes of >10 records, sorted lists). */
  heavy?: boolean;
  /** Statuses that are answers, not errors (204, 304, 207, 400 with per-record results...). */
  accept?: (status: number, json: unknown) => boolean;
  signal?: AbortSignal;
  /** Runs when the call leaves the queue, before anything is sent; may throw to cancel it. */
  beforeSend?: () => void;
}

export interface ApiAnswer {
  status: number;
  headers: Record<string, string>;
  json: unknown;
}

export interface ClientStats {
  /** HTTP requests sent to the CRM API, retries included (token requests are not in here). */
  calls: number;
  callsByKind: Record<string, number>;
  /** Credits consumed by successful calls, from the documented costs. */
  credits: number;
  /** Last `X-API-CREDITS-REMAINING` Zoho sent (it sends it once half the credits are used). */
  creditsRemaining?: number;
  tokenRefreshes: number;
  /** Attempts beyond the first (429, 5xx, network, INVALID_TOKEN). */
  retries: number;
}

export interface TransportOptions {
  tokens: TokenManager;
  apiVersion: string;
  concurrency: number;
  timeoutMs: number;
  retry?: RetryPolicy;
  region?: string;
  /** The accounts server tokens come from: a refused token is blamed on the region only when it and the API domain disagree. */
  accountsUrl?: string;
  logger?: Logger;
  dispatcher?: Dispatcher;
}

/**
 * A token Zoho refuses right after issuing it is sent again this many times, after a backoff:
 * Zoho's data centers may take a moment to accept a new token.
 */
const FRESH_TOKEN_RETRIES = 2;

const refusesToken = (res: HttpResult, json: unknown): boolean => res.status === 401 && readEnvelope(json)?.code === 'INVALID_TOKEN';

/** 2xx, and 304 (nothing changed since If-Modified-Since), are answers. */
const OK = (status: number): boolean => (status >= 200 && status < 300) || status === 304;

/**
 * Every CRM API call goes through here: a queue with the edition's concurrency (and the
 * sub-concurrency of 10 for heavy calls), the access token, `send()` with backoff and
 * Retry-After, a new token on 401 INVALID_TOKEN (and a few retries with backoff if even that one is
 * refused), error envelopes turned into ZohoApiError, counts.
 */
export class ZohoTransport {
  private readonly queue: PQueue;
  private readonly heavyQueue: PQueue;
  private readonly logger: Logger;
  readonly counters: ClientStats = { calls: 0, callsByKind: {}, credits: 0, tokenRefreshes: 0, retries: 0 };

  constructor(private readonly o: TransportOptions) {
    this.queue = new PQueue({ concurrency: o.concurrency });
    this.heavyQueue = new PQueue({ concurrency: Math.min(SUB_CONCURRENCY, o.concurrency) });
    this.logger = o.logger ?? silentLogger;
  }

  stats(): ClientStats {
    return { ...this.counters, callsByKind: { ...this.counters.callsByKind }, tokenRefreshes: this.o.tokens.refreshes };
  }

  async call(req: ApiRequest): Promise<ApiAnswer> {
    allowManyListeners(req.signal);
    const run = (): Promise<ApiAnswer> => this.queue.add(() => this.attempt(req), req.signal ? { signal: req.signal } : {});
    return req.heavy ? this.heavyQueue.add(run, req.signal ? { signal: req.signal } : {}) : run();
  }

  /** Wait for queued calls to finish. */
  async drain(): Promise<void> {
    await Promise.all([this.queue.onIdle(), this.heavyQueue.onIdle()]);
  }

  private async attempt(req: ApiRequest): Promise<ApiAnswer> {
    req.beforeSend?.();
    let token = await this.o.tokens.get();
    let res = await this.sendWith(req, token);
    let json: unknown;
    try {
      json = parseJson(res);
    } catch (err) {
      // An answer cut short: reads, upserts (matched by external id), updates and deletes are
      // safe to send again; a plain insert is not.
      if (req.kind === 'insert') throw err;
      this.counters.retries++;
      res = await this.sendWith(req, token);
      json = parseJson(res);
    }
    if (refusesToken(res, json)) {
      // Expired early, revoked, or superseded (the 16th token kills the 1st): a new token, and if
      // even that is refused, the same one again after a backoff (ten calls failing together
      // cause one refresh; a revoked grant ends in the token endpoint's REAUTH error).
      this.o.tokens.invalidate(token);
      token = await this.o.tokens.get();
      for (let retry = 1; ; retry++) {
        this.counters.retries++;
        res = await this.sendWith(req, token);
        json = parseJson(res);
        if (!refusesToken(res, json) || retry > FRESH_TOKEN_RETRIES) break;
        await sleep(backoffDelay(retry, this.o.retry ?? DEFAULT_RETRY), req.signal);
      }
    }
    const accepted = OK(res.status) || (req.accept?.(res.status, json) ?? false);
    if (accepted) {
      // Documented costs; 204/304 carry no data (Zoho's charging for them is not documented).
      if (res.status !== 204 && res.status !== 304) this.counters.credits += callCredits(req.kind, req.records ?? 1);
      return { status: res.status, headers: res.headers, json };
    }
    throw this.toError(req, res, json, token);
  }

  private url(req: ApiRequest, token: AccessToken): URL {
    const url = new URL(`${token.apiDomain}/crm/${this.o.apiVersion}${req.path}`);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    return url;
  }

  private async sendWith(req: ApiRequest, token: AccessToken): Promise<HttpResult> {
    const headers: Record<string, string> = { authorization: `Zoho-oauthtoken ${token.value}`, accept: 'application/json', ...req.headers };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] = 'application/json';
    }
    const res = await send(
      { method: req.method, url: this.url(req, token), headers, body, timeoutMs: this.o.timeoutMs },
      {
        retry: this.o.retry ?? DEFAULT_RETRY,
        logger: this.logger,
        ...(req.signal ? { signal: req.signal } : {}),
        ...(this.o.dispatcher ? { dispatcher: this.o.dispatcher } : {}),
        onAttempt: (attempt) => {
          this.counters.calls++;
          this.counters.callsByKind[req.kind] = (this.counters.callsByKind[req.kind] ?? 0) + 1;
          if (attempt > 1) this.counters.retries++;
        },
      },
    );
    const remaining = Number(res.headers['x-api-credits-remaining']);
    if (res.headers['x-api-credits-remaining'] !== undefined && Number.isFinite(remaining)) this.counters.creditsRemaining = remaining;
    return res;
  }

  private toError(req: ApiRequest, res: HttpResult, json: unknown, token: AccessToken): MlError {
    const where = `${req.method} ${safeUrl(this.url(req, token))}`;
    const env = readEnvelope(json);
    const code = env?.code ?? (res.status === 429 ? 'TOO_MANY_REQUESTS' : `HTTP_${res.status}`);
    const retried = res.attempts > 1 ? ` after ${res.attempts} attempts` : '';
    const details = env && Object.keys(env.details).length ? ` ${JSON.stringify(env.details)}` : '';
    if (code === 'INVALID_TOKEN') return this.refusedTokenError(req, res, token, where);
    const message = `Zoho answered ${res.status} ${code}${env?.message ? ` (${env.message})` : ''}${details} to ${where}${retried}`;
    const hint =
      code === 'OAUTH_SCOPE_MISMATCH'
        ? `the token lacks ${SCOPE_OF_CALL[req.kind]}, which this call needs: keep auth.scopes at its default (or add the scope); for a refresh token, re-run ml-connector auth zoho to grant it`
        : (hintFor(code) ?? (res.status >= 500 ? 'Zoho had a server error; try again later' : undefined));
    return new ZohoApiError(code, message, {
      status: res.status,
      meta: { call: where, status: res.status, zohoCode: code, attempts: res.attempts, ...(env ? { details: env.details } : {}) },
      ...(hint ? { hint } : {}),
    });
  }

  /**
   * A fresh token refused again after the retries. The region is named only when the token's
   * accounts server and the API domain belong to different data centers; otherwise the token was
   * most likely superseded by another process using the same refresh token, or Zoho is failing.
   */
  private refusedTokenError(req: ApiRequest, res: HttpResult, token: AccessToken, where: string): ZohoApiError {
    const meta = { call: where, status: res.status, zohoCode: 'INVALID_TOKEN', apiDomain: token.apiDomain, ...(this.o.accountsUrl ? { accountsUrl: this.o.accountsUrl } : {}) };
    const mismatch = this.o.accountsUrl ? regionsDisagree(this.o.accountsUrl, token.apiDomain) : undefined;
    if (mismatch) {
      return new ZohoApiError('INVALID_TOKEN', `Zoho refused a freshly issued access token at ${token.apiDomain} (INVALID_TOKEN): the token comes from the ${mismatch.accounts} accounts server ${this.o.accountsUrl} but the API domain is in the ${mismatch.api} data center`, {
        status: res.status,
        meta: { ...meta, accountsRegion: mismatch.accounts, apiRegion: mismatch.api },
        hint: `set \`region\` (now ${this.o.region ?? 'unset'}) to the organisation's data center and remove apiUrl/accountsUrl overrides that point elsewhere`,
      });
    }
    return new ZohoApiError('INVALID_TOKEN', `Zoho refused a freshly issued access token ${FRESH_TOKEN_RETRIES + 1} times, with waits between, at ${where} (INVALID_TOKEN)`, {
      status: res.status,
      meta,
      hint: 'another process may have minted 15 newer tokens from the same refresh token (Zoho keeps 15 live), or Zoho is failing: retry in a few minutes, and keep one refresh token to one place (CI, serve)',
    });
  }
}

function parseJson(res: HttpResult): unknown {
  if (res.body === '') return undefined;
  try {
    return JSON.parse(res.body) as unknown;
  } catch {
    if (res.status >= 200 && res.status < 300) {
      throw new ZohoApiError('INVALID_RESPONSE', `Zoho answered ${res.status} with a body that is not JSON`, {
        status: res.status,
        hint: 'a proxy may be in the way, or the answer was cut short; try again',
      });
    }
    return undefined;
  }
}
