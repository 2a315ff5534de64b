import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Config } from '../src/config/index.js';
import { shouldMask } from '../src/cli/shared/reconcile.js';

/** Masking is on by default (the schema's default); the Project may turn it off for a local terminal only; --no-mask wins. */
const config = (maskPersonalData?: boolean): Config => ({ project: { defaults: maskPersonalData === undefined ? {} : { maskPersonalData } } }) as unknown as Config;

afterEach(() => vi.unstubAllEnvs());

describe('shouldMask', () => {
  it('masks in a local terminal when the Project says nothing (the schema default is true)', () => {
    vi.stubEnv('CI', '');
    expect(shouldMask(config(), {})).toBe(true);
    expect(shouldMask(config(true), {})).toBe(true);
  });

  it('the Project turns it off for a local terminal only, never in Markdown or CI', () => {
    vi.stubEnv('CI', '');
    expect(shouldMask(config(false), {})).toBe(false);
    expect(shouldMask(config(false), { markdown: true })).toBe(true);
    vi.stubEnv('CI', 'true');
    expect(shouldMask(config(false), {})).toBe(true);
    vi.stubEnv('CI', 'false');
    expect(shouldMask(config(false), {})).toBe(false);
  });

  it('--no-mask shows it anyway', () => {
    vi.stubEnv('CI', 'true');
    expect(shouldMask(config(true), { mask: false, markdown: true })).toBe(false);
  });
});
