import { Cron } from 'croner';
import type { Config } from '../config/index.js';
import type { Mapping } from '../config/types.generated.js';
import type { Watermark } from '../state/index.js';

/** Full or incremental, and why, in words for the plan. */
export function chooseMode(config: Config, mapping: Mapping, wm: Watermark | undefined, full: boolean, now: number): { mode: 'full' | 'incremental'; reason: string; mappingChanged: boolean } {
  const mappingChanged = wm !== undefined && wm.configDigest !== config.mappingDigest(mapping.name);
  if (full) return { mode: 'full', reason: '--full', mappingChanged };
  if (!wm) return { mode: 'full', reason: 'first run for this mapping', mappingChanged };
  if (mappingChanged) return { mode: 'full', reason: 'the mapping changed since the last apply', mappingChanged };
  for (const s of config.schedules.values()) {
    if (!s.fullRefreshCron || !s.mappings.includes(mapping.name) || s.enabled === false) continue;
    const tz = s.timezone ?? config.project.defaults?.timezone;
    const since = new Date(wm.lastFullAt ?? wm.updatedAt);
    const due = new Cron(s.fullRefreshCron, { paused: true, ...(tz ? { timezone: tz } : {}) }).nextRun(since);
    if (due && due.getTime() <= now) return { mode: 'full', reason: `weekly full check due (schedule ${s.name})`, mappingChanged };
  }
  return { mode: 'incremental', reason: `changes since the last apply (${wm.updatedAt})`, mappingChanged };
}
