import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** Which process owns a run or a lock. Injected in tests to play another (dead) process. */
export interface ProcessIdentity {
  pid: number;
  host: string;
}

export function currentProcess(): ProcessIdentity {
  return { pid: process.pid, host: hostname() };
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as { code?: string }).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * A killed process stays a zombie until its parent reaps it, and answers signal 0 meanwhile; in
 * containers whose pid 1 does not reap, that can last forever. On Linux, /proc tells.
 */
function isZombie(pid: number): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: the first one is the state letter.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return false;
  }
}

/**
 * Why an owner (of a run or a lock) looks gone, or undefined when it looks alive. On our own host
 * a dead pid is proof; elsewhere only the heartbeat can tell. An old heartbeat also wins over a
 * live pid, because containers reuse small pids across restarts.
 */
export function describeOwner(
  owner: { pid: number; host: string; heartbeatAt: string },
  nowMs: number,
  staleMs: number,
  me: ProcessIdentity,
): 'process-gone' | 'heartbeat-old' | undefined {
  if (owner.host === me.host && owner.pid === me.pid) return undefined;
  if (owner.host === me.host && !isProcessAlive(owner.pid)) return 'process-gone';
  const beat = Date.parse(owner.heartbeatAt);
  if (!Number.isFinite(beat) || nowMs - beat > staleMs) return 'heartbeat-old';
  return undefined;
}
