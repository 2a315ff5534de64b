/**
 * Start-up: wall time of the built CLI's `--version` and `--help` against a bare `node -e 0`, each
 * a new process, the three interleaved so that a change in the machine's load hits them alike.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ratioOf, spreadOf, type Spread } from './measure.js';

export interface StartupResult {
  nodeMs: Spread;
  versionMs: Spread;
  helpMs: Spread;
  /** Run-by-run ratios to `node -e 0`. */
  versionRatio: Spread;
  helpRatio: Spread;
}

const BIN = fileURLToPath(new URL('../../bin/ml-connector.js', import.meta.url));

function timeProcess(args: string[]): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`bench start-up: node ${args.join(' ')} exited with ${r.status}`);
  return ms;
}

export function benchStartup(runs: number): Promise<StartupResult> {
  // One warm-up of each, so the first measured run does not pay for a cold file cache.
  for (const args of [['-e', '0'], [BIN, '--version'], [BIN, '--help']]) timeProcess(args);
  const node: number[] = [];
  const version: number[] = [];
  const help: number[] = [];
  for (let i = 0; i < runs; i++) {
    node.push(timeProcess(['-e', '0']));
    version.push(timeProcess([BIN, '--version']));
    help.push(timeProcess([BIN, '--help']));
  }
  const round = (xs: number[]): number[] => xs.map((x) => Math.round(x));
  return Promise.resolve({
    nodeMs: spreadOf(round(node)), versionMs: spreadOf(round(version)), helpMs: spreadOf(round(help)),
    versionRatio: ratioOf(version, node), helpRatio: ratioOf(help, node),
  });
}
