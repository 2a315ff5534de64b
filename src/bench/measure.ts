/** Small measuring tools of the bench: spreads over runs, peak RSS, CPU time. */
import { readFileSync } from 'node:fs';

/** A figure over several runs: the median, with the range it came from. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) return { median: NaN, min: NaN, max: NaN, runs: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: values.length };
}

/** Ratio of two spreads' medians, with the range of run-by-run ratios (runs paired in order). */
export function ratioOf(a: readonly number[], b: readonly number[]): Spread {
  const n = Math.min(a.length, b.length);
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) if (b[i]! > 0) ratios.push(a[i]! / b[i]!);
  return spreadOf(ratios);
}

/**
 * Peak RSS while a piece of work runs, sampled every 50 ms (process.memoryUsage.rss() does not walk
 * the heap, unlike memoryUsage(); at 20 ms the samples were 0.5% of a profiled run). A stage's
 * headline figure is getrusage's high-water mark (maxRssMb), which misses no spike.
 */
export function sampleRss(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const t = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 50);
  return {
    stop: () => {
      clearInterval(t);
      return Math.round(Math.max(peak, process.memoryUsage.rss()) / 1024 / 1024);
    },
  };
}

/** The highest RSS of this process so far, from the OS (getrusage), MB. */
export function maxRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** CPU time (user + system, every thread of the process) since `from`, ms. */
export function cpuMsSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return Math.round((d.user + d.system) / 1000);
}

/**
 * CPU time of the calling (main) thread alone, ms, where Linux tells it (/proc/thread-self/stat,
 * in clock ticks of 10 ms): the planner's own work, without the GC helper threads that
 * process.cpuUsage() adds. Undefined elsewhere.
 */
export function threadCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    // Fields after the command name (which is in parentheses and may hold spaces): utime is the 14th, stime the 15th.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * 10;
  } catch {
    return undefined;
  }
}
