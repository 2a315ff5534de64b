import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../src/support/log.js';
import { startServe } from '../src/ops/serve.js';
import type { RunResult } from '../src/ops/runner.js';

/**
 * The Dockerfile, linted as text: no Docker engine runs on this machine (docker build cannot be
 * tried here), so this checks what a review would, and runs its HEALTHCHECK command for real.
 */
const text = readFileSync('Dockerfile', 'utf8');
const file = DockerfileParser.parse(text);
const all = file.getInstructions();
const lastFrom = all.findLastIndex((i) => i.getKeyword() === 'FROM');
const final = all.slice(lastFrom);
const one = (keyword: string, within: Instruction[] = final): Instruction => {
  const found = within.filter((i) => i.getKeyword() === keyword);
  expect(found, keyword).toHaveLength(1);
  return found[0]!;
};
const execArgs = (i: Instruction): string[] => JSON.parse(i.getArgumentsContent()!.replace(/^CMD\s+/, '').replace(/\\\n/g, '')) as string[];

describe('Dockerfile', () => {
  it('builds from pinned Node images in two stages, with npm ci from the lock file', () => {
    const froms = file.getFROMs();
    expect(froms).toHaveLength(2);
    for (const f of froms) expect(f.getImageName()).toBe('node'), expect(f.getImageTag()).toMatch(/^20-bookworm-slim$/);
    expect(text).toMatch(/COPY package\.json package-lock\.json/);
    expect(text).toMatch(/RUN npm ci /);
    expect(text).toContain('npm prune --omit=dev');
    expect(all.some((i) => i.getKeyword() === 'ADD')).toBe(false);
  });

  it('copies only what exists and .dockerignore lets through', () => {
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const copy of all.slice(0, lastFrom).filter((i) => i.getKeyword() === 'COPY')) {
      const args = copy.getArguments().map((a) => a.getValue());
      for (const source of args.slice(0, -1)) {
        expect(existsSync(source), source).toBe(true);
        expect(ignored.includes(source), `${source} is in .dockerignore`).toBe(false);
      }
    }
    for (const never of ['.git', 'node_modules', '.ml-connector', '*.db', '.env*']) expect(ignored).toContain(never);
  });

  it('runs serve as a non-root user, keeps the state on a volume, stops on SIGTERM', () => {
    const user = one('USER').getArgumentsContent();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(final.findIndex((i) => i.getKeyword() === 'USER')).toBeGreaterThan(final.findLastIndex((i) => i.getKeyword() === 'RUN'));
    const state = /ML_CONNECTOR_STATE=(\S+)/.exec(one('ENV').getArgumentsContent()!)?.[1];
    expect(state).toBe('/var/lib/ml-connector/state.db');
    expect(JSON.parse(one('VOLUME').getArgumentsContent()!)).toContain(dirname(state!));
    expect(text).toContain(`chown node:node ${dirname(state!)}`);
    expect(one('STOPSIGNAL').getArgumentsContent()).toBe('SIGTERM');
    expect(execArgs(one('ENTRYPOINT'))).toEqual(['/usr/bin/tini', '--', 'node', '/app/bin/ml-connector.js']);
    const cmd = execArgs(one('CMD'));
    expect(cmd.slice(0, 1)).toEqual(['serve']);
    expect(cmd[cmd.indexOf('--port') + 1]).toBe(one('EXPOSE').getArgumentsContent());
  });

  it('HEALTHCHECK asks /healthz: healthy while serving, unhealthy while draining and once stopped', async () => {
    const health = one('HEALTHCHECK');
    expect(text).toMatch(/HEALTHCHECK --interval=\d+s --timeout=\d+s/);
    const args = execArgs(health);
    expect(args[0]).toBe('node');
    expect(args[2]).toContain(`http://127.0.0.1:${one('EXPOSE').getArgumentsContent()}/healthz`);
    let release!: () => void;
    const draining = new Promise<void>((r) => { release = r; });
    const run = async (): Promise<RunResult> => {
      await draining;
      return { runId: 'r', trigger: 't', status: 'interrupted', startedAt: new Date().toISOString(), mappings: [] };
    };
    const handle = await startServe({ config: { project: { apiVersion: 'ml-connector/v1', kind: 'Project', name: 'p' }, schedules: [], mappings: [] }, run, logger: silentLogger, port: 0, host: '127.0.0.1' });
    const probe = async (): Promise<number> => {
      const script = args[2]!.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${handle.port}`);
      return promisify(execFile)(process.execPath, ['-e', script]).then(() => 0, (e: { code: number }) => e.code);
    };
    expect(await probe()).toBe(0);
    handle.coordinator.request({ mappings: ['m'], full: false, trigger: 'test' });
    const stopped = handle.stop('SIGTERM');
    expect(await probe()).toBe(1);
    release();
    await stopped;
    expect(await probe()).toBe(1);
  });
});
