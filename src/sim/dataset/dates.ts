import type { PsDate, PsDateTime } from './types.js';

const DAY_MS = 86_400_000;
export { DAY_MS };

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

// Generating 100,000 employees formats and parses dates millions of times; Date objects made
// that the slowest part, so dates go through a day-number cache instead.
const dayText = new Map<number, PsDate>();
const dayNumber = new Map<string, number>();

function formatDay(day: number): PsDate {
  let text = dayText.get(day);
  if (text === undefined) {
    text = new Date(day * DAY_MS).toISOString().slice(0, 10);
    dayText.set(day, text);
  }
  return text;
}

/** `YYYY-MM-DD` of an epoch-ms instant, in UTC (the simulator's database runs on UTC). */
export function toPsDate(ms: number): PsDate {
  return formatDay(Math.floor(ms / DAY_MS));
}

/** PeopleSoft canonical datetime text of an instant, in UTC: `YYYY-MM-DD-HH.MM.SS.ffffff`. */
export function toPsDateTime(ms: number): PsDateTime {
  const day = Math.floor(ms / DAY_MS);
  let rest = ms - day * DAY_MS;
  const millis = rest % 1000;
  rest = (rest - millis) / 1000;
  const seconds = rest % 60;
  rest = (rest - seconds) / 60;
  const minutes = rest % 60;
  const hours = (rest - minutes) / 60;
  return `${formatDay(day)}-${pad(hours)}.${pad(minutes)}.${pad(seconds)}.${pad(millis, 3)}000`;
}

/** Epoch ms of midnight UTC of a `YYYY-MM-DD` (NaN when it is not a date). */
export function fromPsDate(date: PsDate): number {
  let day = dayNumber.get(date);
  if (day === undefined) {
    day = Date.parse(`${date}T00:00:00Z`) / DAY_MS;
    if (dayNumber.size < 200_000) dayNumber.set(date, day);
  }
  return day * DAY_MS;
}

export function addDays(date: PsDate, days: number): PsDate {
  return formatDay(fromPsDate(date) / DAY_MS + days);
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME_RE = /^\d{4}-\d{2}-\d{2}-\d{2}\.\d{2}\.\d{2}(\.\d{1,6})?$/;

export function isPsDate(text: string): boolean {
  return DATE_RE.test(text) && Number.isFinite(fromPsDate(text)) && toPsDate(fromPsDate(text)) === text;
}

/**
 * Normalise a date or datetime prompt to a comparable `YYYY-MM-DD-HH.MM.SS.ffffff` text (these sort
 * as strings). A bare date is the start of that day, or its last microsecond when `endOfDay`.
 * Returns undefined for anything else (ISO-8601 included: PeopleSoft prompts take its own format).
 */
export function normalizeDateTimeBound(text: string, endOfDay: boolean): PsDateTime | undefined {
  if (isPsDate(text)) return `${text}-${endOfDay ? '23.59.59.999999' : '00.00.00.000000'}`;
  if (!DATETIME_RE.test(text) || !isPsDate(text.slice(0, 10))) return undefined;
  const main = text.slice(0, 19);
  const frac = text.slice(20);
  return `${main}.${frac.padEnd(6, '0')}`;
}
