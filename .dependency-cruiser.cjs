/**
 * Import boundaries (docs/architecture.md, "Layout"): imports run down the layers, never up.
 * `npm run check:imports` fails on a violation; CI runs it as part of `npm test`.
 */
const LOWER = '^src/(support|config|model|peoplesoft|zoho|state|mapping|plan|apply)/';
module.exports = {
  forbidden: [
    {
      name: 'no-upward-import',
      comment: 'Connectors, state, mapping, planner and applier never import the engine, gitops, ops, the CLI, the simulators, the demo or the bench.',
      severity: 'error',
      from: { path: LOWER },
      to: { path: '^src/(engine|gitops|ops|cli|sim|demo|bench)/' },
    },
    {
      name: 'applier-below-engine',
      comment: 'The applier is wired by the engine, not the other way round.',
      severity: 'error',
      from: { path: '^src/apply/' },
      to: { path: '^src/engine/' },
    },
    {
      name: 'planner-is-pure',
      comment: 'The planner and mapping engine do no I/O: no connectors, no state, no applier.',
      severity: 'error',
      from: { path: '^src/(plan|mapping)/' },
      to: { path: '^src/(peoplesoft|zoho|state|apply)/' },
    },
    {
      name: 'engine-below-its-users',
      comment: 'The engine is used by gitops, ops and the CLI; it imports none of them.',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: { path: '^src/(gitops|ops|cli|sim|demo|bench)/' },
    },
    {
      name: 'commands-never-import-commands',
      comment: 'Commands share code through src/cli/shared/ (the registry index.ts loads them).',
      severity: 'error',
      from: { path: '^src/cli/commands/(?!index\\.ts$)' },
      to: { path: '^src/cli/commands/' },
    },
    {
      name: 'simulators-are-not-product-code',
      comment: 'Only the simulators, the demo, the bench and `ml-connector sim` import src/sim.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(sim|demo|bench)/|^src/cli/commands/sim\\.ts$|^src/cli/shared/sim-[a-z-]+\\.ts$' },
      to: { path: '^src/sim/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.generated\\.ts$|^src/.*\\.test\\.ts$' },
  },
};
