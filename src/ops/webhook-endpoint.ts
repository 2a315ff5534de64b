import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../support/clock.js';
import { describeError } from '../support/errors.js';
import type { Logger } from '../support/log.js';
import { send } from './http.js';
import type { Metrics } from './metrics.js';
import { RejectionLimiter } from './rate-limit.js';
import type { WebhookReceiver, WebhookVerdict } from './webhook.js';

/**
 * `/webhooks/zoho` as serve answers it: 404 when notifications are off, 503 while stopping, 429 for
 * an address that was refused too often, then the receiver. Every refusal is counted and never
 * stored; accepted notifications are counted and handed on.
 */
export interface WebhookEndpointOptions {
  /** A receiver that decides (serve answers), or a complete handler that answers itself. */
  webhook?: WebhookReceiver | undefined;
  webhookHandler?: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;
  /** Called for every accepted notification, e.g. to record it in the state store. */
  onWebhook?: ((verdict: WebhookVerdict) => Promise<void>) | undefined;
  /** A notification about `module` was accepted (the receiver path; the handler calls serve itself). */
  onModule: (module: string) => void;
  limit: { maxRejected: number; windowMs: number };
  trustProxy: boolean;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  stopping: () => boolean;
}

const MAX_WEBHOOK_BODY = 256 * 1024;

/** The caller's address; behind a trusted proxy, the address the proxy saw. */
function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
  const last = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded)?.split(',').map((s) => s.trim()).filter(Boolean).at(-1);
  return last ?? req.socket.remoteAddress ?? 'unknown';
}

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

export function createWebhookEndpoint(o: WebhookEndpointOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { metrics, logger } = o;
  const limiter = new RejectionLimiter({ max: o.limit.maxRejected, windowMs: o.limit.windowMs, now: () => o.clock.now() });
  return async (req, res) => {
    if (!o.webhook && !o.webhookHandler) return send(res, 404, '{"error":"webhooks are not configured"}');
    if (o.stopping()) return send(res, 503, '{"error":"serve is stopping"}');
    const address = clientAddress(req, o.trustProxy);
    const wait = limiter.retryAfterSeconds(address);
    if (wait > 0) {
      metrics.webhooks.inc({ outcome: 'rate-limited' });
      req.resume();
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(wait), connection: 'close' });
      return void res.end('{"error":"too many refused calls from this address"}');
    }
    const refused = (reason: string | undefined, channelId?: string): void => {
      metrics.webhooks.inc({ outcome: 'rejected' });
      // Counted, never stored; one line per address and window, so a flood cannot fill the logs either.
      if (limiter.reject(address)) logger.warn('webhook rejected', { address, reason, channelId, limit: `${o.limit.maxRejected} per ${o.limit.windowMs / 1000} s, then 429` });
    };
    if (o.webhookHandler) {
      await o.webhookHandler(req, res);
      if (res.statusCode >= 200 && res.statusCode < 300) metrics.webhooks.inc({ outcome: 'accepted' });
      else refused(`HTTP ${res.statusCode}`);
      return;
    }
    if (req.method !== 'POST') {
      refused('not a POST');
      return send(res, 405, '{"error":"POST only"}');
    }
    const body = await readBody(req, MAX_WEBHOOK_BODY);
    if (body === undefined) {
      refused('body too large');
      return send(res, 413, '{"error":"too large"}');
    }
    const verdict = await o.webhook!(body, req.headers['content-type']);
    if (!verdict.accepted) {
      refused(verdict.reason, verdict.channelId);
      return send(res, verdict.status, JSON.stringify({ error: verdict.reason ?? 'rejected' }));
    }
    metrics.webhooks.inc({ outcome: 'accepted' });
    logger.info('webhook received', { channelId: verdict.channelId, module: verdict.module, operation: verdict.operation, records: verdict.ids?.length ?? 0 });
    if (verdict.module) o.onModule(verdict.module);
    if (o.onWebhook) await o.onWebhook(verdict).catch((err: unknown) => logger.warn('webhook not recorded', { error: describeError(err) }));
    send(res, verdict.status, JSON.stringify({ ok: true }));
  };
}
