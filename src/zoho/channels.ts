import { MlError } from '../support/errors.js';
import type { ZohoTransport } from './transport.js';

/** Notification channels: `{api}/crm/v8/actions/watch` (enable, renew, disable, list). */

export type ChannelEvent = 'create' | 'edit' | 'delete';

export interface ChannelSpec {
  /** Chosen by us: a long integer as a string. */
  channelId: string;
  module: string;
  events: ChannelEvent[];
  notifyUrl: string;
  /** Verification token Zoho echoes in every callback (≤50 characters). */
  token: string;
  /** Epoch ms; Zoho allows at most one week ahead (and silently makes it one hour otherwise). */
  expiresAt: number;
}

export interface Channel {
  channelId: string;
  module: string;
  events: string[];
  notifyUrl?: string;
  /** Epoch ms, when Zoho gave a readable expiry. */
  expiresAt?: number;
}

export interface ChannelApi {
  list(module?: string): Promise<Channel[]>;
  enable(spec: ChannelSpec): Promise<Channel>;
  /** Move the expiry (and token/events/notify URL when given): PATCH keeps the rest. */
  renew(spec: Pick<ChannelSpec, 'channelId' | 'expiresAt'> & Partial<ChannelSpec>): Promise<Channel>;
  disable(channelIds: string[]): Promise<void>;
}

/** Zoho's datetime shape: seconds, explicit offset (`2026-01-02T03:04:05+00:00`). */
export function formatZohoTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', '+00:00');
}

interface WatchItem {
  code?: string;
  status?: string;
  message?: string;
  details?: { events?: Array<{ channel_expiry?: string; resource_name?: string; channel_id?: string | number }> } & Record<string, unknown>;
}

function readItem(item: WatchItem | undefined, spec: { channelId: string; module?: string; events?: string[]; notifyUrl?: string }): Channel {
  if (!item || item.status !== 'success') {
    throw new MlError(`ZOHO_${item?.code ?? 'WATCH_FAILED'}`, `Zoho refused notification channel ${spec.channelId}: ${item?.message ?? 'no answer'} ${JSON.stringify(item?.details ?? {})}`, {
      meta: { channelId: spec.channelId, ...(spec.module ? { module: spec.module } : {}) },
      hint: 'channel_expiry must be within a week, the token at most 50 characters, and notify_url reachable from Zoho',
    });
  }
  const ev = item.details?.events?.[0];
  const expiry = ev?.channel_expiry ? Date.parse(ev.channel_expiry) : NaN;
  return {
    channelId: spec.channelId,
    module: ev?.resource_name ?? spec.module ?? '',
    events: spec.events ?? [],
    ...(spec.notifyUrl ? { notifyUrl: spec.notifyUrl } : {}),
    ...(Number.isFinite(expiry) ? { expiresAt: expiry } : {}),
  };
}

const watchAnswer = (status: number, json: unknown): boolean => (status === 207 || status === 400) && Array.isArray((json as { watch?: unknown } | undefined)?.watch);

export function createChannelApi(t: ZohoTransport): ChannelApi {
  return {
    async list(module) {
      const out: Channel[] = [];
      for (let page = 1; ; page++) {
        const ans = await t.call({ method: 'GET', path: '/actions/watch', query: { page: String(page), per_page: '200', ...(module ? { module } : {}) }, kind: 'watch' });
        if (ans.status === 204) break;
        const body = (ans.json ?? {}) as { watch?: Array<Record<string, unknown>>; info?: { more_records?: boolean } };
        for (const w of body.watch ?? []) {
          const expiry = typeof w.channel_expiry === 'string' ? Date.parse(w.channel_expiry) : NaN;
          out.push({
            channelId: String(w.channel_id),
            module: String(w.resource_name ?? ''),
            events: Array.isArray(w.events) ? w.events.map(String) : [],
            ...(typeof w.notify_url === 'string' ? { notifyUrl: w.notify_url } : {}),
            ...(Number.isFinite(expiry) ? { expiresAt: expiry } : {}),
          });
        }
        if (!body.info?.more_records) break;
      }
      return out;
    },
    async enable(spec) {
      const events = spec.events.map((e) => `${spec.module}.${e}`);
      const ans = await t.call({
        method: 'POST',
        path: '/actions/watch',
        body: {
          watch: [
            {
              channel_id: spec.channelId,
              events,
              notify_url: spec.notifyUrl,
              token: spec.token,
              channel_expiry: formatZohoTime(spec.expiresAt),
              return_affected_field_values: true,
              // Related-list actions (notes, activities) are not our business.
              notify_on_related_action: false,
            },
          ],
        },
        kind: 'watch',
        accept: watchAnswer,
      });
      return readItem(((ans.json ?? {}) as { watch?: WatchItem[] }).watch?.[0], { ...spec, events });
    },
    async renew(spec) {
      const ans = await t.call({
        method: 'PATCH',
        path: '/actions/watch',
        body: {
          watch: [
            {
              channel_id: spec.channelId,
              channel_expiry: formatZohoTime(spec.expiresAt),
              ...(spec.events && spec.module ? { events: spec.events.map((e) => `${spec.module}.${e}`) } : {}),
              ...(spec.token ? { token: spec.token } : {}),
              ...(spec.notifyUrl ? { notify_url: spec.notifyUrl } : {}),
            },
          ],
        },
        kind: 'watch',
        accept: watchAnswer,
      });
      return readItem(((ans.json ?? {}) as { watch?: WatchItem[] }).watch?.[0], spec);
    },
    async disable(channelIds) {
      if (channelIds.length === 0) return;
      const ans = await t.call({ method: 'DELETE', path: '/actions/watch', query: { channel_ids: channelIds.join(',') }, kind: 'watch', accept: watchAnswer });
      const items = ((ans.json ?? {}) as { watch?: WatchItem[] }).watch ?? [];
      const failed = items.filter((i) => i.status !== 'success' && i.code !== 'NOT_SUBSCRIBED');
      if (failed.length) throw new MlError('ZOHO_WATCH_FAILED', `Zoho did not disable ${failed.length} channel(s): ${failed.map((f) => f.code).join(', ')}`);
    },
  };
}
