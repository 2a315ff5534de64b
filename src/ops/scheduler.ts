import { Cron } from 'croner';
import type { Schedule } from '../config/types.generated.js';
import { MlError } from '../support/errors.js';
import type { Logger } from '../support/log.js';
import type { RunRequest } from './runner.js';

/** When each schedule fires next, for logs, `/healthz` and tests. */
export interface ScheduleTimes {
  schedule: string;
  kind: 'incremental' | 'full';
  cron: string;
  timezone: string;
  next: string | undefined;
}

function cronFor(pattern: string, timezone: string | undefined, schedule: string, field: string): Cron {
  try {
    // paused: only used to compute times here; `startSchedules` creates the running jobs.
    return new Cron(pattern, { paused: true, ...(timezone ? { timezone } : {}) });
  } catch (err) {
    throw new MlError('SCHEDULE_INVALID_CRON', `Schedule ${schedule}: ${field} "${pattern}" is not a valid cron expression (${(err as Error).message}).`, {
      meta: { schedule, field, pattern },
      hint: 'Use five fields: minute hour day-of-month month day-of-week, e.g. "0 6 * * *" for 06:00 every day.',
    });
  }
}

/** Next fire time of every enabled schedule after `from`, in the schedule's time zone. Pure. */
export function nextScheduleTimes(schedules: readonly Schedule[], from: Date, defaultTimezone?: string): ScheduleTimes[] {
  const out: ScheduleTimes[] = [];
  for (const s of schedules) {
    if (s.enabled === false) continue;
    const tz = s.timezone ?? defaultTimezone ?? 'UTC';
    const jobs: [ScheduleTimes['kind'], string][] = [['incremental', s.cron]];
    if (s.fullRefreshCron) jobs.push(['full', s.fullRefreshCron]);
    for (const [kind, pattern] of jobs) {
      const next = cronFor(pattern, tz, s.name, kind === 'full' ? 'fullRefreshCron' : 'cron').nextRun(from);
      out.push({ schedule: s.name, kind, cron: pattern, timezone: tz, next: next?.toISOString() });
    }
  }
  return out;
}

export interface RunningSchedules {
  stop(): void;
  times(): ScheduleTimes[];
}

/**
 * Start a cron job per enabled schedule (and per full-refresh cron). Each tick asks `request`
 * for a run; the coordinator keeps two runs of one mapping from overlapping. Disabled schedules
 * are logged and skipped. Invalid cron expressions throw before any job starts.
 */
export function startSchedules(
  schedules: readonly Schedule[],
  request: (req: RunRequest) => void,
  options: { logger: Logger; defaultTimezone?: string | undefined },
): RunningSchedules {
  const { logger } = options;
  nextScheduleTimes(schedules, new Date(), options.defaultTimezone); // validate all first
  const jobs: Cron[] = [];
  for (const s of schedules) {
    if (s.enabled === false) {
      logger.info('schedule paused (enabled: false)', { schedule: s.name });
      continue;
    }
    const tz = s.timezone ?? options.defaultTimezone ?? 'UTC';
    const add = (pattern: string, full: boolean): void => {
      const job = new Cron(pattern, { timezone: tz, catch: (err) => logger.error('schedule tick failed', { schedule: s.name, error: String(err) }) }, () => {
        request({ mappings: [...s.mappings], full, trigger: `schedule:${s.name}${full ? ':full' : ''}` });
      });
      jobs.push(job);
      logger.info('schedule started', { schedule: s.name, cron: pattern, timezone: tz, full, next: job.nextRun()?.toISOString() });
    };
    add(s.cron, false);
    if (s.fullRefreshCron) add(s.fullRefreshCron, true);
  }
  return {
    stop: () => {
      for (const j of jobs) j.stop();
    },
    times: () => nextScheduleTimes(schedules, new Date(), options.defaultTimezone),
  };
}
