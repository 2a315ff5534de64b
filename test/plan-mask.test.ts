import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Config } from '../src/config/index.js';
import { shouldMask } from '../src/cli/shared/reconcile.js';

/** When the CLI masks personal data: Markdown, CI, or the Project says so; --no-mask wins locally. */
const config = (maskPersonalData?: boolean): Config => ({ project: { defaults: maskPersonalData === undefined ? {} : { maskPersonalData } } }) as unknown as Config;

afterEach(() => vi.unstubAllEnvs());

describe('shouldMask', () => {
  it('shows personal data in a local terminal by default', () => {
    vi.stubEnv('CI', '');
    expect(shouldMask(config(), {})).toBe(false);
  });

  it('masks when CI is set, in Markdown, or when the Project asks', () => {
    vi.stubEnv('CI', 'true');
    expect(shouldMask(config(), {})).toBe(true);
    vi.stubEnv('CI', 'false');
    expect(shouldMask(config(), {})).toBe(false);
    expect(shouldMask(config(), { markdown: true })).toBe(true);
    expect(shouldMask(config(true), {})).toBe(true);
  });

  it('--no-mask shows it anyway', () => {
    vi.stubEnv('CI', 'true');
    expect(shouldMask(config(true), { mask: false, markdown: true })).toBe(false);
  });
});
