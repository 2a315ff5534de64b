import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ZohoRecord } from '../model/index.js';
import type { Clock } from '../support/clock.js';
import { systemClock } from '../support/clock.js';
import { silentLogger, type Logger } from '../support/log.js';
import type { ZohoClient } from './client.js';

/**
 * The handler for Zoho's notification callbacks (`serve` mounts it on /webhooks/zoho). Zoho signs
 * nothing: a callback proves itself only by the channel id and the plain token we registered, so
 * both are compared in constant time and anything else gets a bare 401. Callbacks carry ids only;
 * the records are fetched, changes our own apply made are recognised as echoes, and the event is
 * recorded. Nothing is ever written back to PeopleSoft from here.
 */

/** What the receiver records (the state store's recordWebhookEvent takes this shape). */
export interface WebhookEvent {
  source: 'zoho';
  channelId?: string;
  module?: string;
  operation?: string;
  recordIds: string[];
  /** Only callbacks that proved themselves are recorded (`rejected` is kept for older rows). */
  status: 'received' | 'processed' | 'ignored' | 'rejected';
  /** Secret-free note. Never the token. */
  detail?: string;
}

export interface WebhookEventSink {
  recordWebhookEvent(e: WebhookEvent): Promise<unknown> | unknown;
}

export interface KnownChannel {
  channelId: string;
  module: string;
  token: string;
}

export interface EchoWindow {
  /** Epoch ms. */
  start: number;
  end: number;
}

export interface WebhookReceiverOptions {
  client: Pick<ZohoClient, 'getRecords' | 'recentWrites'>;
  /** The channel with this id, with its token (from the secret store), or undefined. */
  channel: (channelId: string) => Promise<KnownChannel | undefined> | KnownChannel | undefined;
  sink: WebhookEventSink;
  /** Fields to fetch for the affected records (Modified_By and Modified_Time are always added). */
  fields?: (module: string) => string[];
  /** Called with the records changed by someone other than us (serve queues a sync). */
  onChange?: (change: { module: string; operation: string; records: ZohoRecord[]; deletedIds: string[] }) => Promise<void> | void;
  /** Zoho user id of our connection (echo suppression across processes). */
  ownUserId?: string | (() => Promise<string | undefined>);
  /** Time windows of our own applies (from the run history); with ownUserId, changes inside are echoes. */
  applyWindows?: () => Promise<EchoWindow[]> | EchoWindow[];
  clock?: Clock;
  logger?: Logger;
  /** Largest body accepted (default 256 KiB). */
  maxBytes?: number;
}

interface Callback {
  channel_id?: unknown;
  token?: unknown;
  module?: unknown;
  operation?: unknown;
  ids?: unknown;
}

/** Equal strings in time that does not depend on where they differ (or on their length). */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

async function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseCallback(text: string, contentType: string | undefined): Callback | undefined {
  try {
    if (contentType?.includes('application/x-www-form-urlencoded')) {
      const p = new URLSearchParams(text);
      return { channel_id: p.get('channel_id'), token: p.get('token'), module: p.get('module'), operation: p.get('operation'), ids: p.getAll('ids') };
    }
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' ? (v as Callback) : undefined;
  } catch {
    return undefined;
  }
}

const reply = (res: ServerResponse, status: number): void => {
  res.writeHead(status, { 'content-length': '0' });
  res.end();
};

/** Modified_Time strings compare by instant, whatever the offset. */
const sameInstant = (a: string | undefined, b: unknown): boolean => a !== undefined && typeof b === 'string' && Date.parse(a) === Date.parse(b);

