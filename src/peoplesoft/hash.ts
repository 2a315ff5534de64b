import { createHash } from 'node:crypto';
import type { SourceRecord } from '../model/index.js';

/** JSON with object keys sorted at every level, so equal content always gives equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** sha256 (hex) of the canonical JSON of a record's fields, status and event. */
export function hashRecord(r: Pick<SourceRecord, 'fields' | 'status' | 'event'>): string {
  return createHash('sha256').update(canonicalJson({ fields: r.fields, status: r.status, event: r.event ?? null })).digest('hex');
}
