/**
 * Record ids, datetimes and randomness the way Zoho shows them: 19-digit string ids that exceed
 * Number.MAX_SAFE_INTEGER (so a client that parses them as numbers corrupts them), and ISO-8601
 * datetimes in the org's time zone with an explicit offset and whole seconds.
 */

/** Hands out increasing 19-digit ids. Ids above 2^53 make `Number(id)` lossy, as in Zoho. */
export class IdSource {
  private next: bigint;
  constructor(start = 5725767000000524157n) {
    this.next = start;
  }
  take(): string {
    const id = this.next;
    this.next += 1n;
    return id.toString();
  }
  /** Keep future ids above one seen in a fixture. */
  observe(id: string): void {
    if (/^\d{1,19}$/.test(id)) {
      const n = BigInt(id);
      if (n >= this.next) this.next = n + 1n;
    }
  }
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `2023-05-10T01:10:47-07:00`: whole seconds, shifted into the org's offset. */
export function formatZohoTime(epochMs: number, offsetMinutes: number): string {
  const shifted = new Date(Math.floor(epochMs / 1000) * 1000 + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return (
    `${shifted.getUTCFullYear()}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}` +
    `T${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$/;

/** Parse an ISO datetime that carries an offset (or Z); undefined for anything else. */
export function parseZohoTime(text: string): number | undefined {
  if (!ISO_WITH_OFFSET.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** `YYYY-MM-DD` that names a real calendar day. */
export function isZohoDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return Number.isFinite(d.getTime()) && d.toISOString().startsWith(text);
}

/** mulberry32: a tiny seeded PRNG, so error rates and jitter repeat run to run. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
