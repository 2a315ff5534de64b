import { StateError } from '../../state/errors.js';

/** `--limit N`: a whole number above 0, or the fallback. */

export function parseLimit(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new StateError('CLI_INVALID_OPTION', `--limit must be a whole number above 0 (got "${value}").`, { meta: { limit: value } });
  }
  return n;
}
