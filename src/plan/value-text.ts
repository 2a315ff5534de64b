import { isLookupValue, type FieldValue } from '../mapping/index.js';

/** A value as unambiguous text, for fingerprints, hashes and masked-value digests. */
export function valueText(v: FieldValue): string {
  if (v === null) return '\u0000';
  if (isLookupValue(v)) return `l${v.lookup}\u0003${v.key}\u0003${v.id ?? ''}`;
  return `${typeof v === 'string' ? 's' : typeof v === 'number' ? 'n' : 'b'}${String(v)}`;
}
