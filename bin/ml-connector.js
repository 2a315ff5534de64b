#!/usr/bin/env node
// Thin launcher: the TypeScript is compiled to dist/ by `npm run build`, which `npm ci` runs
// through the `prepare` script (see docs/decisions.md, "Build on prepare").
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err); process.exitCode = 1; },
);
