import { request } from 'undici';
import { empty, json, zohoError, type Reply } from './http-io.js';
import { parseZohoTime } from './ids.js';
import type { Org } from './org.js';
import type { ZohoDelivery } from './types.js';

/**
 * `/crm/v8/actions/watch` channels and the callbacks POSTed to `notify_url` (reference §5).
 * Channels expire after 1 h by default, 1 week at most; expired channels are dropped silently.
 * Callbacks carry ids, operation, channel_id and the plain `token`; no signature.
 */

const HOUR = 3600_000;
const WEEK = 7 * 24 * HOUR;
const EVENT = /^([A-Za-z_]+)\.(create|edit|delete|all)$/;
const OPERATION_EVENT = { insert: 'create', update: 'edit', delete: 'delete' } as const;

interface Channel {
  channelId: string;
  events: string[];
  notifyUrl: string;
  token: string | undefined;
  expiresAt: number;
  returnAffected: boolean;
  notifyOnRelated: boolean;
}

type Item = Record<string, unknown>;

const itemError = (code: string, message: string, details: Record<string, unknown>): Item => ({ code, details, message, status: 'error' });

export type DeliveryLogger = (d: ZohoDelivery, durationMs: number) => void;

export class Notifier {
  private readonly channels = new Map<string, Channel>();
  readonly deliveries: ZohoDelivery[] = [];
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly org: Org,
    private readonly baseUrl: () => string,
    private readonly onDelivery: DeliveryLogger,
  ) {}

  private live(): Channel[] {
    const now = this.org.clock.now();
    for (const [id, c] of this.channels) if (c.expiresAt <= now) this.channels.delete(id);
    return [...this.channels.values()];
  }

  handle(method: string, query: URLSearchParams, body: unknown): Reply {
    if (method === 'GET') return this.list(query);
    if (method === 'DELETE') return this.remove(query);
    const items = (body as { watch?: unknown } | undefined)?.watch;
    if (!Array.isArray(items) || items.length === 0) {
      return zohoError(400, 'MANDATORY_NOT_FOUND', 'required field not found', { api_name: 'watch', json_path: '$.watch' });
    }
    const results = items.map((item, i) => this.apply(method, item, i));
    const ok = results.filter((r) => r.status === 'success').length;
    const status = ok === 0 ? 400 : ok < results.length ? 207 : method === 'POST' ? 201 : 200;
    return json(status, { watch: results });
  }

  private resolveExpiry(raw: unknown, path: string): number | Item {
    const now = this.org.clock.now();
    if (raw === undefined || raw === null) return now + HOUR;
    const at = typeof raw === 'string' ? parseZohoTime(raw) : undefined;
    if (at === undefined || at <= now) return itemError('INVALID_DATA', 'invalid data', { api_name: 'channel_expiry', json_path: path, expected_data_type: 'datetime' });
    return at > now + WEEK ? now + HOUR : at;
  }

  private checkEvents(raw: unknown, path: string): string[] | Item {
    if (!Array.isArray(raw) || raw.length === 0) return itemError('MANDATORY_NOT_FOUND', 'required field not found', { api_name: 'events', json_path: path });
    for (let i = 0; i < raw.length; i++) {
      const m = typeof raw[i] === 'string' ? EVENT.exec(raw[i] as string) : null;
      if (!m || !this.org.modules.has(m[1]!)) return itemError('INVALID_DATA', 'invalid data', { api_name: 'events', json_path: `${path}[${i}]` });
    }
    return raw as string[];
  }

  private apply(method: string, raw: unknown, i: number): Item {
    const path = `$.watch[${i}]`;
    if (!raw || typeof raw !== 'object') return itemError('INVALID_DATA', 'invalid data', { json_path: path, expected_data_type: 'jsonobject' });
    const w = raw as Record<string, unknown>;
    const idRaw = w.channel_id;
    if (idRaw === undefined || idRaw === null) return itemError('MANDATORY_NOT_FOUND', 'required field not found', { api_name: 'channel_id', json_path: `${path}.channel_id` });
    const channelId = String(idRaw);
    if (!/^\d{1,19}$/.test(channelId)) return itemError('INVALID_DATA', 'invalid data', { api_name: 'channel_id', json_path: `${path}.channel_id`, expected_data_type: 'long' });
    const existing = this.live().find((c) => c.channelId === channelId);
    if (method !== 'POST' && !existing) return itemError('NOT_SUBSCRIBED', 'the channel is not subscribed', { channel_id: channelId });

    if (w.token !== undefined && (typeof w.token !== 'string' || w.token.length > 50)) {
      return itemError('INVALID_DATA', 'invalid data', { api_name: 'token', json_path: `${path}.token`, maximum_length: 50 });
    }
    if (w.notify_url !== undefined && !isHttpUrl(w.notify_url)) {
      return itemError('INVALID_DATA', 'invalid data', { api_name: 'notify_url', json_path: `${path}.notify_url` });
    }
    const eventsGiven = w.events !== undefined || method === 'POST' || method === 'PUT';
    const events = eventsGiven ? this.checkEvents(w.events, `${path}.events`) : [];
    if (!Array.isArray(events)) return events;
    const expiryGiven = w.channel_expiry !== undefined || method !== 'PATCH';
    const expiry = expiryGiven ? this.resolveExpiry(w.channel_expiry, `${path}.channel_expiry`) : existing!.expiresAt;
    if (typeof expiry !== 'number') return expiry;

    let channel: Channel;
    let message: string;
    if (method === 'PATCH' && w._delete_events === true) {
      channel = { ...existing!, events: existing!.events.filter((e) => !events.includes(e)) };
      message = 'Successfully removed the subscribe details';
    } else if (method === 'PATCH' || (method === 'POST' && existing)) {
      const base = existing!;
      channel = {
        ...base,
        events: [...new Set([...base.events, ...events])],
        notifyUrl: typeof w.notify_url === 'string' ? w.notify_url : base.notifyUrl,
        token: typeof w.token === 'string' ? w.token : base.token,
        expiresAt: expiry,
        returnAffected: typeof w.return_affected_field_values === 'boolean' ? w.return_affected_field_values : base.returnAffected,
        notifyOnRelated: typeof w.notify_on_related_action === 'boolean' ? w.notify_on_related_action : base.notifyOnRelated,
      };
      message = method === 'POST' ? 'Successfully subscribed for actions-watch of the given module' : 'Successfully updated the subscribe details';
    } else {
      if (typeof w.notify_url !== 'string') return itemError('MANDATORY_NOT_FOUND', 'required field not found', { api_name: 'notify_url', json_path: `${path}.notify_url` });
      channel = {
        channelId,
        events,
        notifyUrl: w.notify_url,
        token: typeof w.token === 'string' ? w.token : undefined,
        expiresAt: expiry,
        returnAffected: w.return_affected_field_values === true,
        notifyOnRelated: w.notify_on_related_action !== false,
      };
      message = method === 'POST' ? 'Successfully subscribed for actions-watch of the given module' : 'Successfully updated the subscribe details';
    }
    if (channel.events.length === 0) this.channels.delete(channelId);
    else this.channels.set(channelId, channel);
    return { code: 'SUCCESS', details: { events: this.describeEvents(channel, events.length ? events : channel.events) }, message, status: 'success' };
  }

  private describeEvents(c: Channel, events: string[]): Item[] {
    const modules = [...new Set(events.map((e) => e.split('.')[0]!))];
    return modules.map((m) => ({
      channel_expiry: this.org.time(c.expiresAt),
      resource_uri: `${this.baseUrl()}/crm/v8/${m}`,
      resource_id: this.org.modules.get(m)?.id ?? null,
      resource_name: m,
      channel_id: c.channelId,
    }));
  }

  private list(query: URLSearchParams): Reply {
    const wantId = query.get('channel_id');
    const wantModule = query.get('module');
    const perPage = Math.min(Number(query.get('per_page') ?? '200') || 200, 200);
    const page = Math.max(Number(query.get('page') ?? '1') || 1, 1);
    const rows: Item[] = [];
    for (const c of this.live()) {
      if (wantId !== null && c.channelId !== wantId) continue;
      const modules = [...new Set(c.events.map((e) => e.split('.')[0]!))];
      for (const m of modules) {
        if (wantModule !== null && m !== wantModule) continue;
        rows.push({
          notify_on_related_action: c.notifyOnRelated,
          channel_expiry: this.org.time(c.expiresAt),
          resource_uri: `${this.baseUrl()}/crm/v8/${m}`,
          resource_id: this.org.modules.get(m)?.id ?? null,
          notify_url: c.notifyUrl,
          resource_name: m,
          fields: null,
          channel_id: c.channelId,
          events: c.events.filter((e) => e.startsWith(`${m}.`)),
          token: c.token ?? null,
          return_affected_field_values: c.returnAffected,
        });
      }
    }
    const slice = rows.slice((page - 1) * perPage, page * perPage);
    if (slice.length === 0) return empty(204);
    return json(200, { watch: slice, info: { per_page: perPage, count: slice.length, page, more_records: page * perPage < rows.length } });
  }

  private remove(query: URLSearchParams): Reply {
    const raw = query.get('channel_ids');
    if (raw === null || raw.trim() === '') return zohoError(400, 'REQUIRED_PARAM_MISSING', 'One of the expected parameter is missing', { param_name: 'channel_ids' });
    const live = new Map(this.live().map((c) => [c.channelId, c]));
    const results: Item[] = raw.split(',').map((id) => {
      const c = live.get(id.trim());
      if (!c) return itemError('NOT_SUBSCRIBED', 'the channel is not subscribed', { channel_id: id.trim() });
      this.channels.delete(c.channelId);
      return { code: 'SUCCESS', details: { events: this.describeEvents(c, c.events) }, message: 'Successfully un-subscribed from actions-watch', status: 'success' };
    });
    const ok = results.filter((r) => r.status === 'success').length;
    return json(ok === 0 ? 400 : ok < results.length ? 207 : 200, { watch: results });
  }

  /** Send callbacks for a change; `byApi` marks writes made through the API by the connected app. */
  emit(module: string, operation: 'insert' | 'update' | 'delete', ids: string[], affected: Map<string, string[]>, byApi: boolean): void {
    if (ids.length === 0 || (byApi && !this.org.quirks.notifyOwnChanges)) return;
    const event = OPERATION_EVENT[operation];
    for (const c of this.live()) {
      if (!c.events.includes(`${module}.${event}`) && !c.events.includes(`${module}.all`)) continue;
      const query: Record<string, string> = {};
      try {
        for (const [k, v] of new URL(c.notifyUrl).searchParams) query[k] = v;
      } catch {
        continue;
      }
      const payload: Record<string, unknown> = {
        server_time: this.org.clock.now(),
        query_params: query,
        module,
        resource_uri: `${this.baseUrl()}/crm/${this.org.quirks.callbackResourceUriVersion}/${module}`,
        ids,
        affected_fields: c.returnAffected && operation === 'update' ? ids.map((id) => ({ [id]: affected.get(id) ?? [] })) : [],
        operation,
        channel_id: c.channelId,
      };
      if (c.token !== undefined) payload.token = c.token;
      this.track(this.deliver(c, payload));
    }
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private async deliver(c: Channel, payload: Record<string, unknown>): Promise<void> {
    const delivery: ZohoDelivery = { channelId: c.channelId, url: c.notifyUrl, payload, at: this.org.clock.now() };
    this.deliveries.push(delivery);
    const attempts = 1 + this.org.quirks.notifyRetries;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const started = performance.now();
      try {
        const res = await request(c.notifyUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(payload),
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
        });
        await res.body.dump();
        delivery.status = res.statusCode;
        delete delivery.error;
      } catch (err) {
        delivery.error = (err as Error).message;
      }
      this.onDelivery(delivery, performance.now() - started);
      if (delivery.status !== undefined && delivery.status >= 200 && delivery.status < 300) return;
    }
  }

  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}

function isHttpUrl(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
