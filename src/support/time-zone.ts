const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * Offset of an IANA time zone from UTC at an instant, in ms (Chicago in winter: -6 h). Used where
 * wall-clock time of a server without zone information matters (PeopleSoft datetimes).
 */
export function zoneOffsetMs(timeZone: string, at: number): number {
  if (timeZone === 'UTC') return 0;
  let format = formatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(timeZone, format);
  }
  const parts = format.formatToParts(new Date(at));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(at / 1000) * 1000;
}
