import { createHash, randomBytes } from 'node:crypto';
import type { ZohoConnection } from '../config/types.generated.js';
import type { Clock } from '../support/clock.js';
import { MlError } from '../support/errors.js';
import { registerSecret } from '../support/redact.js';
import type { Channel, ChannelEvent } from './channels.js';
import type { ZohoClient } from './client.js';
import type { KnownChannel } from './receiver.js';

/** Channel management behind `ml-connector webhooks` and `serve`'s renewal: one channel per module. */

/** The part of the state store's secrets this needs. */
export interface SecretSink {
  set(name: string, value: string): Promise<void>;
  get(name: string): Promise<string>;
  has(name: string): Promise<boolean>;
  remove?(name: string): Promise<boolean>;
}

/** Stable per connection and module, so enable/renew/disable find the same channel without state. */
export function channelIdFor(connection: string, module: string): string {
  const n = BigInt('0x' + createHash('sha256').update(`${connection}/${module}`).digest('hex').slice(0, 13));
  return String(1_000_000_000_000n + (n % 8_000_000_000_000n));
}

export function webhookSecretName(connection: string, module: string): string {
  return `zoho-webhook-${connection}-${module.toLowerCase()}`;
}

export interface ChannelReport {
  module: string;
  channelId: string;
  action: 'enabled' | 'renewed' | 'kept' | 'disabled' | 'absent';
  expiresAt?: number;
}

export interface ChannelContext {
  conn: ZohoConnection;
  client: Pick<ZohoClient, 'channels'>;
  secrets: SecretSink;
  clock: Clock;
}

function settings(conn: ZohoConnection): { notifyUrl: string; hours: number; events: ChannelEvent[] } {
  if (!conn.webhooks?.notifyUrl) {
    throw new MlError('ZOHO_WEBHOOKS_NOT_CONFIGURED', `Connection ${conn.name} has no webhooks.notifyUrl`, {
      hint: 'add webhooks: { notifyUrl: https://<public host>/webhooks/zoho } to the Zoho connection',
    });
  }
  return { notifyUrl: conn.webhooks.notifyUrl, hours: conn.webhooks.channelExpiryHours ?? 24, events: conn.webhooks.events ?? ['create', 'edit', 'delete'] };
}

async function tokenFor(ctx: ChannelContext, module: string, fresh: boolean): Promise<string> {
  const name = webhookSecretName(ctx.conn.name, module);
  if (!fresh && (await ctx.secrets.has(name))) {
    const t = await ctx.secrets.get(name);
    registerSecret(t);
    return t;
  }
  // 32 url-safe characters: within Zoho's 50-character limit.
  const token = randomBytes(24).toString('base64url');
  registerSecret(token);
  await ctx.secrets.set(name, token);
  return token;
}

/** Create (or replace) the channel of each module with a new verification token. */
export async function enableChannels(ctx: ChannelContext, modules: string[]): Promise<ChannelReport[]> {
  const s = settings(ctx.conn);
  const out: ChannelReport[] = [];
  for (const module of modules) {
    const channelId = channelIdFor(ctx.conn.name, module);
    const existing = (await ctx.client.channels.list(module)).find((c) => c.channelId === channelId);
    if (existing) await ctx.client.channels.disable([channelId]);
    const token = await tokenFor(ctx, module, true);
    const ch = await ctx.client.channels.enable({ channelId, module, events: s.events, notifyUrl: s.notifyUrl, token, expiresAt: ctx.clock.now() + s.hours * 3_600_000 });
    out.push({ module, channelId, action: 'enabled', ...(ch.expiresAt !== undefined ? { expiresAt: ch.expiresAt } : {}) });
  }
  return out;
}

/**
 * Renew channels that expire within `withinMs` (default: half their lifetime), and re-create
 * those Zoho already dropped. Run it more often than that (serve does it hourly).
 */
export async function renewChannels(ctx: ChannelContext, modules: string[], o: { withinMs?: number; force?: boolean } = {}): Promise<ChannelReport[]> {
  const s = settings(ctx.conn);
  const within = o.withinMs ?? (s.hours * 3_600_000) / 2;
  const out: ChannelReport[] = [];
  for (const module of modules) {
    const channelId = channelIdFor(ctx.conn.name, module);
    const existing: Channel | undefined = (await ctx.client.channels.list(module)).find((c) => c.channelId === channelId);
    const now = ctx.clock.now();
    if (!existing) {
      const token = await tokenFor(ctx, module, false);
      const ch = await ctx.client.channels.enable({ channelId, module, events: s.events, notifyUrl: s.notifyUrl, token, expiresAt: now + s.hours * 3_600_000 });
      out.push({ module, channelId, action: 'enabled', ...(ch.expiresAt !== undefined ? { expiresAt: ch.expiresAt } : {}) });
      continue;
    }
    if (!o.force && existing.expiresAt !== undefined && existing.expiresAt - now > within) {
      out.push({ module, channelId, action: 'kept', expiresAt: existing.expiresAt });
      continue;
    }
    const ch = await ctx.client.channels.renew({ channelId, module, expiresAt: now + s.hours * 3_600_000 });
    out.push({ module, channelId, action: 'renewed', ...(ch.expiresAt !== undefined ? { expiresAt: ch.expiresAt } : {}) });
  }
  return out;
}

export async function disableChannels(ctx: Omit<ChannelContext, 'clock'>, modules: string[]): Promise<ChannelReport[]> {
  const out: ChannelReport[] = [];
  for (const module of modules) {
    const channelId = channelIdFor(ctx.conn.name, module);
    const existing = (await ctx.client.channels.list(module)).find((c) => c.channelId === channelId);
    if (existing) await ctx.client.channels.disable([channelId]);
    await ctx.secrets.remove?.(webhookSecretName(ctx.conn.name, module));
    out.push({ module, channelId, action: existing ? 'disabled' : 'absent' });
  }
  return out;
}

/** The receiver's channel lookup: our channel ids for these modules, tokens from the secrets. */
export function channelResolver(conn: ZohoConnection, modules: string[], secrets: SecretSink): (channelId: string) => Promise<KnownChannel | undefined> {
  const byId = new Map(modules.map((m) => [channelIdFor(conn.name, m), m]));
  return async (channelId) => {
    const module = byId.get(channelId);
    if (!module) return undefined;
    const name = webhookSecretName(conn.name, module);
    if (!(await secrets.has(name))) return undefined;
    const token = await secrets.get(name);
    registerSecret(token);
    return { channelId, module, token };
  };
}

/** Which modules a connection's channels cover: the target modules of its mappings. */
export function planChannels(conn: ZohoConnection, mappings: Array<{ target: { connection: string; module: string } }>): string[] {
  return [...new Set(mappings.filter((m) => m.target.connection === conn.name).map((m) => m.target.module))];
}
