/**
 * Refused calls per client address, in fixed windows: after `max` refusals within `windowMs` an
 * address is answered 429 until its window ends. Only refusals count, so Zoho's own callbacks
 * (which pass the token check) are never slowed down by someone else's flood; the table of
 * addresses is bounded, so spoofed or rotating sources cannot grow memory either.
 */
export interface RejectionLimiterOptions {
  max: number;
  windowMs: number;
  /** Addresses remembered at once (the oldest window is forgotten first). */
  maxAddresses?: number;
  now?: () => number;
}

interface Window {
  start: number;
  rejected: number;
}

export class RejectionLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly now: () => number;
  private readonly maxAddresses: number;

  constructor(private readonly options: RejectionLimiterOptions) {
    this.now = options.now ?? Date.now;
    this.maxAddresses = options.maxAddresses ?? 10_000;
  }

  private current(address: string): Window | undefined {
    const w = this.windows.get(address);
    if (w && this.now() - w.start >= this.options.windowMs) {
      this.windows.delete(address);
      return undefined;
    }
    return w;
  }

  /** Seconds until `address` may call again, or 0 when it may now. */
  retryAfterSeconds(address: string): number {
    const w = this.current(address);
    if (!w || w.rejected < this.options.max) return 0;
    return Math.max(1, Math.ceil((w.start + this.options.windowMs - this.now()) / 1000));
  }

  /** Count one refusal; true when it is the first of this address's window (worth a log line). */
  reject(address: string): boolean {
    let w = this.current(address);
    const first = w === undefined;
    if (!w) {
      if (this.windows.size >= this.maxAddresses) this.windows.delete(this.windows.keys().next().value!);
      w = { start: this.now(), rejected: 0 };
      this.windows.set(address, w);
    }
    w.rejected += 1;
    return first;
  }
}
