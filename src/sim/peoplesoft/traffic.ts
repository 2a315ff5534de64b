import { Random } from '../dataset/random.js';
import type { Fault, RequestEntry, RequestFilter, RequestKind, RequestLog } from './types.js';

const MAX_ENTRIES = 100_000;

/** Every request the simulator answered, countable by kind, status, method or path. */
export class RequestRecorder implements RequestLog {
  readonly entries: RequestEntry[] = [];
  private seq = 0;

  get received(): number {
    return this.seq;
  }

  nextSeq(): number {
    return ++this.seq;
  }

  record(entry: RequestEntry): void {
    // A long-running `ml-connector sim` must not grow without bound: keep the latest entries.
    if (this.entries.length >= MAX_ENTRIES) this.entries.splice(0, MAX_ENTRIES / 10);
    this.entries.push(entry);
  }

  count(filter?: RequestFilter | ((e: RequestEntry) => boolean)): number {
    if (filter === undefined) return this.entries.length;
    if (typeof filter === 'function') return this.entries.filter(filter).length;
    return this.entries.filter(
      (e) =>
        (filter.kind === undefined || e.kind === filter.kind) &&
        (filter.status === undefined || e.status === filter.status) &&
        (filter.method === undefined || e.method === filter.method.toUpperCase()) &&
        (filter.path === undefined || e.path === filter.path),
    ).length;
  }

  clear(): void {
    this.entries.length = 0;
  }
}

/** Requests that go through the Integration Gateway (the OAuth endpoints belong to the IdP). */
export const GATEWAY_KINDS: ReadonlySet<RequestKind> = new Set(['qas', 'employee-changes', 'ci-find', 'ci-get', 'unknown']);
const QUERY_KINDS: ReadonlySet<RequestKind> = new Set(['qas', 'employee-changes', 'ci-find']);

interface Pending {
  fault: Fault;
  remaining: number;
  /** Matching requests to let pass first (`nth` - 1). */
  skip: number;
}

/** The faults that only make sense for something that returns rows. */
const ROW_FAULTS = ['zeroRows', 'keepRows', 'dropRows', 'rewind'] as const;

/** Scripted faults plus the ambient latency and error rate. */
export class FaultPlan {
  private readonly pending: Pending[] = [];
  private readonly random: Random;

  constructor(
    private readonly ambient: { latencyMs: number; jitterMs: number; errorRate: number },
    seed: number,
  ) {
    this.random = new Random(seed);
  }

  add(fault: Fault): void {
    const at = fault.at;
    const skip = at !== undefined && typeof at === 'object' ? Math.max(0, (at.nth ?? 1) - 1) : 0;
    this.pending.push({ fault, remaining: Math.max(1, fault.times ?? 1), skip });
  }

  /** The faults that strike request `seq` of `kind` at `path` (consumed as they fire). */
  take(seq: number, kind: RequestKind, path = ''): Fault[] {
    const fired: Fault[] = [];
    for (const p of this.pending) {
      const at = p.fault.at ?? 'next';
      if (ROW_FAULTS.some((k) => p.fault[k] !== undefined && p.fault[k] !== false) && !QUERY_KINDS.has(kind)) continue;
      const hit =
        at === 'next' ? GATEWAY_KINDS.has(kind)
        : typeof at === 'number' ? seq >= at && seq < at + (p.fault.times ?? 1)
        : (at.kind === undefined ? GATEWAY_KINDS.has(kind) : at.kind === kind) && (at.path === undefined || path.endsWith(at.path));
      if (!hit) continue;
      if (p.skip > 0) {
        p.skip--;
        continue;
      }
      fired.push(p.fault);
      p.remaining--;
    }
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const p = this.pending[i] as Pending;
      const at = p.fault.at;
      const passed = typeof at === 'number' && seq >= at + (p.fault.times ?? 1) - 1;
      if (p.remaining <= 0 || passed) this.pending.splice(i, 1);
    }
    return fired;
  }

  /** Ambient delay for a gateway request. */
  latency(): number {
    const { latencyMs, jitterMs } = this.ambient;
    return latencyMs + (jitterMs > 0 ? Math.floor(this.random.next() * jitterMs) : 0);
  }

  /** Whether the ambient error rate strikes this gateway request. */
  randomFailure(): boolean {
    return this.ambient.errorRate > 0 && this.random.next() < this.ambient.errorRate;
  }
}
