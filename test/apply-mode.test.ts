import { describe, expect, it } from 'vitest';
import { chooseMode } from '../src/engine/mode.js';
import { formatCursor, parseCursor } from '../src/plan/index.js';
import { loadValidConfig } from '../src/config/index.js';
import type { Watermark } from '../src/state/index.js';

/** When a run is full or incremental: --full, first run, changed mapping, the schedule's full-refresh cadence. */
describe('chooseMode', async () => {
  const config = await loadValidConfig('configs', { env: {} });
  const mapping = config.mappings.get('employees-to-contacts')!;
  const digest = config.mappingDigest(mapping.name);
  // configs/schedule.yaml: fullRefreshCron "0 3 * * 0" in America/Chicago (Sundays 03:00).
  const wm = (over: Partial<Watermark> = {}): Watermark => ({ cursor: '{}', configDigest: digest, updatedAt: '2026-03-04T12:00:00Z', lastFullAt: '2026-03-02T12:00:00Z', ...over });
  const wed = Date.parse('2026-03-04T18:00:00Z');
  const nextMonday = Date.parse('2026-03-09T12:00:00Z');

  it.each([
    { name: '--full', w: wm(), o: { full: true }, now: wed, mode: 'full', reason: /--full/ },
    { name: 'first run', w: undefined, o: {}, now: wed, mode: 'full', reason: /first run/ },
    { name: 'mapping changed', w: wm({ configDigest: 'other' }), o: {}, now: wed, mode: 'full', reason: /mapping changed/ },
    { name: 'full refresh due (a Sunday 03:00 passed)', w: wm(), o: {}, now: nextMonday, mode: 'full', reason: /weekly full check due \(schedule daily\)/ },
    { name: 'otherwise incremental', w: wm(), o: {}, now: wed, mode: 'incremental', reason: /changes since/ },
  ])('$name → $mode', ({ w, o, now, mode, reason }) => {
    const r = chooseMode(config, mapping, w, (o as { full?: boolean }).full === true, now);
    expect(r.mode).toBe(mode);
    expect(r.reason).toMatch(reason);
  });
});

describe('watermark cursor', () => {
  it('round-trips, and reads a bare timestamp as the source cursor', () => {
    expect(parseCursor(formatCursor({ source: 'a', zoho: 'b' }))).toEqual({ source: 'a', zoho: 'b' });
    expect(parseCursor('2026-03-01T00:00:00Z')).toEqual({ source: '2026-03-01T00:00:00Z' });
    expect(parseCursor(undefined)).toEqual({});
  });
});
