import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStateStore } from '../state/index.js';
import type { BatchCommit, LinkInput, StateStore, StateTarget } from '../state/index.js';

export interface StateBenchResult {
  linkUpserts: number;
  ms: number;
  /** Process CPU time (user + system, both threads) for the upserts: steadier than wall time on a shared machine. */
  cpuMs: number;
  perSecond: number;
  /** Batches (one transaction each) the upserts were spread over. */
  batches: number;
  /** Reading all links of the mapping back (the planner's first step). */
  readMs: number;
  /** The applier's shape: commitBatch of 100 records (links + audit rows, one transaction each). */
  batchCommit: { records: number; batches: number; ms: number; perSecond: number };
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

async function benchCommitBatches(store: StateStore, records: number, size: number): Promise<StateBenchResult['batchCommit']> {
  const runId = await store.startRun({ kind: 'apply', trigger: 'bench', configDigest: 'bench', mappings: ['contractors'] });
  const batches: BatchCommit[] = [];
  for (let i = 0; i < records; i += size) {
    const links = Array.from({ length: Math.min(size, records - i) }, (_, k) => link(i + k));
    batches.push({
      runId,
      mapping: 'contractors',
      links,
      audit: links.map((l) => ({ runId, mapping: 'contractors', externalId: l.externalId, zohoId: l.zohoId, action: 'create', event: 'hire', fields: Object.keys(l.appliedValues), outcome: 'applied' as const })),
    });
  }
  const started = performance.now();
  for (const b of batches) await store.commitBatch(b);
  const ms = performance.now() - started;
  await store.finishRun(runId, { status: 'succeeded', counts: { create: records }, apiCalls: 0, credits: 0 });
  return { records, batches: batches.length, ms: Math.round(ms), perSecond: Math.round((records / ms) * 1000) };
}

/**
 * 100,000 link upserts in batched transactions (1,000 per batch, the applier's shape) into a real
 * SQLite file (or `target`, e.g. a PostgreSQL schema), then one read of all links. The data is
 * built before the clock starts.
 */
export async function benchState(opts: { links?: number; batchSize?: number; target?: StateTarget } = {}): Promise<StateBenchResult> {
  const total = opts.links ?? 100_000;
  const batchSize = opts.batchSize ?? 1000;
  const dir = mkdtempSync(join(tmpdir(), 'ml-state-bench-'));
  try {
    const store = await openStateStore(opts.target ?? join(dir, 'state.db'));
    const batches: LinkInput[][] = [];
    for (let i = 0; i < total; i += batchSize) batches.push(Array.from({ length: Math.min(batchSize, total - i) }, (_, k) => link(i + k)));
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (const batch of batches) await store.upsertLinks('employees', batch);
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const readStarted = performance.now();
    const read = await store.getLinks('employees');
    const readMs = performance.now() - readStarted;
    const batchCommit = await benchCommitBatches(store, 20_000, 100);
    await store.close();
    if (read.size !== total) throw new Error(`bench: expected ${total} links, read ${read.size}`);
    return { linkUpserts: total, ms: Math.round(ms), cpuMs: Math.round((used.user + used.system) / 1000), perSecond: Math.round((total / ms) * 1000), batches: batches.length, readMs: Math.round(readMs), batchCommit };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
