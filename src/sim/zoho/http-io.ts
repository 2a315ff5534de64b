import type { IncomingMessage, ServerResponse } from 'node:http';

/** Bytes and headers of Zoho-style answers; every JSON body carries the same content type. */

export const JSON_TYPE = 'application/json;charset=UTF-8';

/** What a handler decides to send; the server writes it (so faults can truncate or delay it). */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw non-JSON body (consent page, plain-text errors). */
  text?: string;
  contentType?: string;
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): Reply =>
  headers ? { status, body, headers } : { status, body };

export const empty = (status: 204 | 304 | 302, headers?: Record<string, string>): Reply =>
  headers ? { status, headers } : { status };

/** Zoho's whole-request error envelope. */
export const zohoError = (status: number, code: string, message: string, details: Record<string, unknown> = {}): Reply =>
  json(status, { code, details, message, status: 'error' });

export const invalidUrl = (): Reply =>
  zohoError(404, 'INVALID_URL_PATTERN', 'Please check if the URL trying to access is a correct one');

/** Serialize a reply to bytes (JSON replies) so a fault can cut it short. */
export function encodeReply(reply: Reply): { headers: Record<string, string>; bytes: Buffer | undefined } {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  if (reply.status === 204 || reply.status === 304 || (reply.body === undefined && reply.text === undefined)) {
    return { headers, bytes: undefined };
  }
  if (reply.text !== undefined) {
    headers['Content-Type'] = reply.contentType ?? 'text/html;charset=UTF-8';
    return { headers, bytes: Buffer.from(reply.text, 'utf8') };
  }
  headers['Content-Type'] = JSON_TYPE;
  return { headers, bytes: Buffer.from(JSON.stringify(reply.body), 'utf8') };
}

export function writeBytes(res: ServerResponse, status: number, headers: Record<string, string>, bytes: Buffer | undefined): void {
  if (bytes) headers['Content-Length'] = String(bytes.length);
  res.writeHead(status, headers);
  res.end(bytes);
}

const MAX_BODY = 20 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** Parse a JSON body whatever the Content-Type says (the official SDK sends none). */
export function parseJsonBody(raw: Buffer): { ok: true; value: unknown } | { ok: false } {
  if (raw.length === 0) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * Form fields from the query string plus the body: urlencoded, multipart (what the SDK sends)
 * or JSON. Body values win over query values of the same name.
 */
export async function readFormParams(req: IncomingMessage, url: URL, raw: Buffer): Promise<Record<string, string>> {
  const out: Record<string, string> = Object.fromEntries(url.searchParams);
  if (raw.length === 0) return out;
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('multipart/form-data')) {
    const form = await new Request(url, { method: 'POST', headers: { 'content-type': String(req.headers['content-type']) }, body: raw }).formData();
    for (const [k, v] of form) if (typeof v === 'string') out[k] = v;
  } else if (type.includes('json')) {
    const parsed = parseJsonBody(raw);
    if (parsed.ok && parsed.value && typeof parsed.value === 'object') {
      for (const [k, v] of Object.entries(parsed.value as Record<string, unknown>)) if (typeof v === 'string') out[k] = v;
    }
  } else {
    for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) out[k] = v;
  }
  return out;
}
