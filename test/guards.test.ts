/**
 * Guards on by default (issue 12): a mapping that says nothing about guards is still stopped by a
 * truncated extract; `off` turns one guard off; explicit limits are taken as written. Pure.
 */
import { describe, expect, it } from 'vitest';
import type { Mapping } from '../src/config/types.generated.js';
import { checkGuards, DEFAULT_GUARDS, type GuardFacts } from '../src/plan/guards.js';

const counts = (deactivate = 0) => ({ create: 0, adopt: 0, update: 0, deactivate, reactivate: 0, delete: 0, same: 0 });
const mapping = (guards?: Mapping['guards']): Mapping => ({ name: 'm', ...(guards ? { guards } : {}) }) as Mapping;
const facts = (o: Partial<GuardFacts>): GuardFacts => ({ counts: counts(), known: 0, desired: 0, sourceComplete: true, sourceRows: 0, ...o });
const result = (m: Mapping, f: GuardFacts, guard: string) => checkGuards(m, f).find((g) => g.guard === guard);

describe('default guards', () => {
  it.each([
    { name: '10% of 500 known records allows 50 deactivations', f: facts({ known: 500, sourceRows: 500, counts: counts(50) }), guard: 'maxDeactivations', allowed: 50, tripped: false },
    { name: '51 of 500 trips', f: facts({ known: 500, sourceRows: 500, counts: counts(51) }), guard: 'maxDeactivations', allowed: 50, tripped: true },
    { name: 'a small organisation may still lose 10 (the floor)', f: facts({ known: 40, sourceRows: 40, counts: counts(10) }), guard: 'maxDeactivations', allowed: 10, tripped: false },
    { name: 'an empty full read trips minSourceRows', f: facts({ known: 10_000, sourceRows: 0 }), guard: 'minSourceRows', allowed: 1, tripped: true },
    { name: 'a fall of 21% since the last full read trips maxDrop', f: facts({ known: 1000, sourceRows: 790, lastFullRowCount: 1000 }), guard: 'maxDrop', allowed: 200, tripped: true },
    { name: 'a fall of 9 in 30 is within maxDrop\'s floor', f: facts({ known: 30, sourceRows: 21, lastFullRowCount: 30 }), guard: 'maxDrop', allowed: 10, tripped: false },
  ])('$name', ({ f, guard, allowed, tripped }) => {
    const g = result(mapping(), f, guard);
    expect(g).toMatchObject({ allowed, tripped, limit: DEFAULT_GUARDS[guard as keyof typeof DEFAULT_GUARDS].limit });
    expect(g!.message).toContain('the default');
  });

  it('the issue\'s truncated extract: plan --full proposing 6,759 deactivations of 10,000 is stopped', () => {
    const tripped = checkGuards(mapping(), facts({ known: 10_000, sourceRows: 3_241, lastFullRowCount: 10_000, counts: counts(6_759) })).filter((g) => g.tripped).map((g) => g.guard);
    expect(tripped).toEqual(['maxDeactivations', 'maxDrop']);
  });

  it('row-count guards need a complete read; an incremental run is judged on deactivations only', () => {
    expect(checkGuards(mapping(), facts({ sourceComplete: false, sourceRows: 0, lastFullRowCount: 100 })).map((g) => g.guard)).toEqual(['maxDeactivations']);
  });

  it('off turns exactly that guard off; explicit limits are taken as written, without the floor', () => {
    const f = facts({ known: 40, sourceRows: 0, lastFullRowCount: 40, counts: counts(12) });
    expect(checkGuards(mapping({ maxDeactivations: 'off', minSourceRows: 'off', maxDrop: 'off' }), f)).toEqual([]);
    expect(checkGuards(mapping({ maxDeactivations: 'off' }), f).map((g) => g.guard)).toEqual(['minSourceRows', 'maxDrop']);
    expect(result(mapping({ maxDeactivations: '10%' }), f, 'maxDeactivations')).toMatchObject({ allowed: 4, tripped: true, message: expect.not.stringContaining('default') });
    expect(result(mapping({ minSourceRows: 0 }), f, 'minSourceRows')?.tripped).toBe(false);
    expect(checkGuards(mapping({ maxChanges: 'off' }), f).map((g) => g.guard)).not.toContain('maxChanges');
  });
});
