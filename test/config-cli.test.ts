/**
 * `ml-connector validate` as a user runs it: the built CLI in a subprocess (`npm test` builds
 * first), its output lines, its JSON and its exit codes.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';

const CLI = 'bin/ml-connector.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the CLI with a clean environment (no colour, none of the example's variables). */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env } }, (err, stdout, stderr) => {
      resolve({ code: child.exitCode ?? (err ? 1 : 0), stdout, stderr });
    });
  });
}

describe('ml-connector validate', () => {
  test('the CLI is built (npm test builds it first)', () => {
    expect(existsSync('dist/cli/main.js'), 'run `npx tsc -p tsconfig.build.json` first').toBe(true);
  });

  test('the example configuration is valid: exit 0 and a summary with counts and time', async () => {
    const started = performance.now();
    const run = await cli(['validate', '--config', 'configs']);
    const wallMs = performance.now() - started;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^✔ configs is valid: 0 errors, 0 warnings in 9 files, checked in \d+ ms\n$/);
    // The whole process, start-up included; generous because the test suites share two cores.
    expect(wallMs).toBeLessThan(5000);
  });

  test('a broken configuration: one line per issue with file:line:col, then exit 1', async () => {
    const run = await cli(['validate', '--config', 'test/fixtures/config/field-source']);
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toEqual([
      'test/fixtures/config/field-source/mapping.yaml:8:39 error fields[0] (Last_Name) has both from and value: keep exactly one of from, value, template, map or lookup [CONFIG_FIELD_SOURCE]',
      'test/fixtures/config/field-source/mapping.yaml:9:5 error fields[1] (Email) has no value: give exactly one of from, value, template, map or lookup [CONFIG_FIELD_SOURCE]',
      expect.stringMatching(/^✖ test\/fixtures\/config\/field-source is not valid: 2 errors, 0 warnings in 2 files, checked in \d+ ms$/),
    ]);
  });

  test('--json prints { valid, issues, files, durationMs }', async () => {
    const run = await cli(['validate', '--config', 'test/fixtures/config/unknown-region', '--json']);
    expect(run.code).toBe(1);
    const body = JSON.parse(run.stdout) as { valid: boolean; issues: unknown[]; files: string[]; durationMs: number };
    expect(body.valid).toBe(false);
    expect(body.files).toEqual(['test/fixtures/config/unknown-region/zoho.yaml']);
    expect(typeof body.durationMs).toBe('number');
    expect(body.issues).toEqual([{
      file: 'test/fixtures/config/unknown-region/zoho.yaml', line: 4, column: 9, path: 'region',
      code: 'CONFIG_INVALID_VALUE', severity: 'error', message: "unknown region 'europe': use one of us, eu, in, au, jp, cn, ca, sa",
    }]);
  });

  test('warnings pass, unless --strict', async () => {
    const lenient = await cli(['validate', '--config', 'test/fixtures/config/unset-env']);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toMatch(/hcm\.yaml:5:10 warning \$\{env:ML_FIXTURE_HCM_URL\} in baseUrl is not set/);
    const strict = await cli(['validate', '--config', 'test/fixtures/config/unset-env', '--strict', '--json']);
    expect(strict.code).toBe(1);
    expect(JSON.parse(strict.stdout)).toMatchObject({ valid: false, issues: [{ code: 'CONFIG_UNSET_ENV', severity: 'warning' }, { code: 'CONFIG_UNSET_CREDENTIAL', path: 'auth.password', severity: 'warning' }] });
  });

  test('plan refuses a value whose ${env:NAME} is unset, naming the variable and the line, before any call', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mlc-unset-'));
    try {
      await cp('configs', path.join(dir, 'configs'), { recursive: true });
      const hcm = path.join(dir, 'configs/connections/peoplesoft-hcm.yaml');
      await writeFile(hcm, (await readFile(hcm, 'utf8')).replace('${env:PS_HCM_URL:-https://hcm.example.com:8443}', '${env:MLC_TEST_HCM_URL}'));
      const started = performance.now();
      // Credentials set, so only the unset URL stands between plan and the network.
      const creds = { PS_HCM_PASSWORD: 'test-password-1', ZOHO_CLIENT_ID: '1000.TEST', ZOHO_CLIENT_SECRET: 'test-secret-1', ZOHO_REFRESH_TOKEN: '1000.test.refresh' };
      const run = await cli(['plan', '--config', path.join(dir, 'configs'), '--mapping', 'employees-to-contacts', '--state', path.join(dir, 'state.db'), '--json'], creds);
      expect(run.code).toBe(1);
      expect(JSON.parse(run.stdout).error).toMatchObject({
        code: 'CONFIG_UNSET_ENV',
        message: expect.stringMatching(/^PeopleSoftConnection 'peoplesoft-hcm' needs the environment variable MLC_TEST_HCM_URL for baseUrl \(.*peoplesoft-hcm\.yaml:6:10\), which is not set$/),
      });
      // No connection was attempted: a retried network error would take seconds.
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('--help describes the command and its options', async () => {
    const run = await cli(['validate', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Usage: ml-connector validate \[options\]/);
    for (const option of ['--config <dir>', '--json', '--strict']) expect(run.stdout).toContain(option);
  });
});

describe('ml-connector validate --strict', () => {
  const credentials = { PS_HCM_PASSWORD: 'p1-secret', PS_FSCM_PASSWORD: 'p2-secret', ZOHO_CLIENT_SECRET: 'c-secret', ZOHO_REFRESH_TOKEN: 'r-secret', SMTP_PASSWORD: 's-secret' };

  test('reports every credential variable that is unset, with file:line, and fails', async () => {
    const { ZOHO_REFRESH_TOKEN: _unset, ...partial } = credentials;
    const run = await cli(['validate', '--config', 'configs', '--strict', '--json'], partial);
    expect(run.code).toBe(1);
    const body = JSON.parse(run.stdout) as { valid: boolean; issues: Array<{ file: string; line: number; code: string; path: string; message: string }> };
    expect(body.valid).toBe(false);
    expect(body.issues).toEqual([expect.objectContaining({ file: 'configs/connections/zoho.yaml', line: 14, code: 'CONFIG_UNSET_CREDENTIAL', path: 'auth.refreshToken' })]);
    expect(body.issues[0]!.message).toContain('${env:ZOHO_REFRESH_TOKEN}');
  });

  test('the PostgreSQL URL is a credential only when the Project\'s state backend resolves to postgres', async () => {
    const run = await cli(['validate', '--config', 'configs', '--strict', '--json'], { ...credentials, ML_CONNECTOR_STATE_BACKEND: 'postgres' });
    expect(run.code).toBe(1);
    const body = JSON.parse(run.stdout) as { issues: Array<{ file: string; path: string; message: string }> };
    expect(body.issues).toEqual([expect.objectContaining({ file: 'configs/project.yaml', path: 'state.postgres.url', message: expect.stringContaining('ML_CONNECTOR_STATE_URL') })]);
  });

  test('passes when every credential is set; without --strict, unset credentials are no issue (CI validates without secrets)', async () => {
    expect((await cli(['validate', '--config', 'configs', '--strict'], credentials)).code).toBe(0);
    const plain = await cli(['validate', '--config', 'configs', '--json']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toContain('CONFIG_UNSET_CREDENTIAL');
  });
});
