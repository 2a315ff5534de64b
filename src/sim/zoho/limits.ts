import type { Clock } from '../../support/clock.js';
import type { ZohoEdition, ZohoFault, ZohoRequestKind, ZohoRequestLog, ZohoRequestLogEntry } from './types.js';

/** API credits, concurrency, scripted faults and the request log. */

export const EDITION_CONCURRENCY: Record<ZohoEdition, number> = {
  free: 5,
  standard: 10,
  professional: 15,
  enterprise: 20,
  ultimate: 25,
};

/** Heavy calls (search, COQL, writes of more than 10 records, sorted lists) share 10 slots in every edition. */
export const SUB_CONCURRENCY = 10;
const DAY_MS = 24 * 3600_000;

/**
 * Credits a call costs (reference §4.2): writes 1 per 10 records, delete 1 per 100, COQL by its
 * LIMIT (1 up to 200, 2 up to 1,000, 3 up to 2,000: Zoho's COQL overview), everything else 1.
 */
export function creditCost(kind: ZohoRequestKind, records: number, coqlLimit = 200): number {
  if (kind === 'coql') return coqlLimit <= 200 ? 1 : coqlLimit <= 1000 ? 2 : 3;
  if (kind === 'insert' || kind === 'update' || kind === 'upsert') return Math.max(1, Math.ceil(records / 10));
  if (kind === 'delete') return Math.max(1, Math.ceil(records / 100));
  return 1;
}

/** A rolling 24-hour credit window on the simulator's clock. */
export class CreditMeter {
  private spent: Array<{ at: number; credits: number }> = [];
  constructor(
    private readonly clock: Clock,
    readonly daily: number,
  ) {}

  used(): number {
    const cutoff = this.clock.now() - DAY_MS;
    if (this.spent.length && this.spent[0]!.at <= cutoff) this.spent = this.spent.filter((s) => s.at > cutoff);
    return this.spent.reduce((n, s) => n + s.credits, 0);
  }

  /** Spend credits, or false when the window cannot afford them. */
  trySpend(credits: number): boolean {
    if (this.used() + credits > this.daily) return false;
    this.spent.push({ at: this.clock.now(), credits });
    return true;
  }
}

interface ArmedFault extends ZohoFault {
  remaining: number;
  /** For numeric targets: the seq the next hit must have. */
  nextSeq?: number;
}

export class FaultPlan {
  private faults: ArmedFault[] = [];

  add(fault: ZohoFault): void {
    const armed: ArmedFault = { ...fault, remaining: fault.times ?? 1 };
    if (typeof fault.at === 'number') armed.nextSeq = fault.at;
    this.faults.push(armed);
  }

  /** The fault this request triggers, if any (each fires `times` times). */
  take(seq: number, kind: ZohoRequestKind, module: string | undefined): ZohoFault | undefined {
    for (const f of this.faults) {
      if (f.remaining <= 0) continue;
      const at = f.at ?? 'next';
      let hit: boolean;
      if (at === 'next') hit = true;
      else if (typeof at === 'number') hit = seq === f.nextSeq;
      else hit = at.kind === kind && (at.module === undefined || at.module === module);
      if (!hit) continue;
      f.remaining--;
      if (f.nextSeq !== undefined) f.nextSeq++;
      this.faults = this.faults.filter((x) => x.remaining > 0);
      return f;
    }
    return undefined;
  }
}

export function describeFault(f: ZohoFault): string {
  if (f.reset) return 'reset';
  if (f.truncatedJson) return 'truncatedJson';
  if (f.delayMs !== undefined) return `delay ${f.delayMs}ms`;
  if (f.revokeRefreshToken) return 'revokeRefreshToken';
  return `status ${f.status ?? 500}`;
}

export function createRequestLog(): ZohoRequestLog & { nextSeq(): number } {
  let seq = 0;
  const log = {
    entries: [] as ZohoRequestLogEntry[],
    nextSeq: () => ++seq,
    count(filter: Partial<{ method: string; kind: string; module: string; status: number }> = {}): number {
      let n = 0;
      for (const e of log.entries) {
        if (filter.method !== undefined && e.method !== filter.method) continue;
        if (filter.kind !== undefined && e.kind !== filter.kind) continue;
        if (filter.module !== undefined && e.module !== filter.module) continue;
        if (filter.status !== undefined && e.status !== filter.status) continue;
        n++;
      }
      return n;
    },
    maxConcurrent(kind?: string): number {
      let max = 0;
      for (const e of log.entries) {
        if (kind === undefined) max = Math.max(max, e.inFlightAtStart + 1);
        else if (e.kind === kind) max = Math.max(max, e.inFlightSameKindAtStart + 1);
      }
      return max;
    },
    clear(): void {
      log.entries.length = 0;
      seq = 0;
    },
  };
  return log;
}
