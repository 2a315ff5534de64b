import type { Mapping } from '../config/types.generated.js';
import type { ActionCounts, GuardResult } from './types.js';

/** A limit as a count: `25` is 25; `10%` of 150 is 15 (rounded down: a limit never grows). */
export function resolveLimit(limit: number | string, base: number): number {
  if (typeof limit === 'number') return limit;
  const pct = Number.parseFloat(limit.replace('%', ''));
  return Math.floor((base * pct) / 100);
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

/**
 * Check a mapping's guards against its planned actions. Guards answer one question before any
 * write: does this run look like a broken extract or a config mistake rather than real HR change?
 */
export function checkGuards(mapping: Mapping, facts: GuardFacts): GuardResult[] {
  const g = mapping.guards ?? {};
  const out: GuardResult[] = [];
  const c = facts.counts;
  if (g.maxDeactivations !== undefined) {
    const actual = c.deactivate + c.delete;
    const allowed = resolveLimit(g.maxDeactivations, facts.known);
    out.push({
      guard: 'maxDeactivations', limit: g.maxDeactivations, allowed, actual, tripped: actual > allowed,
      message: `${actual} deactivations/deletions planned; at most ${allowed} allowed (${g.maxDeactivations} of ${facts.known} known records)`,
    });
  }
  const maxAdoptions = (g as { maxAdoptions?: number | string }).maxAdoptions;
  if (maxAdoptions !== undefined) {
    // Adoption takes over records people made by hand: a wrong match rule must not do it silently at scale.
    const actual = c.adopt;
    const allowed = resolveLimit(maxAdoptions, Math.max(facts.known, facts.desired));
    out.push({
      guard: 'maxAdoptions', limit: maxAdoptions, allowed, actual, tripped: actual > allowed,
      message: `${actual} existing Zoho records to adopt; at most ${allowed} allowed (${maxAdoptions})`,
    });
  }
  if (g.maxChanges !== undefined) {
    const actual = c.create + c.adopt + c.update + c.deactivate + c.reactivate + c.delete;
    const base = Math.max(facts.known, facts.desired);
    const allowed = resolveLimit(g.maxChanges, base);
    out.push({
      guard: 'maxChanges', limit: g.maxChanges, allowed, actual, tripped: actual > allowed,
      message: `${actual} changes planned; at most ${allowed} allowed (${g.maxChanges} of ${base} records)`,
    });
  }
  // Row-count guards only mean something when the whole source was read.
  if (g.minSourceRows !== undefined && facts.sourceComplete) {
    const actual = facts.sourceRows;
    out.push({
      guard: 'minSourceRows', limit: g.minSourceRows, allowed: g.minSourceRows, actual, tripped: actual < g.minSourceRows,
      message: `${actual} source records read; at least ${g.minSourceRows} expected`,
    });
  }
  if (g.maxDrop !== undefined && facts.sourceComplete && facts.lastFullRowCount !== undefined) {
    const actual = Math.max(0, facts.lastFullRowCount - facts.sourceRows);
    const allowed = resolveLimit(g.maxDrop, facts.lastFullRowCount);
    out.push({
      guard: 'maxDrop', limit: g.maxDrop, allowed, actual, tripped: actual > allowed,
      message: `source fell by ${actual} records since the last full read (${facts.lastFullRowCount} → ${facts.sourceRows}); at most ${allowed} allowed`,
    });
  }
  return out;
}
