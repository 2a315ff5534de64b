import { timingSafeEqual } from 'node:crypto';

/** What the receiver decided about one notification POST. */
export interface WebhookVerdict {
  /** HTTP status to answer: 200 accepted, 400 unreadable, 401 unknown channel or wrong token. */
  status: number;
  accepted: boolean;
  channelId?: string;
  module?: string;
  operation?: string;
  ids?: string[];
  /** Why it was refused, secret-free. */
  reason?: string;
}

/**
 * Verifies a Zoho CRM notification: the body names a channel we enabled and carries the token we
 * gave that channel (Zoho sends it back in plain text and signs nothing, so the token is the
 * only proof; reference §5). Pure: the HTTP layer reads the body, this decides.
 */
export type WebhookReceiver = (body: string, contentType: string | undefined) => Promise<WebhookVerdict> | WebhookVerdict;

function equalSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function readPayload(body: string, contentType: string | undefined): Record<string, unknown> | undefined {
  try {
    if (contentType?.includes('application/x-www-form-urlencoded')) {
      return Object.fromEntries(new URLSearchParams(body));
    }
    const parsed: unknown = JSON.parse(body);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A receiver for channels whose id and token are known (from the state store, or config). Used
 * by serve when the Zoho connector's own receiver is not wired; same contract.
 */
export function createTokenReceiver(channels: () => Promise<ReadonlyMap<string, string>> | ReadonlyMap<string, string>): WebhookReceiver {
  return async (body, contentType) => {
    const payload = readPayload(body, contentType);
    if (!payload) return { status: 400, accepted: false, reason: 'body is not a notification' };
    const channelId = payload.channel_id === undefined ? undefined : String(payload.channel_id);
    const token = typeof payload.token === 'string' ? payload.token : undefined;
    const known = await channels();
    const expected = channelId === undefined ? undefined : known.get(channelId);
    if (channelId === undefined || expected === undefined) return { status: 401, accepted: false, reason: 'unknown channel', ...(channelId ? { channelId } : {}) };
    if (token === undefined || !equalSecret(token, expected)) return { status: 401, accepted: false, channelId, reason: 'wrong token' };
    const ids = Array.isArray(payload.ids) ? payload.ids.map(String) : [];
    return {
      status: 200,
      accepted: true,
      channelId,
      ...(typeof payload.module === 'string' ? { module: payload.module } : {}),
      ...(typeof payload.operation === 'string' ? { operation: payload.operation } : {}),
      ids,
    };
  };
}
