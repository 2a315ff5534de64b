import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedSystems, type SimulatedSystems } from './simulated-systems.js';

/**
 * Every `--json` output (but plan's and apply's, which the lead is reworking) from the built CLI
 * against the simulators, validated against its JSON Schema in schema/output/.
 */
const BIN = join(process.cwd(), 'bin', 'ml-connector.js');
const SCHEMAS = join(process.cwd(), 'schema', 'output');

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats.default(ajv);
for (const f of readdirSync(SCHEMAS)) ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS, f), 'utf8')) as object);
const checked = new Set<string>();

function expectValid(schema: string, value: unknown): void {
  const validate = ajv.getSchema(`${schema}.schema.json`);
  if (!validate) throw new Error(`no schema/output/${schema}.schema.json`);
  checked.add(schema);
  expect(validate(value) ? [] : validate.errors, `${schema}: ${JSON.stringify(value).slice(0, 400)}`).toEqual([]);
}

let dir: string;
let sys: SimulatedSystems;
let env: Record<string, string>;

function cli(args: string[], o: { input?: string; extraEnv?: Record<string, string> } = {}): Promise<{ code: number | null; stdout: string; stderr: string; json: unknown }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env, ...o.extraEnv, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdin.end(o.input ?? '');
  return new Promise((resolve) => child.once('close', (code) => {
    let json: unknown;
    try { json = JSON.parse(stdout); } catch { json = undefined; }
    resolve({ code, stdout, stderr, json });
  }));
}

const freePort = (): Promise<number> => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as { port: number }).port;
    s.close(() => resolve(p));
  });
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ml-json-'));
  sys = await startSimulatedSystems(dir);
  env = { ...sys.env, ML_CONNECTOR_MASTER_KEY: randomBytes(32).toString('base64') };
  const zohoYaml = join(sys.configDir, 'connections', 'zoho.yaml');
  writeFileSync(zohoYaml, readFileSync(zohoYaml, 'utf8') + `webhooks:\n  notifyUrl: http://127.0.0.1:${await freePort()}/webhooks/zoho\n`);
  const apply = await cli(['apply', '--config', sys.configDir, '--auto-approve', '--allow-dirty']);
  expect(apply.code, apply.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await sys.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('--json outputs match schema/output/*.schema.json', () => {
  it('validate, check, fields', async () => {
    // Independent read-only commands, in parallel: each is a process start.
    const [valid, invalid, check, zoho, employees, vendors] = await Promise.all([
      cli(['validate', '-c', sys.configDir, '--json']),
      cli(['validate', '-c', 'test/fixtures/config/unset-env', '--strict', '--json']),
      cli(['check', '-c', sys.configDir, '--json']),
      cli(['fields', 'zoho', 'Accounts', '-c', sys.configDir, '--json']),
      cli(['fields', 'peoplesoft', '--reader', 'employees', '-c', sys.configDir, '--json']),
      cli(['fields', 'peoplesoft', '--reader', 'vendors', '-c', sys.configDir, '--json']),
    ]);
    expect(valid.code).toBe(0);
    expectValid('validate', valid.json);
    expect(invalid.code).toBe(1);
    expectValid('validate', invalid.json);
    expect(check.code, check.stdout).toBe(0);
    expectValid('check', check.json);
    expectValid('fields-zoho', zoho.json);
    expectValid('fields-peoplesoft', employees.json);
    expectValid('fields-peoplesoft', vendors.json);
  }, 60_000);

  it('runs, audit, state', async () => {
    const runs = await cli(['runs', '-c', sys.configDir, '--json']);
    expectValid('runs', runs.json);
    const id = (runs.json as Array<{ id: string }>)[0]!.id;
    const [one, audit, show, exported] = await Promise.all([
      cli(['runs', id, '-c', sys.configDir, '--json']),
      cli(['audit', '-c', sys.configDir, '--limit', '5', '--json']),
      cli(['state', 'show', '-c', sys.configDir, '--check', '--json']),
      cli(['state', 'export', '-c', sys.configDir]),
    ]);
    expectValid('runs', one.json);
    expect((audit.json as unknown[]).length).toBe(5);
    expectValid('audit', audit.json);
    expectValid('state-show', show.json);
    expectValid('state-export', exported.json);
    const file = join(dir, 'export.json');
    expectValid('state', (await cli(['state', 'export', file, '-c', sys.configDir, '--json'])).json);
    expectValid('state', (await cli(['state', 'import', file, '--state', join(dir, 'copy.db'), '--json'])).json);
    expectValid('state', (await cli(['state', 'unlock', '-c', sys.configDir, '--json'])).json);
    expectValid('state', (await cli(['state', 'prune', '-c', sys.configDir, '--older-than', '30d', '--json'])).json);
    const migrated = (await cli(['state', 'migrate', '-c', sys.configDir, '--from', 'project', '--to', `sqlite:${join(dir, 'moved.db')}`, '--json'])).json;
    expectValid('state', migrated);
    expect(migrated).toMatchObject({ rows: { links: 322 }, secretsReencrypted: false });
  }, 60_000);

  it('secrets', async () => {
    const set = await cli(['secrets', 'set', 'smtp-password', '-c', sys.configDir, '--json'], { input: 'not-a-real-password\n' });
    expect(set.code, set.stderr).toBe(0);
    expectValid('secrets', set.json);
    expectValid('secrets', (await cli(['secrets', 'list', '-c', sys.configDir, '--json'])).json);
    expectValid('secrets', (await cli(['secrets', 'rotate-key', '-c', sys.configDir, '--new-key-env', 'NEW_KEY', '--json'], { extraEnv: { NEW_KEY: randomBytes(32).toString('base64') } })).json);
    expectValid('secrets', (await cli(['secrets', 'rm', 'smtp-password', '-c', sys.configDir, '--json'], { extraEnv: {} })).json);
  }, 60_000);

  it('webhooks', async () => {
    for (const action of ['enable', 'list', 'renew', 'disable']) {
      const r = await cli(['webhooks', action, '-c', sys.configDir, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expectValid('webhooks', r.json);
    }
  }, 60_000);

  it('sim --json, and the error envelope', async () => {
    const child = spawn(process.execPath, [BIN, 'sim', '--json', '--no-smtp', '--employees', '3', '--vendors', '2'], { env: { ...process.env, NO_COLOR: '1' } });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const first = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
      expectValid('sim', JSON.parse(first));
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    for (const args of [['runs', 'no-such-run', '-c', sys.configDir, '--json'], ['fields', 'zoho', 'Nope', '-c', sys.configDir, '--json'], ['check', '-c', join(dir, 'missing'), '--json']]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(1);
      expectValid('error', r.json);
    }
  }, 60_000);

  it('every schema in schema/output was used', () => {
    const all = readdirSync(SCHEMAS).map((f) => f.replace('.schema.json', '')).filter((n) => n !== 'common');
    expect(all.filter((n) => !checked.has(n))).toEqual([]);
  });
});
