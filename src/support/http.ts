import { Agent, request, type Dispatcher } from 'undici';
import { channel } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { HttpError } from './errors.js';
import { sleep } from './clock.js';
import { safeUrl } from './redact.js';
import type { Logger } from './log.js';

/** Bounded retries with exponential backoff and full jitter. */
export interface RetryPolicy {
  /** Total attempts including the first. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this fails the call instead of sleeping (a person should look). */
  maxRetryAfterMs?: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 300_000,
};

export interface HttpCall {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string | URL;
  headers?: Record<string, string>;
  body?: string | Buffer | undefined;
  /** Whole-call timeout (headers and body). */
  timeoutMs: number;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Which attempt succeeded (1-based) and how long the whole call took, for metrics. */
  attempts: number;
  durationMs: number;
}

export interface SendOptions {
  dispatcher?: Dispatcher;
  retry?: RetryPolicy;
  /** Decide whether an answer is worth another attempt. Default: 429, 500, 502, 503, 504. */
  retryOn?: (status: number, body: string) => boolean;
  logger?: Logger;
  signal?: AbortSignal;
  /** Injected for tests; defaults to Math.random. */
  random?: () => number;
  /** Called once per attempt, e.g. to count API calls. */
  onAttempt?: (attempt: number) => void;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

/** What `send()` publishes after every attempt on the diagnostics channel below. */
export interface HttpAttemptEvent {
  /** `https://host:port` of the call: enough to tell Zoho from PeopleSoft, never a path or query. */
  origin: string;
  method: HttpCall['method'];
  /** The HTTP status, or undefined when the attempt failed without one (network, timeout). */
  status: number | undefined;
  durationMs: number;
}

/**
 * Every attempt of every call, for whoever listens (serve's API-latency histogram). A diagnostics
 * channel rather than a callback threaded through each client: the clients are built deep inside
 * a run, and publishing costs nothing while nobody subscribes.
 */
export const HTTP_ATTEMPTS_CHANNEL = 'ml-connector:http:attempt';
const attempts = channel(HTTP_ATTEMPTS_CHANNEL);

function originOf(url: string | URL): string {
  try {
    return new URL(String(url)).origin;
  } catch {
    return 'invalid';
  }
}

function publishAttempt(call: HttpCall, status: number | undefined, began: number): void {
  if (!attempts.hasSubscribers) return;
  const event: HttpAttemptEvent = { origin: originOf(call.url), method: call.method, status, durationMs: performance.now() - began };
  attempts.publish(event);
}

/** Network failures worth retrying (undici and Node codes). */
const RETRYABLE_NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'ERR_TIMEOUT',
  'TIMEOUT',
]);

/**
 * Parse Retry-After: either delta-seconds or an HTTP-date (RFC 9110 §10.2.3). Zoho does not send
 * it today, but proxies in front of PeopleSoft and future Zoho versions may; when both a number
 * and a date are impossible to read we fall back to our own backoff.
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  if (Number.isFinite(date)) return Math.max(0, date - now);
  return undefined;
}

export function backoffDelay(attempt: number, policy: RetryPolicy, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // Full jitter (AWS architecture blog): spreads retries from many callers evenly.
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

function networkCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * One HTTP call with a timeout, bounded retries with backoff and jitter, and Retry-After honoured.
 * Returns the final answer whatever its status once retries are spent or the status is not
 * retryable: interpreting statuses belongs to the API client. Throws HttpError only for network
 * failures and timeouts that outlived the retries. Error messages carry the method and a
 * secret-free URL, never headers or bodies.
 */
export async function send(call: HttpCall, options: SendOptions = {}): Promise<HttpResult> {
  const policy = options.retry ?? DEFAULT_RETRY;
  const retryOn = options.retryOn ?? ((status) => RETRYABLE_STATUS.has(status));
  const random = options.random ?? Math.random;
  const where = `${call.method} ${safeUrl(call.url)}`;
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    options.onAttempt?.(attempt);
    const timeout = AbortSignal.timeout(call.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const began = performance.now();
    let answered = false;
    try {
      const res = await request(call.url, {
        method: call.method,
        headers: call.headers ?? {},
        body: call.body ?? null,
        signal,
        ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      });
      const body = await res.body.text();
      answered = true;
      publishAttempt(call, res.statusCode, began);
      const headers = flattenHeaders(res.headers);
      if (attempt < policy.maxAttempts && retryOn(res.statusCode, body)) {
        const retryAfter = parseRetryAfter(headers['retry-after']);
        if (retryAfter !== undefined && retryAfter > (policy.maxRetryAfterMs ?? Infinity)) {
          return { status: res.statusCode, headers, body, attempts: attempt, durationMs: Date.now() - started };
        }
        const delay = retryAfter ?? backoffDelay(attempt, policy, random);
        options.logger?.debug('http retry', { call: where, status: res.statusCode, attempt, delayMs: delay });
        await sleep(delay, options.signal);
        continue;
      }
      return { status: res.statusCode, headers, body, attempts: attempt, durationMs: Date.now() - started };
    } catch (err) {
      if (!answered) publishAttempt(call, undefined, began);
      if (options.signal?.aborted) throw err;
      const timedOut = timeout.aborted;
      const code = timedOut ? 'TIMEOUT' : networkCode(err);
      const retryable = timedOut || (code !== undefined && RETRYABLE_NETWORK.has(code));
      if (retryable && attempt < policy.maxAttempts) {
        const delay = backoffDelay(attempt, policy, random);
        options.logger?.debug('http retry', { call: where, error: code, attempt, delayMs: delay });
        await sleep(delay, options.signal);
        continue;
      }
      if (timedOut) {
        throw new HttpError('HTTP_TIMEOUT', `${where} timed out after ${call.timeoutMs} ms (${attempt} attempt${attempt > 1 ? 's' : ''})`, {
          meta: { call: where, attempts: attempt, timeoutMs: call.timeoutMs },
          hint: 'The server did not answer in time; raise the timeout in the connection config or check the server load.',
          cause: err,
        });
      }
      throw new HttpError('HTTP_NETWORK', `${where} failed: ${code ?? (err as Error).message} (${attempt} attempt${attempt > 1 ? 's' : ''})`, {
        meta: { call: where, attempts: attempt, errorCode: code },
        cause: err,
      });
    }
  }
}

export interface TlsOptions {
  caFile?: string | undefined;
  rejectUnauthorized?: boolean | undefined;
}

/** A keep-alive connection pool, with a customer CA file when one is configured. */
export function createAgent(tls: TlsOptions = {}, connections = 16): Agent {
  const connect: Record<string, unknown> = {};
  if (tls.caFile) connect.ca = readFileSync(tls.caFile);
  if (tls.rejectUnauthorized === false) connect.rejectUnauthorized = false;
  return new Agent({ connections, keepAliveTimeout: 30_000, connect });
}
