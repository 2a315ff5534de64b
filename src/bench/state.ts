import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStateStore } from '../state/index.js';
import type { LinkInput } from '../state/index.js';

export interface StateBenchResult {
  linkUpserts: number;
  ms: number;
  perSecond: number;
  /** Batches (one transaction each) the upserts were spread over. */
  batches: number;
  /** Reading all links of the mapping back (the planner's first step). */
  readMs: number;
}

function link(i: number): LinkInput {
  const id = String(i).padStart(7, '0');
  return {
    externalId: `E${id}`,
    module: 'Contacts',
    zohoId: String(5_725_767_000_000_000_000n + BigInt(i)),
    fieldHash: i.toString(16).padStart(64, '0'),
    appliedValues: {
      First_Name: `First${id}`, Last_Name: `Last${id}`, Email: `user${id}@example.com`, Phone: '+12145550100',
      Department: 'Finance', Title: 'Analyst', Employee_Status: 'Active', Hire_Date: '2019-04-01', Location: 'Dallas', Manager_ID: 'E0000001',
    },
    zohoModifiedTime: '2026-11-01T10:00:00+00:00',
  };
}

/**
 * 100,000 link upserts in batched transactions (1,000 per batch, the applier's shape) into a real
 * SQLite file, then one read of all links. The data is built before the clock starts.
 */
export async function benchState(opts: { links?: number; batchSize?: number } = {}): Promise<StateBenchResult> {
  const total = opts.links ?? 100_000;
  const batchSize = opts.batchSize ?? 1000;
  const dir = mkdtempSync(join(tmpdir(), 'ml-state-bench-'));
  try {
    const store = await openStateStore(join(dir, 'state.db'));
    const batches: LinkInput[][] = [];
    for (let i = 0; i < total; i += batchSize) batches.push(Array.from({ length: Math.min(batchSize, total - i) }, (_, k) => link(i + k)));
    const started = performance.now();
    for (const batch of batches) await store.upsertLinks('employees', batch);
    const ms = performance.now() - started;
    const readStarted = performance.now();
    const read = await store.getLinks('employees');
    const readMs = performance.now() - readStarted;
    await store.close();
    if (read.size !== total) throw new Error(`bench: expected ${total} links, read ${read.size}`);
    return { linkUpserts: total, ms: Math.round(ms), perSecond: Math.round((total / ms) * 1000), batches: batches.length, readMs: Math.round(readMs) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
