/**
 * The two baselines the reconciler is measured against, written as the scripts someone would
 * write instead of ml-connector. Both use the same connectors and mapping engine as the product,
 * so the difference measured is the reconciler's work (state, diff, plan, bookkeeping), not a
 * different HTTP or parsing stack.
 *
 * What they do: for each mapping in lookup order (vendors, then employees), read every record of
 * PeopleSoft (a full read, every run), map it, and upsert it by its external id. What they do not:
 * no state, so no diff (every run writes every record, and pays the credits), no plan to review,
 * no guards, no drift detection, no deactivation of a record gone from PeopleSoft, no audit trail,
 * no retry next run of a record that failed; what was already inactive when the sync began (people
 * who left, inactive vendors), which the product leaves out, is written too. A contractor's
 * account lookup is resolved from the ids the vendor upserts returned, kept in memory (one per
 * vendor): the dumbest way that gives a correct Zoho.
 */
import { peopleSoftSource, type Config } from '../config/index.js';
import type { Mapping } from '../config/types.generated.js';
import { mapRecord, orderMappings, toZohoValue, type LookupValue } from '../mapping/index.js';
import { computeReadWindow, createPeopleSoftClient, readSourceRecords } from '../peoplesoft/index.js';
import { createZohoClient, type ZohoClient } from '../zoho/index.js';
import { cpuMsSince } from './measure.js';
import type { SimInfo } from './sims.js';

export interface ScriptRun {
  wallMs: number;
  cpuMs: number;
  /** Records upserted (every mapped record). */
  records: number;
  /** Zoho write calls made (measured), and for the naive script the calls it would make in all. */
  writeCalls: number;
}

type IdsOf = Map<string, Map<string, string>>;

/** Every mapped record of one mapping (a full read of PeopleSoft), as the upsert body Zoho takes. */
async function* mappedRecords(config: Config, info: SimInfo, mapping: Mapping, ids: IdsOf): AsyncGenerator<Record<string, unknown>> {
  const resolveLookup = (target: string, key: string): LookupValue | undefined => {
    const id = ids.get(target)?.get(key);
    return id === undefined ? undefined : { lookup: target, key, id };
  };
  const conn = config.peoplesoft.get(peopleSoftSource(mapping)!.connection)!;
  const client = createPeopleSoftClient(conn, { credentials: { password: info.ps.password } });
  try {
    const window = computeReadWindow({ now: Date.now(), full: true });
    for await (const r of readSourceRecords(client, conn, peopleSoftSource(mapping)!.entity, window)) {
      if (!('hash' in r)) continue;
      const out = mapRecord(mapping, r, { resolveLookup });
      if (out.kind !== 'desired') continue;
      const record: Record<string, unknown> = { [mapping.externalId.field]: out.record.externalId };
      for (const [k, v] of Object.entries(out.record.values)) record[k] = toZohoValue(v);
      yield record;
    }
  } finally {
    await client.close();
  }
}

const inLookupOrder = (config: Config): Mapping[] => orderMappings([...config.mappings.values()]);

function zohoClient(config: Config, info: SimInfo): ZohoClient {
  const conn = config.zoho.values().next().value!;
  return createZohoClient(conn, { credentials: { clientId: info.zoho.clientId, clientSecret: info.zoho.clientSecret, refreshToken: info.zoho.refreshToken }, tokenCache: false });
}

/**
 * Baseline (b), "batched, no diff": every record upserted in batches of 100 at the connection's
 * concurrency (the Zoho client's write stream, the one the applier uses). Records stream from
 * PeopleSoft to Zoho; only the vendor ids for lookups are kept.
 */
export async function runBatchedScript(config: Config, info: SimInfo): Promise<ScriptRun> {
  const zoho = zohoClient(config, info);
  const ids: IdsOf = new Map();
  const cpu = process.cpuUsage();
  const started = performance.now();
  let records = 0;
  let failed = 0;
  try {
    for (const mapping of inLookupOrder(config)) {
      const mine = new Map<string, string>();
      ids.set(mapping.name, mine);
      const extField = mapping.externalId.field;
      async function* items(): AsyncGenerator<{ record: Record<string, unknown>; tag: string }> {
        for await (const record of mappedRecords(config, info, mapping, ids)) yield { record, tag: String(record[extField]) };
      }
      await zoho.write('upsert', mapping.target.module, items(), {
        duplicateCheckFields: [extField],
        onBatch: async (results) => {
          for (const { tag, result } of results) {
            records++;
            if (result.ok && result.id) mine.set(tag, result.id);
            else failed++;
          }
        },
      });
    }
    const writeCalls = Object.entries(zoho.stats().callsByKind).filter(([k]) => k === 'upsert').reduce((n, [, v]) => n + v, 0);
    if (failed > 0) throw new Error(`batched script: ${failed} records failed`);
    return { wallMs: Math.round(performance.now() - started), cpuMs: cpuMsSince(cpu), records, writeCalls };
  } finally {
    await zoho.close();
  }
}

export interface NaiveRun extends ScriptRun {
  /** Calls actually made; the rest of `writeCalls` is extrapolated from their mean time. */
  sampled: number;
  sampledMs: number;
  /** Wall time the whole run would take: measured, plus the calls not made at the sample's mean. */
  estimatedMs: number;
}

/**
 * Baseline (a), naive: one upsert call per record, one after the other. Making 100,000 calls of
 * 30 ms takes most of an hour, so only the first `sample` calls are made; the read of PeopleSoft
 * is complete and measured, and the calls not made are counted and timed at the sample's mean.
 */
export async function runNaiveScript(config: Config, info: SimInfo, sample: number): Promise<NaiveRun> {
  const zoho = zohoClient(config, info);
  const ids: IdsOf = new Map();
  const cpu = process.cpuUsage();
  const started = performance.now();
  let records = 0;
  let sampledMs = 0;
  try {
    for (const mapping of inLookupOrder(config)) {
      const mine = new Map<string, string>();
      ids.set(mapping.name, mine);
      const extField = mapping.externalId.field;
      for await (const record of mappedRecords(config, info, mapping, ids)) {
        records++;
        if (records > sample) continue;
        const t = performance.now();
        const [result] = await zoho.upsert(mapping.target.module, [record], { duplicateCheckFields: [extField] });
        sampledMs += performance.now() - t;
        if (!result?.ok) throw new Error(`naive script: ${result?.code} ${result?.message}`);
        if (result.id) mine.set(String(record[extField]), result.id);
      }
    }
    const wallMs = Math.round(performance.now() - started);
    const sampled = Math.min(sample, records);
    const perCall = sampled > 0 ? sampledMs / sampled : 0;
    return {
      wallMs, cpuMs: cpuMsSince(cpu), records, writeCalls: records, sampled, sampledMs: Math.round(sampledMs),
      estimatedMs: Math.round(wallMs + (records - sampled) * perCall),
    };
  } finally {
    await zoho.close();
  }
}
