import { createHash } from 'node:crypto';
import type { SourceRecord } from '../model/index.js';

/** A copy with object keys sorted at every level and undefined members dropped. */
function sorted(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sorted(v)));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value as Record<string, unknown>).sort()) {
    const v = (value as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = sorted(v);
  }
  return out;
}

/**
 * JSON with object keys sorted at every level, so equal content always gives equal text. Built as
 * a sorted copy stringified once: JSON.stringify's fast path beats concatenating pieces.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sorted(value === undefined ? null : value));
}

/** sha256 (hex) of the canonical JSON of a record's fields, status and event. */
export function hashRecord(r: Pick<SourceRecord, 'fields' | 'status' | 'event'>): string {
  return createHash('sha256').update(canonicalJson({ fields: r.fields, status: r.status, event: r.event ?? null })).digest('hex');
}
