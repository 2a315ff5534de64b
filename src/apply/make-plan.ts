import type { Mapping } from '../config/types.generated.js';
import { lookupTargets, orderMappings } from '../mapping/index.js';
import { planChanges, type MappingInput, type Plan } from '../plan/index.js';
import { ConfigError } from '../support/errors.js';
import { estimateCredits } from '../zoho/index.js';
import { readLookupIndex, readMappingInput } from './read-inputs.js';
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

/**
 * Read what the planner needs (PeopleSoft, Zoho, state) and plan. Reads only: nothing is written
 * anywhere, so `plan` is safe in CI and from a pull request.
 */
export async function makePlan(session: Session, o: MakePlanOptions = {}): Promise<Plan> {
  const now = o.now ?? session.clock.now();
  const mappings = selectMappings(session, o.mappings);
  // An ${env:NAME} left unset fails here, naming the variable, not later as a bad URL or a literal written to Zoho.
  for (const m of mappings) session.config.requireEnvForMapping(m.name);
  const inputs: MappingInput[] = [];
  for (const m of mappings) {
    inputs.push(await readMappingInput(session, m, { now, ...(o.full ? { full: true } : {}), ...(o.signal ? { signal: o.signal } : {}) }));
  }
  const planned = new Set(mappings.map((m) => m.name));
  const lookupIndex = new Map<string, Map<string, string>>();
  for (const m of mappings) {
    for (const target of lookupTargets(m)) {
      const t = session.config.mappings.get(target);
      if (t && !planned.has(target) && !lookupIndex.has(target)) lookupIndex.set(target, await readLookupIndex(session, t));
    }
  }
  return planChanges({
    mappings: inputs,
    lookupIndex,
    createdAt: new Date(now).toISOString(),
    configDigest: session.config.digest(),
    ...(o.gitCommit !== undefined ? { gitCommit: o.gitCommit } : {}),
    ...(o.gitDirty !== undefined ? { gitDirty: o.gitDirty } : {}),
    allowLargeChange: o.allowLargeChange ?? false,
    estimateCredits: (kind, n) => estimateCredits(kind === 'read' ? 'list' : kind, n),
  });
}
