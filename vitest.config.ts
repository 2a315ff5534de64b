import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: ['test/setup-token-cache.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // GitHub's workflow parser imports its schema JSON without an import attribute, which Node
    // refuses; Vite's transform (inlining it) loads it as a bundler would.
    server: { deps: { inline: ['@actions/workflow-parser', '@actions/expressions'] } },
  },
});
