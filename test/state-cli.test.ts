import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openStateStore } from '../src/state/index.js';
import { CLI, makeTempDir, requireBuild, runCli, type ProcResult } from './fixtures/state/helpers.js';

const KEY = Buffer.alloc(32, 0x42).toString('base64');
const NEW_KEY = Buffer.alloc(32, 0x43).toString('base64');
const SECRET = 'cli-Secret-Value-9f8e7d6c5b4a';

const json = (r: ProcResult): any => {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
};

describe('state commands (built CLI)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let db: string;
  let runId: string;
  const outputs: string[] = [];
  const cli = async (args: string[], opts: Parameters<typeof runCli>[1] = {}): Promise<ProcResult> => {
    const r = await runCli(args, { cwd: tmp.dir, ...opts, env: { ML_CONNECTOR_MASTER_KEY: KEY, ML_CONNECTOR_MASTER_KEY_FILE: undefined, ...opts.env } });
    outputs.push(r.stdout, r.stderr);
    return r;
  };

  beforeAll(async () => {
    requireBuild();
    tmp = makeTempDir();
    db = join(tmp.dir, 'state.db');
    const store = await openStateStore(db);
    runId = await store.startRun({ kind: 'apply', trigger: 'schedule:daily', gitCommit: '0123456789abcdef', configDigest: 'd', mappings: ['employees'] });
    await store.commitBatch({
      runId,
      mapping: 'employees',
      links: [{ externalId: 'E1', module: 'Contacts', zohoId: 'z1', fieldHash: 'h', appliedValues: { Last_Name: 'Doe' } }],
      audit: [
        { runId, mapping: 'employees', externalId: 'E1', zohoId: 'z1', action: 'create', event: 'hire', fields: ['Last_Name'], outcome: 'applied' },
        { runId, mapping: 'employees', externalId: 'E2', action: 'update', fields: ['Email'], outcome: 'failed', errorCode: 'INVALID_DATA', errorMessage: 'bad email' },
      ],
    });
    await store.finishRun(runId, { status: 'partial', counts: { create: 1, failed: 1 }, apiCalls: 2, credits: 2 });
    await store.close();
  });
  afterAll(() => tmp.cleanup());

  it('secrets: set from stdin, list names only, refuse values in argv', async () => {
    const set = await cli(['secrets', 'set', 'ZOHO_CLIENT_SECRET', '--state', db], { input: `${SECRET}\n` });
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('Stored secret ZOHO_CLIENT_SECRET');
    const [list, argv] = await Promise.all([
      cli(['secrets', 'list', '--state', db, '--json']),
      cli(['secrets', 'set', 'OTHER', 'value-in-argv', '--state', db]),
    ]);
    expect(list.code).toBe(0);
    expect(json(list).map((s: Record<string, unknown>) => Object.keys(s).sort())).toEqual([['createdAt', 'name', 'updatedAt']]);
    expect(argv.code).toBe(1);
    expect(argv.stderr).toMatch(/too many arguments/);

    const store = await openStateStore(db, { masterKey: Buffer.from(KEY, 'base64') });
    expect(await store.secrets.get('ZOHO_CLIENT_SECRET')).toBe(SECRET); // the trailing newline was dropped
    expect(await store.secrets.has('OTHER')).toBe(false);
    await store.close();
  });

  it('secrets: rotate-key re-encrypts with a key from stdin', async () => {
    const before = await openStateStore(db, { masterKey: Buffer.from(KEY, 'base64') });
    await before.secrets.set('TEMP', 'temporary-value');
    await before.close();
    const rotate = await cli(['secrets', 'rotate-key', '--state', db, '--json'], { input: NEW_KEY });
    expect(rotate.code).toBe(0);
    expect(json(rotate).rotated).toBe(2);
    const store = await openStateStore(db, { masterKey: Buffer.from(NEW_KEY, 'base64') });
    expect(await store.secrets.get('ZOHO_CLIENT_SECRET')).toBe(SECRET);
    expect(await store.secrets.get('TEMP')).toBe('temporary-value');
    await store.secrets.remove('TEMP');
    await store.close();
  });

  it('runs and audit: text and JSON, filters', async () => {
    const [runs, audit, auditText] = await Promise.all([
      cli(['runs', '--state', db, '--json']),
      cli(['audit', '--run', runId, '--json', '--state', db]),
      cli(['audit', '--mapping', 'employees', '--since', '2000-01-01', '--state', db]),
    ]);
    expect(json(runs).map((r: { id: string }) => r.id)).toEqual([runId]);
    expect(json(runs)[0]).toMatchObject({ id: runId, status: 'partial', batches: 1, counts: { create: 1, failed: 1 } });
    expect(json(audit).map((a: { externalId: string; outcome: string }) => `${a.externalId}:${a.outcome}`)).toEqual(['E1:applied', 'E2:failed']);
    expect(auditText.stdout).toMatch(/employees\/E1 → z1 create \(hire\) applied fields: Last_Name/);
    expect(auditText.stdout).toMatch(/employees\/E2 update failed fields: Email INVALID_DATA: bad email/);
  });

  it('state show and unlock: a live lock is kept, a dead one is broken and reported', async () => {
    const { hostname } = await import('node:os');
    const live = await openStateStore(db);
    const lock = await live.acquireLock('apply', { holder: 'apply (live)', waitMs: 0 });
    const [show, refuse] = await Promise.all([cli(['state', 'show', '--state', db, '--json', '--check']), cli(['state', 'unlock', '--state', db, '--json'])]);
    expect(json(show)).toMatchObject({ schemaVersion: 3, rows: { links: 1, runs: 1, audit: 2, secrets: 1, locks: 1 }, integrity: ['ok'], locks: [{ holder: 'apply (live)' }] });
    expect(json(show).locks[0].staleReason).toBeUndefined();
    expect(refuse.code).toBe(1);
    expect(json(refuse).error.code).toBe('STATE_LOCK_ALIVE');
    await lock.release();
    await live.close();

    const ghost = await openStateStore(db, { identity: { pid: 2 ** 22 + 4321, host: hostname() } });
    await ghost.acquireLock('apply', { holder: 'apply (crashed)', waitMs: 0 });
    const unlock = await cli(['state', 'unlock', '--state', db]);
    expect(unlock.code).toBe(0);
    expect(unlock.stdout).toMatch(/Broke the apply lock\. It was apply: held by "apply \(crashed\)" pid 4198625/);
    await ghost.close();
  });

  it('state export and import: no secrets in the file; import refuses to overwrite without --force', async () => {
    const file = join(tmp.dir, 'export.json');
    const exp = await cli(['state', 'export', file, '--state', db]);
    expect(exp.code).toBe(0);
    expect(exp.stdout).toMatch(/Exported 1 links of 1 mappings, 1 runs and 2 audit rows .* 1 left out/);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('ZOHO_CLIENT_SECRET');

    const copy = join(tmp.dir, 'copy.db');
    const [imported, refused] = await Promise.all([cli(['state', 'import', file, '--state', copy, '--json']), cli(['state', 'import', file, '--state', db, '--json'])]);
    expect(imported.code).toBe(0);
    expect(json(imported).rows).toMatchObject({ links: 1, runs: 1, audit: 2, secrets: 0 });
    expect(json(refused).error.code).toBe('STATE_NOT_EMPTY');
  });

  it('finds the state path through --config, and says when there is no file there', async () => {
    const cfg = join(tmp.dir, 'configs');
    mkdirSync(cfg);
    writeFileSync(join(cfg, 'project.yaml'), 'apiVersion: ml-connector/v1\nkind: Project\nname: t\nstate:\n  path: ${env:TEST_STATE_PATH:-nowhere.db}\n');
    const missing = await cli(['runs', '--config', cfg, '--json']);
    expect(missing.code).toBe(1);
    expect(json(missing).error).toMatchObject({ code: 'STATE_NOT_FOUND', meta: { path: join(tmp.dir, 'nowhere.db') } });
    expect(existsSync(join(tmp.dir, 'nowhere.db'))).toBe(false);
  });

  it('without --config, reads configs/ as plan and apply do: the same state file and master key file', async () => {
    const proj = join(tmp.dir, 'project');
    mkdirSync(join(proj, 'configs'), { recursive: true });
    writeFileSync(join(proj, 'master.key'), `${NEW_KEY}\n`, { mode: 0o600 });
    writeFileSync(join(proj, 'configs', 'project.yaml'), 'apiVersion: ml-connector/v1\nkind: Project\nname: t\nstate:\n  path: var/state.db\n  masterKeyFile: master.key\n');
    const set = await cli(['secrets', 'set', 'PS_PASSWORD', '--json'], { cwd: proj, input: 'ps-password-value', env: { ML_CONNECTOR_MASTER_KEY: undefined } });
    expect(set.code, set.stdout + set.stderr).toBe(0);
    expect(existsSync(join(proj, '.ml-connector'))).toBe(false);
    const store = await openStateStore(join(proj, 'var/state.db'), { masterKey: Buffer.from(NEW_KEY, 'base64') });
    expect(await store.secrets.get('PS_PASSWORD')).toBe('ps-password-value');
    await store.close();
    const runs = await cli(['runs', '--json'], { cwd: proj });
    expect(runs.code, runs.stdout + runs.stderr).toBe(0);
    expect(json(runs)).toEqual([]);
    // A configs/ that cannot be loaded does not stop a state command: the defaults apply.
    writeFileSync(join(proj, 'configs', 'project.yaml'), 'state: [not valid\n');
    const fallback = await cli(['runs', '--json'], { cwd: proj });
    expect(json(fallback).error).toMatchObject({ code: 'STATE_NOT_FOUND', meta: { path: join(proj, '.ml-connector/state.db') } });
  });

  it('a reader that stops early (`state export | head`) ends the command quietly, not with an EPIPE crash', async () => {
    const big = join(tmp.dir, 'big.db');
    const store = await openStateStore(big);
    await store.upsertLinks('employees', Array.from({ length: 3000 }, (_, i) => ({ externalId: `E${i}`, module: 'Contacts', zohoId: `z${i}`, fieldHash: 'h', appliedValues: { Email: `user${i}@example.com` } })));
    await store.close();
    const child = spawn(process.execPath, [CLI, 'state', 'export', '--state', big], { cwd: tmp.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  });

  it('has --help on its commands', async () => {
    const helps = await Promise.all(
      [['secrets', 'set']].map((c) => cli([...c, '--help'])),
    );
    for (const h of helps) {
      expect(h.code).toBe(0);
      expect(h.stdout).toMatch(/--state <path>/);
    }
  });

  it('never printed the secret value, and the database file never holds it in clear', () => {
    expect(outputs.join('\n')).not.toContain(SECRET);
    const bytes = Buffer.concat([db, `${db}-wal`].filter((p) => existsSync(p)).map((p) => readFileSync(p)));
    expect(bytes.includes(Buffer.from(SECRET))).toBe(false);
  });
});
