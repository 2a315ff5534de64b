/**
 * Where the time of a run goes: a V8 CPU profile of the reconciler's main thread (the same
 * sampler `node --cpu-prof` uses, started and stopped through the inspector around the run only,
 * so start-up and the bench's own set-up are not in it), saved as a .cpuprofile (open it in
 * Chrome DevTools or speedscope) and summarised: self time by area and by function.
 * SQLite runs on libuv's thread pool, outside the main thread: it shows as the difference
 * between the process's CPU time and the profile's busy time. A native function (an addon's or
 * V8's, no script URL) is charged to the area of the script that called it: V8 names an addon's
 * methods after one of its classes (sqlite3's all show as `Backup`), so the caller says more.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
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

const PSEUDO = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);

/** The area a frame belongs to: our module directory under dist/, a package, node itself, or V8's pseudo-frames. */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName === '(garbage collector)' ? 'GC' : PSEUDO.has(functionName) ? functionName : '(native)';
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
  const parentOf = new Map<number, ProfileNode>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n);
  /** A native frame stands for its nearest caller with a script. */
  const attributed = (node: ProfileNode): { frame: CallFrame; native: boolean } => {
    const f = node.callFrame;
    if (f.url !== '' || PSEUDO.has(f.functionName)) return { frame: f, native: false };
    for (let p = parentOf.get(node.id); p; p = parentOf.get(p.id)) if (p.callFrame.url !== '') return { frame: p.callFrame, native: true };
    return { frame: f, native: false };
  };
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
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const { frame, native } = attributed(node);
    const area = native ? `${areaOf(frame)} (native)` : areaOf(frame);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const where = whereOf(frame);
    const name = native ? `native code called by ${frame.functionName || '(anonymous)'}` : frame.functionName || '(anonymous)';
    const key = `${name}@${where}`;
    const f = fns.get(key) ?? { name, where, area, us: 0 };
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
