/**
 * Change detection (issue 4 §4): which rows a run reads. `cursor` mode reads rows saved since the
 * last watermark minus an overlap (clock skew between servers loses nothing) plus rows whose
 * effective date fell since the last run (a future-dated row becomes effective without anyone
 * saving it, reference §3.4). `hash` mode reads everything and leaves it to the content hash to
 * skip what did not change. The watermark only moves after a successful apply: the reconciler
 * stores nextWatermark(...) then.
 */
import type { ChangeDetection } from '../config/types.generated.js';
import type { RecordProblem, SourceRecord } from '../model/index.js';
import { addDays, dateInZone } from './dates.js';

export interface ReadWindow {
  mode: 'full' | 'incremental';
  /** ISO watermark with the overlap already subtracted; absent for a full read. */
  since?: string;
  /** ISO instant the read covers up to (now). */
  until: string;
  /** The date records are computed for, `YYYY-MM-DD` in the business time zone. */
  asOf: string;
  /** Effective-date window (`YYYY-MM-DD`, inclusive) for rows that became effective since the last run. */
  effdtFrom?: string;
  effdtTo?: string;
}

export const DEFAULT_OVERLAP_MINUTES = 15;
export const DEFAULT_EFFDT_WINDOW_DAYS = 1;

export interface WindowInput {
  watermark?: { cursor: string } | undefined;
  now: number;
  /** Read everything: asked for, or the mapping's config digest changed since the last apply. */
  full: boolean;
  changeDetection?: ChangeDetection | undefined;
  overlapMinutes?: number | undefined;
  lookbackDays?: number | undefined;
  /** Business time zone that decides what "today" is (project defaults.timezone). */
  timezone?: string | undefined;
}

export function computeReadWindow(o: WindowInput): ReadWindow {
  const tz = o.timezone ?? 'UTC';
  const asOf = dateInZone(o.now, tz);
  const until = new Date(o.now).toISOString();
  const hashMode = o.changeDetection?.mode === 'hash';
  const watermarkMs = o.watermark ? Date.parse(o.watermark.cursor) : NaN;
  if (o.full || hashMode || !Number.isFinite(watermarkMs)) return { mode: 'full', until, asOf };

  const overlap = o.overlapMinutes ?? o.changeDetection?.overlapMinutes ?? DEFAULT_OVERLAP_MINUTES;
  const lookback = o.lookbackDays ?? o.changeDetection?.effectiveDateWindowDays ?? DEFAULT_EFFDT_WINDOW_DAYS;
  const sinceMs = watermarkMs - overlap * 60_000;
  // Cover every day since the last watermark too, so a run missed over a weekend misses nothing.
  const lastRunDate = dateInZone(sinceMs, tz);
  const windowStart = addDays(asOf, -lookback);
  return {
    mode: 'incremental',
    since: new Date(sinceMs).toISOString(),
    until,
    asOf,
    effdtFrom: lastRunDate < windowStart ? lastRunDate : windowStart,
    effdtTo: asOf,
  };
}

/**
 * The watermark to store after a successful apply: the highest cursor seen, never beyond the
 * window's end (a server clock ahead of ours must not make the next run skip rows) and never
 * behind the previous watermark.
 */
export function nextWatermark(
  previous: { cursor: string } | undefined,
  cursors: Iterable<string | undefined>,
  window?: Pick<ReadWindow, 'until'>,
): { cursor: string } | undefined {
  let max = previous ? Date.parse(previous.cursor) : -Infinity;
  if (!Number.isFinite(max)) max = -Infinity;
  const cap = window ? Date.parse(window.until) : Infinity;
  for (const c of cursors) {
    if (c === undefined) continue;
    const ms = Math.min(Date.parse(c), cap);
    if (Number.isFinite(ms) && ms > max) max = ms;
  }
  return Number.isFinite(max) ? { cursor: new Date(max).toISOString() } : undefined;
}

/**
 * Hash mode: drop records whose content hash equals the stored one (unchanged rows cost nothing
 * downstream). Problems pass through. Works on arrays and async streams alike.
 */
export async function* filterUnchanged<T extends SourceRecord | RecordProblem>(
  records: Iterable<T> | AsyncIterable<T>,
  storedHashes: ReadonlyMap<string, string> | ((key: string) => string | undefined),
): AsyncGenerator<T> {
  const lookup = typeof storedHashes === 'function' ? storedHashes : (k: string) => storedHashes.get(k);
  for await (const r of records) {
    if ('hash' in r && lookup(r.key) === r.hash) continue;
    yield r;
  }
}
