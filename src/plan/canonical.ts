import * as crypto from 'node:crypto';

/** Deep copy with object keys sorted and undefined dropped: the basis of byte-identical output. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function canonicalJson(value: unknown, indent?: number): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

/** One-shot `crypto.hash` (Node 20.12+) is several times cheaper than createHash for short text. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'buffer') => Buffer }).hash;

function sha256Bytes(text: string): Buffer {
  return oneShot ? oneShot('sha256', text, 'buffer') : crypto.createHash('sha256').update(text).digest();
}

export function sha256(text: string): string {
  return sha256Bytes(text).toString('hex');
}

/**
 * The first 16 hex characters of sha256: a fresh short string (a slice of the full hex would keep
 * the 64-character string alive, 100,000 times over in a large plan).
 */
export function shortHash(text: string): string {
  return sha256Bytes(text).toString('hex', 0, 8);
}

/** A short, stable hash of a value (16 hex characters). */
export function fingerprintOf(value: unknown): string {
  return shortHash(canonicalJson(value));
}
