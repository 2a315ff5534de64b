/**
 * PeopleSoft dates and datetimes. Dates are `YYYY-MM-DD`; PeopleSoft's canonical datetime text is
 * `YYYY-MM-DD-HH.MM.SS.ffffff` with no zone, which we read in the database server's time zone
 * (configurable, reference §4.3: zone handling UNCONFIRMED). ISO-8601 is accepted too.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const PS_DATETIME = /^(\d{4})-(\d{2})-(\d{2})-(\d{2})\.(\d{2})\.(\d{2})(?:\.(\d{1,6}))?$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= days;
}

function validTime(h: number, mi: number, s: number): boolean {
  return h <= 23 && mi <= 59 && s <= 59;
}

/** A date as `YYYY-MM-DD`, or undefined when the text is no real date (2024-02-30). Datetimes give their date part. */
export function parsePsDate(text: string): string | undefined {
  const t = text.trim();
  const m = DATE.exec(t) ?? PS_DATETIME.exec(t) ?? ISO.exec(t);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!validDate(y, mo, d)) return undefined;
  if (m.length > 4 && m[4] !== undefined && !validTime(Number(m[4]), Number(m[5]), Number(m[6] ?? 0))) return undefined;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** Offset of `timeZone` from UTC at instant `utcMs`, in ms (positive east of Greenwich). */
function zoneOffset(utcMs: number, timeZone: string): number {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 0;
  const parts = zonedParts(utcMs, timeZone);
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

interface ZonedParts { year: number; month: number; day: number; hour: number; minute: number; second: number }

function zonedParts(utcMs: number, timeZone: string): ZonedParts {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(timeZone, fmt);
  }
  const out: Record<string, number> = {};
  for (const p of fmt.formatToParts(new Date(utcMs))) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return { year: out.year!, month: out.month!, day: out.day!, hour: out.hour!, minute: out.minute!, second: out.second! };
}

/** Throws RangeError for a zone name Intl does not know, so config mistakes surface early. */
export function assertTimeZone(timeZone: string): void {
  new Intl.DateTimeFormat('en-US', { timeZone });
}

/** Wall-clock time in `timeZone` → epoch ms (two passes settle DST edges). */
function zonedToUtc(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number, timeZone: string): number {
  const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  let guess = wall - zoneOffset(wall, timeZone);
  guess = wall - zoneOffset(guess, timeZone);
  return guess;
}

/**
 * A datetime as epoch ms, or undefined when unreadable. Zone-less text (PeopleSoft canonical, or
 * ISO without offset) is read in `timeZone`; a bare date is midnight there.
 */
export function parsePsDateTime(text: string, timeZone = 'UTC'): number | undefined {
  const t = text.trim();
  let m = PS_DATETIME.exec(t);
  if (m) {
    const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m![i]));
    if (!validDate(y!, mo!, d!) || !validTime(h!, mi!, s!)) return undefined;
    const frac = Math.floor(Number(`0.${m[7] ?? '0'}`) * 1000);
    return zonedToUtc(y!, mo!, d!, h!, mi!, s!, frac, timeZone);
  }
  m = ISO.exec(t);
  if (m) {
    const [y, mo, d, h, mi] = [1, 2, 3, 4, 5].map((i) => Number(m![i]));
    const s = Number(m[6] ?? 0);
    if (!validDate(y!, mo!, d!) || !validTime(h!, mi!, s)) return undefined;
    const frac = Math.floor(Number(`0.${m[7] ?? '0'}`) * 1000);
    if (m[8] === undefined) return zonedToUtc(y!, mo!, d!, h!, mi!, s, frac, timeZone);
    const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${String(s).padStart(2, '0')}.${String(frac).padStart(3, '0')}${normalizeOffset(m[8])}`);
    return Number.isFinite(ms) ? ms : undefined;
  }
  m = DATE.exec(t);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (!validDate(y, mo, d)) return undefined;
    return zonedToUtc(y, mo, d, 0, 0, 0, 0, timeZone);
  }
  return undefined;
}

function normalizeOffset(off: string): string {
  if (off === 'Z') return 'Z';
  return off.includes(':') ? off : `${off.slice(0, 3)}:${off.slice(3)}`;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** The calendar date of instant `ms` in `timeZone`, `YYYY-MM-DD`. */
export function dateInZone(ms: number, timeZone = 'UTC'): string {
  const p = zonedParts(ms, timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** Instant `ms` as PeopleSoft canonical text in `timeZone`: `YYYY-MM-DD-HH.MM.SS.ffffff`. */
export function formatPsDateTime(ms: number, timeZone = 'UTC'): string {
  const p = zonedParts(ms, timeZone);
  const micros = pad((((ms % 1000) + 1000) % 1000) * 1000, 6);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}-${pad(p.hour)}.${pad(p.minute)}.${pad(p.second)}.${micros}`;
}

/** `YYYY-MM-DD` plus `days` (may be negative). */
export function addDays(date: string, days: number): string {
  const ms = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(ms).toISOString().slice(0, 10);
}
