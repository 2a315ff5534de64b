/** When two mappings of one source may share a Zoho module: scopes are disjoint only when provably so. */
import { describe, expect, it } from 'vitest';
import { scopesDisjoint } from '../src/config/rules-module.js';

type C = Record<string, unknown> | undefined;
const cases: Array<[string, C, C, boolean]> = [
  ['EMP vs CWR', { field: 'PER_ORG', equals: 'EMP' }, { field: 'PER_ORG', equals: 'CWR' }, true],
  ['EMP vs in [CWR, POI]', { field: 'PER_ORG', equals: 'EMP' }, { field: 'PER_ORG', in: ['CWR', 'POI'] }, true],
  ['EMP vs in [EMP, CWR]', { field: 'PER_ORG', equals: 'EMP' }, { field: 'PER_ORG', in: ['EMP', 'CWR'] }, false],
  ['EMP vs notEquals EMP', { field: 'PER_ORG', equals: 'EMP' }, { field: 'PER_ORG', notEquals: 'EMP' }, true],
  ['in [A, B] vs notIn [A, B]', { field: 'X', in: ['A', 'B'] }, { field: 'X', notIn: ['A', 'B'] }, true],
  ['notEquals A vs notEquals B (C is in both)', { field: 'X', notEquals: 'A' }, { field: 'X', notEquals: 'B' }, false],
  ['empty vs not empty', { field: 'VENDOR_ID', empty: true }, { field: 'VENDOR_ID', empty: false }, true],
  ['empty vs notEquals A (a blank passes notEquals)', { field: 'X', empty: true }, { field: 'X', notEquals: 'A' }, false],
  ['empty vs equals A (a blank never equals)', { field: 'X', empty: true }, { field: 'X', equals: 'A' }, true],
  ['numbers and text compare as text', { field: 'EMPL_RCD', equals: 0 }, { field: 'EMPL_RCD', equals: '0' }, false],
  ['different fields cannot be proved apart', { field: 'PER_ORG', equals: 'EMP' }, { field: 'COMPANY', equals: 'MLP' }, false],
  ['no include on one side', { field: 'PER_ORG', equals: 'EMP' }, undefined, false],
  ['a condition that accepts nothing', { field: 'X', equals: 'A', notEquals: 'A' }, { field: 'X', equals: 'B' }, true],
];

describe('scopesDisjoint', () => {
  it.each(cases)('%s', (_what, a, b, disjoint) => {
    expect(scopesDisjoint(a, b)).toBe(disjoint);
    expect(scopesDisjoint(b, a)).toBe(disjoint);
  });
});
