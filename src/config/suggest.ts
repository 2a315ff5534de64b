import { distance } from 'fastest-levenshtein';

/** Levenshtein distance, case-insensitive (a key typed `BaseURL` is still a near miss of `baseUrl`). */
export function editDistance(a: string, b: string): number {
  return distance(a.toLowerCase(), b.toLowerCase());
}

/**
 * The closest candidate when it is a plausible typo: within a third of the word's length
 * (at least 1, at most 3 edits), or differing only in case, `_`/`-` or a prefix/suffix.
 */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    if (squash(c) === squash(word)) return c;
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  return bestDistance <= limit ? best : undefined;
}

/** " (did you mean 'x'?)" or "". */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const s = suggest(word, candidates);
  return s === undefined ? '' : `: did you mean '${s}'?`;
}

/** "a, b or c" for messages. */
export function listOf(values: readonly unknown[], last = 'or'): string {
  const shown = values.map((v) => String(v));
  if (shown.length <= 1) return shown.join('');
  return `${shown.slice(0, -1).join(', ')} ${last} ${shown[shown.length - 1]}`;
}
