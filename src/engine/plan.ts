import { createHmac, randomBytes } from 'node:crypto';
import type { Mapping } from '../config/types.generated.js';
import { compileMatchRules, lookupTargets, orderMappings } from '../mapping/index.js';
import { dateInZone } from '../peoplesoft/dates.js';
import { assembleHeader, emptyCounts, SpoolDir, type MappingSummary, type MatchRule, type PlanView } from '../plan/index.js';
import { Scratch } from '../state/scratch.js';
import { ConfigError, isMlError } from '../support/errors.js';
import { LookupIndex } from './lookups.js';
import { planMapping } from './plan-mapping.js';
import type { Session } from './session.js';

export interface MakePlanOptions {
  /** Mapping names; default all. */
  mappings?: readonly string[];
  full?: boolean;
  allowLargeChange?: boolean;
  gitCommit?: string;
  /** The configuration directory had uncommitted changes. */
  gitDirty?: boolean;
  /** Instant to plan as of (default: the session clock); also the plan's createdAt. */
  now?: number;
  signal?: AbortSignal;
  /** The match rules of a mapping (adoption); none by default. */
  matchRules?: (mapping: Mapping) => readonly MatchRule[];
  /** Called when a mapping starts and ends planning (progress for long plans). */
  onMapping?: (event: { mapping: string; phase: 'start' | 'end'; summary?: MappingSummary }) => void;
}

/** A plan being read: its view, and the temporary files behind it to remove once done. */
export interface MadePlan {
  view: PlanView;
  dispose(): void;
}

/** The mappings to plan, in lookup order; unknown names are a config error naming the known ones. */
export function selectMappings(session: Session, names: readonly string[] | undefined): Mapping[] {
  const all = session.config.mappings;
  const chosen = names && names.length > 0 ? names : [...all.keys()];
  const out: Mapping[] = [];
  for (const name of chosen) {
    const m = all.get(name);
    if (!m) {
      throw new ConfigError('CONFIG_UNKNOWN_MAPPING', `No mapping named "${name}".`, { meta: { mapping: name, known: [...all.keys()] }, hint: `Use one of: ${[...all.keys()].join(', ')}` });
    }
    out.push(m);
  }
  return orderMappings(out);
}

/** The summary of a mapping that could not be planned: nothing of it is applied, the others are. */
function failedSummary(session: Session, m: Mapping, err: unknown): MappingSummary {
  const error = isMlError(err) ? { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } : { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
  return {
    name: m.name, module: m.target.module, externalIdField: m.externalId.field, mappingDigest: session.config.mappingDigest(m.name),
    mode: 'full', reason: 'not planned', status: 'failed', error,
    source: { read: 0, planned: 0, complete: false, rowCount: 0 }, counts: emptyCounts(), events: {}, held: 0, scheduled: 0, notCreated: 0,
    problems: { errors: 0, warnings: 0 }, guards: [], cost: { calls: { upsert: 0, update: 0, delete: 0 }, credits: 0 }, personalFields: [],
  };
}

/**
 * Read what the planner needs (PeopleSoft, Zoho, state) and plan every mapping, a page at a time,
 * into per-mapping spools. Reads only: nothing is written to the state or to Zoho, so `plan` is
 * safe in CI. A mapping whose read fails is marked failed in the plan and the others go on;
 * an error that concerns the whole run (configuration, state) throws.
 */
export async function makePlan(session: Session, o: MakePlanOptions = {}): Promise<MadePlan> {
  const now = o.now ?? session.clock.now();
  const mappings = selectMappings(session, o.mappings);
  // An ${env:NAME} left unset fails here, naming the variable, not later as a bad URL or a literal written to Zoho.
  for (const m of mappings) session.config.requireEnvForMapping(m.name);
  const spools = new SpoolDir();
  const scratch = await Scratch.open();
  const zohoBefore = session.zohoUsage();
  const psBefore = session.peoplesoftCalls();
  try {
    const planned = new Set(mappings.map((m) => m.name));
    const lookups = new LookupIndex(session, scratch, planned);
    const lookedUp = new Set(mappings.flatMap((m) => lookupTargets(m)));
    // Zoho records adopted so far in this run, per module: a later mapping matching one is ambiguous.
    const adopted = new Map<string, Map<string, string>>();
    const summaries: MappingSummary[] = [];
    for (const m of mappings) {
      if (o.signal?.aborted) throw o.signal.reason;
      o.onMapping?.({ mapping: m.name, phase: 'start' });
      const spool = spools.spool(m.name);
      const sink = lookedUp.has(m.name) ? lookups.tee(m.name, spool) : spool;
      let summary: MappingSummary;
      try {
        const moduleKey = `${m.target.connection}/${m.target.module}`;
        const taken = adopted.get(moduleKey) ?? new Map<string, string>();
        adopted.set(moduleKey, taken);
        summary = await planMapping(session, m, {
          full: o.full ?? false, now, sink, scratch, lookups, matchRules: (o.matchRules ?? compileMatchRules)(m), taken, adoptedInRun: taken,
          ...(o.signal ? { signal: o.signal } : {}),
        });
      } catch (err) {
        if (o.signal?.aborted || !isMappingLevel(err)) throw err;
        summary = failedSummary(session, m, err);
        session.logger.warn('mapping not planned', { mapping: m.name, error: summary.error?.code });
      }
      summaries.push(summary);
      o.onMapping?.({ mapping: m.name, phase: 'end', summary });
    }
    const zoho = session.zohoUsage();
    const createdAt = new Date(now).toISOString();
    const header = assembleHeader({
      maskKey: await maskKeyFor(session, createdAt),
      mappings: summaries,
      createdAt,
      asOf: dateInZone(now, session.config.project.defaults?.timezone ?? 'UTC'),
      configDigest: session.config.digest(),
      ...(o.gitCommit !== undefined ? { gitCommit: o.gitCommit } : {}),
      ...(o.gitDirty !== undefined ? { gitDirty: o.gitDirty } : {}),
      allowLargeChange: o.allowLargeChange ?? false,
      reads: { zoho: zoho.calls - zohoBefore.calls, peoplesoft: session.peoplesoftCalls() - psBefore, credits: zoho.credits - zohoBefore.credits },
    });
    const view = spools.view(header);
    return { view, dispose: () => spools.dispose() };
  } catch (err) {
    spools.dispose();
    throw err;
  } finally {
    await scratch.close();
  }
}

/** The fact holding a state database's own secret, from which each plan's mask key is derived. */
export const MASK_SECRET_FACT = 'plan-mask-secret';

/**
 * The key of a plan's masked-value digests: derived from a random secret the state database keeps
 * (written by the first apply: planning writes nothing), so the same inputs give the same plan
 * file; random for a plan made without one. Never derived from what a plan shows.
 */
async function maskKeyFor(session: Session, createdAt: string): Promise<string> {
  const secret = await session.store.getFact(MASK_SECRET_FACT).catch(() => undefined);
  if (secret === undefined) return randomBytes(16).toString('hex');
  return createHmac('sha256', secret).update(`${session.config.digest()}|${createdAt}`).digest('hex').slice(0, 32);
}

/**
 * Errors that make one mapping's plan untrustworthy (its read failed, its Zoho module does not
 * fit) but say nothing about the others. Configuration and state errors stop the whole run.
 */
function isMappingLevel(err: unknown): boolean {
  if (!isMlError(err)) return true;
  return !/^(CONFIG_|STATE_|MASTER_KEY|SECRET_)/.test(err.code);
}
