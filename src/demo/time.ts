/**
 * Offset of a time zone from UTC at an instant, in ms (Chicago in winter: -6 h).
 *
 * The simulated PeopleSoft writes its clock's UTC wall time where a real one writes server-local
 * time without a zone. Shifting the simulator's clock by this offset makes its wall time the
 * configured `serverTimezone`'s, so the unchanged configs/ read it the way they read the firm's
 * Chicago servers, and "today" in the simulator is today for the CLI.
 */
export function zoneOffsetMs(timeZone: string, at: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(at));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(at / 1000) * 1000;
}

export const DAY_MS = 86_400_000;
