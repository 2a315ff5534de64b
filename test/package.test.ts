import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The package as a user gets it: `npm pack`, installed into an empty directory outside the
 * clone, run from there. Install scripts are skipped: sqlite3's would download a prebuilt binary
 * (no network here) or compile SQLite (a minute on two cores), which is sqlite3's business, not
 * ours; the binary this clone built (same Node, same machine) is put in its place instead.
 */
const run = promisify(execFile);
let dir: string;
let tarball: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ml-package-'));
  // `npm test` built dist/ already: pack what is there (prepare would build again).
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { maxBuffer: 16 * 1024 * 1024 });
  tarball = join(dir, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'somewhere-else', private: true }));
  await run('npm', ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--omit=dev', tarball], { cwd: dir, timeout: 120_000 });
  cpSync(join('node_modules', 'sqlite3', 'build', 'Release', 'node_sqlite3.node'), join(dir, 'node_modules', 'sqlite3', 'build', 'Release', 'node_sqlite3.node'));
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the packed package', () => {
  it('ships what runs and nothing of the clone: no sources, tests or source maps', async () => {
    const { stdout } = await run('tar', ['tzf', tarball]);
    const files = stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
    for (const needed of ['bin/ml-connector.js', 'dist/cli/main.js', 'schema/mapping.schema.json', 'schema/output/validate.schema.json', 'configs/project.yaml', 'package.json', 'README.md']) expect(files).toContain(needed);
    expect(files.filter((f) => /^(src|test|scripts)\//.test(f) || f.endsWith('.map') || f.includes('node_modules'))).toEqual([]);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { private?: boolean; bin: Record<string, string> };
    expect(pkg.private).toBeUndefined();
    expect(pkg.bin['ml-connector']).toBe('./bin/ml-connector.js');
  });

  it('runs from an empty directory: --version, --help, validate on a configuration there, and state on a database there', async () => {
    const bin = join(dir, 'node_modules', '.bin', 'ml-connector');
    const version = await run(bin, ['--version'], { cwd: dir });
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
    cpSync(join(dir, 'node_modules', 'ml-connector', 'configs'), join(dir, 'my-config'), { recursive: true });
    const validate = await run(bin, ['validate', '--config', 'my-config'], { cwd: dir, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' } });
    expect(validate.stdout).toMatch(/✔ my-config is valid: 0 errors, 0 warnings in \d+ files/);
    expect((await run(bin, ['--help'], { cwd: dir })).stdout).toContain('Usage: ml-connector');
    const state = await run(bin, ['state', 'show', '--state', 'nothing-yet.db'], { cwd: dir }).catch((e: { code: number; stderr: string }) => e);
    expect((state as { stderr: string }).stderr).toContain('STATE_NOT_FOUND');
    const wrong = await run(bin, ['validate', '--config', 'my-confg'], { cwd: dir, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' } }).catch((e: { code: number; stdout: string }) => e);
    expect((wrong as { code: number }).code).toBe(1);
    expect((wrong as { stdout: string }).stdout).toContain("did you mean 'my-config'?");
  });
});
