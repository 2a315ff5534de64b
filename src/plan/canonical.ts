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
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

export function sha256(text: string): string {
  return oneShot ? oneShot('sha256', text, 'hex') : crypto.createHash('sha256').update(text).digest('hex');
}

/** A short, stable hash of a value (16 hex characters). */
export function fingerprintOf(value: unknown): string {
  return sha256(canonicalJson(value)).slice(0, 16);
}
