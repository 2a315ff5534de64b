/**
 * Where the time of a run goes: a V8 CPU profile of the reconciler's main thread (the same
 * sampler `node --cpu-prof` uses, started and stopped through the inspector around the run only,
 * so start-up and the bench's own set-up are not in it), saved as a .cpuprofile (open it in
 * Chrome DevTools or speedscope) and summarised: self time by area and by function.
 * SQLite runs on libuv's thread pool, outside the main thread: it shows as the difference
 * between the process's CPU time and the profile's busy time.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame }
export interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

export interface ProfileSummary {
  file: string;
  /** Profiled wall time, and the part of it the main thread was busy (not idle). */
  wallMs: number;
  busyMs: number;
  /** Self time by area: `engine`, `plan`, ... (our modules), `undici`, `sqlite3` (packages), `node`, `GC`, `(program)`. */
  areas: Array<{ area: string; ms: number }>;
  /** The functions with the most self time. */
  functions: Array<{ name: string; where: string; area: string; ms: number }>;
}

/** Run `work` under the CPU profiler (1 ms sampling); the profile is written to `file`. */
export async function profileWhile<T>(file: string, work: () => Promise<T>): Promise<{ result: T; profile: CpuProfile }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
  let profile: CpuProfile;
  try {
    const result = await work();
    ({ profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile });
    writeFileSync(file, JSON.stringify(profile));
    return { result, profile };
  } finally {
    session.disconnect();
  }
}

/** The area a frame belongs to: our module directory under dist/, a package, node itself, or V8's pseudo-frames. */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName === '(garbage collector)' ? 'GC' : functionName || '(native)';
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!;
  const ours = /\/dist\/([^/]+)\//.exec(url);
  if (ours) return ours[1]!;
  if (url.startsWith('node:')) return 'node';
  return 'other';
}

function whereOf(frame: CallFrame): string {
  const path = frame.url.replace(/^file:\/\//, '');
  const short = /\/(dist\/.*)$/.exec(path)?.[1] ?? /\/node_modules\/(.*)$/.exec(path)?.[1] ?? path;
  return short === '' ? '' : `${short}:${frame.lineNumber + 1}`;
}

export function summariseProfile(profile: CpuProfile, file: string, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  // timeDeltas[i] is the time since sample i-1: the time sample i-1 stood for.
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + dt);
  }
  const areas = new Map<string, number>();
  const fns = new Map<string, { name: string; where: string; area: string; us: number }>();
  let idle = 0;
  for (const [id, us] of self) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const area = areaOf(frame);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const where = whereOf(frame);
    const key = `${frame.functionName}@${where}`;
    const f = fns.get(key) ?? { name: frame.functionName || '(anonymous)', where, area, us: 0 };
    f.us += us;
    fns.set(key, f);
  }
  const wallUs = profile.endTime - profile.startTime;
  const ms = (us: number): number => Math.round(us / 1000);
  return {
    file,
    wallMs: ms(wallUs),
    busyMs: ms(wallUs - idle),
    areas: [...areas].sort((a, b) => b[1] - a[1]).map(([area, us]) => ({ area, ms: ms(us) })),
    functions: [...fns.values()].sort((a, b) => b.us - a.us).slice(0, top).map((f) => ({ name: f.name, where: f.where, area: f.area, ms: ms(f.us) })),
  };
}
