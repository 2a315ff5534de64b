/**
 * The watermark cursor the state store keeps per mapping (opaque to the store): where the next
 * incremental source read starts, and the Zoho `Modified_Time` up to which Zoho was read. The
 * Zoho half is Zoho's own clock, so skew between our clock and Zoho's loses nothing.
 */
export interface SyncCursor {
  source?: string;
  zoho?: string;
}

export function parseCursor(text: string | undefined): SyncCursor {
  if (text === undefined || text === '') return {};
  if (text.startsWith('{')) {
    try {
      const v = JSON.parse(text) as Record<string, unknown>;
      return {
        ...(typeof v.source === 'string' ? { source: v.source } : {}),
        ...(typeof v.zoho === 'string' ? { zoho: v.zoho } : {}),
      };
    } catch {
      return {};
    }
  }
  // A bare timestamp (written by another tool, or an older version) is the source cursor.
  return { source: text };
}

export function formatCursor(c: SyncCursor): string {
  return JSON.stringify({ source: c.source ?? null, zoho: c.zoho ?? null });
}

/** The later of two Zoho datetimes (ISO with offset), either of which may be absent. */
export function laterTime(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}