export function createWebhookReceiver(o: WebhookReceiverOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const logger = o.logger ?? silentLogger;
  const clock = o.clock ?? systemClock;
  let ownUser: string | undefined = typeof o.ownUserId === 'string' ? o.ownUserId : undefined;

  const isEcho = async (module: string, rec: ZohoRecord): Promise<boolean> => {
    // 1. Records this process wrote, at exactly the Modified_Time Zoho gave back to us.
    const mine = o.client.recentWrites().some((w) => w.module === module && w.id === rec.id && sameInstant(w.modifiedTime, rec.Modified_Time));
    if (mine) return true;
    // 2. Another process (apply in CI) wrote it: our user, inside an apply's time window.
    if (typeof o.ownUserId === 'function' && ownUser === undefined) ownUser = await o.ownUserId();
    const by = (rec.Modified_By as { id?: unknown } | undefined)?.id;
    if (!ownUser || String(by) !== ownUser || !o.applyWindows) return false;
    const at = Date.parse(rec.Modified_Time);
    return (await o.applyWindows()).some((w) => at >= w.start - 1000 && at <= w.end + 1000);
  };

  return async (req, res) => {
    if (req.method !== 'POST') return reply(res, 405);
    const text = await readBody(req, o.maxBytes ?? 256 * 1024);
    const cb = text === undefined ? undefined : parseCallback(text, req.headers['content-type']);
    const channelId = cb && (typeof cb.channel_id === 'string' || typeof cb.channel_id === 'number') ? String(cb.channel_id) : undefined;
    const token = cb && typeof cb.token === 'string' ? cb.token : '';
    const known = channelId ? await o.channel(channelId) : undefined;
    // Compare even when the channel is unknown, so timing does not tell which channel ids exist.
    const tokenOk = constantTimeEqual(token, known?.token ?? '\u0000no-channel');
    if (!cb || !known || !tokenOk) {
      // Not recorded: whoever can reach the endpoint could otherwise grow the state database at
      // will. The caller (serve) counts refusals and rate-limits their sources.
      logger.debug('zoho webhook rejected', { channelId: channelId ?? null, reason: !cb ? 'unreadable body' : !known ? 'unknown channel' : 'token mismatch' });
      return reply(res, 401);
    }
    const module = typeof cb.module === 'string' && cb.module === known.module ? cb.module : known.module;
    const operation = typeof cb.operation === 'string' ? cb.operation : 'update';
    const ids = (Array.isArray(cb.ids) ? cb.ids : []).map(String).filter((s) => /^\d+$/.test(s)).slice(0, 1000);
    const base = { source: 'zoho' as const, channelId: known.channelId, module, operation, recordIds: ids };
    try {
      if (operation === 'delete') {
        await o.onChange?.({ module, operation, records: [], deletedIds: ids });
        await o.sink.recordWebhookEvent({ ...base, status: 'processed', detail: `${ids.length} deleted in Zoho` });
        return reply(res, 200);
      }
      const fields = [...new Set([...(o.fields?.(module) ?? []), 'Modified_By', 'Modified_Time'])];
      const records = ids.length ? await o.client.getRecords(module, ids, fields) : [];
      const theirs: ZohoRecord[] = [];
      for (const r of records) if (!(await isEcho(module, r))) theirs.push(r);
      if (theirs.length === 0) {
        await o.sink.recordWebhookEvent({ ...base, status: 'ignored', detail: records.length ? `echo of our own apply (${records.length} records)` : 'records no longer exist' });
        return reply(res, 200);
      }
      await o.onChange?.({ module, operation, records: theirs, deletedIds: [] });
      await o.sink.recordWebhookEvent({ ...base, status: 'processed', detail: `${theirs.length} changed in Zoho${records.length > theirs.length ? `, ${records.length - theirs.length} echoes ignored` : ''} at ${new Date(clock.now()).toISOString()}` });
      return reply(res, 200);
    } catch (err) {
      // Answer 200 anyway: the event is recorded as received and the next sync reads the records.
      logger.warn('zoho webhook: could not fetch the records', { channelId, error: (err as Error).message });
      await o.sink.recordWebhookEvent({ ...base, status: 'received', detail: `records not fetched: ${(err as Error).message}`.slice(0, 300) });
      return reply(res, 200);
    }
  };
}
