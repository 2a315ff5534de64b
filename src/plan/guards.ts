import type { Mapping } from '../config/types.generated.js';
import type { ActionCounts, GuardResult } from './types.js';

/** A limit as a count: `25` is 25; `10%` of 150 is 15 (rounded down: a limit never grows). */
export function resolveLimit(limit: number | string, base: number): number {
  if (typeof limit === 'number') return limit;
  const pct = Number.parseFloat(limit.replace('%', ''));
  return Math.floor((base * pct) / 100);
}

/**
 * The guards that are on unless a mapping turns them `off` (docs/configuration.md, docs/plan-format.md):
 * a truncated extract must not look like mass terminations even where nobody thought of a limit.
 * Percentages have a floor so that small organisations can lose a few people on an ordinary day:
 * 10% of 40 records would otherwise stop a run for 5 terminations.
 */
export const DEFAULT_GUARDS = {
  maxDeactivations: { limit: '10%', floor: 10 },
  maxDrop: { limit: '20%', floor: 10 },
  minSourceRows: { limit: 1, floor: 0 },
  maxAdoptions: { limit: 100, floor: 0 },
} as const;

type GuardName = keyof typeof DEFAULT_GUARDS;
type Configured = number | string | undefined;

const isOff = (v: Configured): boolean => v === 'off';

/** The guard's limit for this mapping, and its floor (defaults only); undefined when it is off. */
function limitOf(mapping: Mapping, name: GuardName): { limit: number | string; floor: number; byDefault: boolean } | undefined {
  const configured = (mapping.guards as Record<string, Configured> | undefined)?.[name];
  if (isOff(configured)) return undefined;
  if (configured === undefined) return { limit: DEFAULT_GUARDS[name].limit, floor: DEFAULT_GUARDS[name].floor, byDefault: true };
  return { limit: configured as number | string, floor: 0, byDefault: false };
}

export interface GuardFacts {
  counts: ActionCounts;
  /** Records known in Zoho for this mapping (linked or observed). */
  known: number;
  /** Desired records this run (for maxChanges as a percentage). */
  desired: number;
  sourceComplete: boolean;
  sourceRows: number;
  lastFullRowCount?: number;
}

const note = (l: { byDefault: boolean; floor: number }): string => (l.byDefault ? `, the default${l.floor > 0 ? `, at least ${l.floor}` : ''}` : '');

/**
 * Check a mapping's guards against its planned actions. Guards answer one question before any
 * write: does this run look like a broken extract or a config mistake rather than real HR change?
 */
export function checkGuards(mapping: Mapping, facts: GuardFacts): GuardResult[] {
  const out: GuardResult[] = [];
  const c = facts.counts;
  const deactivations = limitOf(mapping, 'maxDeactivations');
  if (deactivations) {
    const actual = c.deactivate + c.delete;
    const allowed = Math.max(deactivations.floor, resolveLimit(deactivations.limit, facts.known));
    out.push({
      guard: 'maxDeactivations', limit: deactivations.limit, allowed, actual, tripped: actual > allowed,
      message: `${actual} deactivations/deletions planned; at most ${allowed} allowed (${deactivations.limit} of ${facts.known} known records${note(deactivations)})`,
    });
  }
  const adoptions = limitOf(mapping, 'maxAdoptions');
  // Listed only when there is something to adopt: most runs adopt nothing.
  if (adoptions && c.adopt > 0) {
    // Adoption takes over records people made by hand: a wrong match rule must not do it silently at scale.
    const base = Math.max(facts.known, facts.desired);
    const actual = c.adopt;
    const allowed = Math.max(adoptions.floor, resolveLimit(adoptions.limit, base));
    out.push({
      guard: 'maxAdoptions', limit: adoptions.limit, allowed, actual, tripped: actual > allowed,
      message: `${actual} existing Zoho records to adopt; at most ${allowed} allowed (${adoptions.limit} of ${base} records${note(adoptions)})`,
    });
  }
  const maxChanges = mapping.guards?.maxChanges as Configured;
  if (maxChanges !== undefined && !isOff(maxChanges)) {
    const limit = maxChanges as number | string;
    const actual = c.create + c.adopt + c.update + c.deactivate + c.reactivate + c.delete;
    const base = Math.max(facts.known, facts.desired);
    const allowed = resolveLimit(limit, base);
    out.push({
      guard: 'maxChanges', limit, allowed, actual, tripped: actual > allowed,
      message: `${actual} changes planned; at most ${allowed} allowed (${limit} of ${base} records)`,
    });
  }
  // Row-count guards only mean something when the whole source was read.
  const minRows = limitOf(mapping, 'minSourceRows');
  if (minRows && facts.sourceComplete) {
    const actual = facts.sourceRows;
    const allowed = resolveLimit(minRows.limit, 0);
    out.push({
      guard: 'minSourceRows', limit: minRows.limit, allowed, actual, tripped: actual < allowed,
      message: `${actual} source records read; at least ${allowed} expected${note(minRows)}`,
    });
  }
  const drop = limitOf(mapping, 'maxDrop');
  if (drop && facts.sourceComplete && facts.lastFullRowCount !== undefined) {
    const actual = Math.max(0, facts.lastFullRowCount - facts.sourceRows);
    const allowed = Math.max(drop.floor, resolveLimit(drop.limit, facts.lastFullRowCount));
    out.push({
      guard: 'maxDrop', limit: drop.limit, allowed, actual, tripped: actual > allowed,
      message: `source fell by ${actual} records since the last full read (${facts.lastFullRowCount} → ${facts.sourceRows}); at most ${allowed} allowed (${drop.limit}${note(drop)})`,
    });
  }
  return out;
}
