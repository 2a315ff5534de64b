import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openStateStore } from '../src/state/index.js';
import { makeTempDir, requireBuild, runCli, type ProcResult } from './fixtures/state/helpers.js';

const KEY = Buffer.alloc(32, 0x42).toString('base64');
const NEW_KEY = Buffer.alloc(32, 0x43).toString('base64');
const SECRET = 'cli-Secret-Value-9f8e7d6c5b4a';

const json = (r: ProcResult): any => JSON.parse(r.stdout);

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

  it('secrets: set from stdin, list names only, refuse values in argv, need a key', async () => {
    const set = await cli(['secrets', 'set', 'ZOHO_CLIENT_SECRET', '--state', db], { input: `${SECRET}\n` });
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('Stored secret ZOHO_CLIENT_SECRET');
    const [list, argv, noKey] = await Promise.all([
      cli(['secrets', 'list', '--state', db, '--json']),
      cli(['secrets', 'set', 'OTHER', 'value-in-argv', '--state', db]),
      cli(['secrets', 'set', 'OTHER', '--state', db, '--json'], { input: 'x-123456', env: { ML_CONNECTOR_MASTER_KEY: undefined } }),
    ]);
    expect(list.code).toBe(0);
    expect(json(list).map((s: Record<string, unknown>) => Object.keys(s).sort())).toEqual([['createdAt', 'name', 'updatedAt']]);
    expect(argv.code).toBe(1);
    expect(argv.stderr).toMatch(/too many arguments/);
    expect(noKey.code).toBe(1);
    expect(json(noKey).error).toMatchObject({ code: 'MASTER_KEY_MISSING', hint: expect.stringContaining('openssl rand -base64 32') });

    const store = await openStateStore(db, { masterKey: Buffer.from(KEY, 'base64') });
    expect(await store.secrets.get('ZOHO_CLIENT_SECRET')).toBe(SECRET); // the trailing newline was dropped
    expect(await store.secrets.has('OTHER')).toBe(false);
    await store.close();
  });

  it('secrets: rotate-key re-encrypts with a key from stdin; rm removes', async () => {
    const before = await openStateStore(db, { masterKey: Buffer.from(KEY, 'base64') });
    await before.secrets.set('TEMP', 'temporary-value');
    await before.close();
    const rotate = await cli(['secrets', 'rotate-key', '--state', db, '--json'], { input: NEW_KEY });
    expect(rotate.code).toBe(0);
    expect(json(rotate).rotated).toBe(2);
    const rm = await cli(['secrets', 'rm', 'TEMP', '--state', db], { env: { ML_CONNECTOR_MASTER_KEY: NEW_KEY } });
    expect(rm.code).toBe(0);
    const store = await openStateStore(db, { masterKey: Buffer.from(NEW_KEY, 'base64') });
    expect(await store.secrets.get('ZOHO_CLIENT_SECRET')).toBe(SECRET);
    expect((await store.secrets.list()).map((s) => s.name)).toEqual(['ZOHO_CLIENT_SECRET']);
    await store.close();
  });

  it('runs and audit: text and JSON, filters, bad dates', async () => {
    const [runs, runsText, audit, auditText, badDate] = await Promise.all([
      cli(['runs', '--state', db, '--json']),
      cli(['runs', '--state', db]),
      cli(['audit', '--run', runId, '--json', '--state', db]),
      cli(['audit', '--mapping', 'employees', '--since', '2000-01-01', '--state', db]),
      cli(['audit', '--since', 'last tuesday', '--json', '--state', db]),
    ]);
    expect(json(runs).map((r: { id: string }) => r.id)).toEqual([runId]);
    expect(runsText.stdout).toMatch(new RegExp(`${runId} apply +partial .*git 0123456789ab`));
    expect(json(runs)[0]).toMatchObject({ id: runId, status: 'partial', batches: 1, counts: { create: 1, failed: 1 } });
    expect(json(audit).map((a: { externalId: string; outcome: string }) => `${a.externalId}:${a.outcome}`)).toEqual(['E1:applied', 'E2:failed']);
    expect(auditText.stdout).toMatch(/employees\/E1 → z1 create \(hire\) applied fields: Last_Name/);
    expect(auditText.stdout).toMatch(/employees\/E2 update failed fields: Email INVALID_DATA: bad email/);
    expect(badDate.code).toBe(1);
    expect(json(badDate).error.code).toBe('STATE_INVALID_INPUT');
  });

  it('state show and unlock: a live lock is kept, a dead one is broken and reported', async () => {
    const { hostname } = await import('node:os');
    const live = await openStateStore(db);
    const lock = await live.acquireLock('apply', { holder: 'apply (live)', waitMs: 0 });
    const [show, refuse] = await Promise.all([cli(['state', 'show', '--state', db, '--json', '--check']), cli(['state', 'unlock', '--state', db, '--json'])]);
    expect(json(show)).toMatchObject({ schemaVersion: 2, rows: { links: 1, runs: 1, audit: 2, secrets: 1, locks: 1 }, integrity: ['ok'], locks: [{ holder: 'apply (live)' }] });
    expect(json(show).locks[0].staleReason).toBeUndefined();
    expect(refuse.code).toBe(1);
    expect(json(refuse).error.code).toBe('STATE_LOCK_ALIVE');
    await lock.release();
    await live.close();

    const ghost = await openStateStore(db, { identity: { pid: 2 ** 22 + 4321, host: hostname() } });
    await ghost.acquireLock('apply', { holder: 'apply (crashed)', waitMs: 0 });
    const showText = await cli(['state', 'show', '--state', db]);
    expect(showText.stdout).toMatch(/apply: held by "apply \(crashed\)" pid 4198625 .*\(stale: its process is gone\)/);
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
    const garbage = join(tmp.dir, 'garbage.json');
    writeFileSync(garbage, '{"format":"nope"}');
    expect(json(await cli(['state', 'import', garbage, '--state', copy, '--force', '--json'])).error.code).toBe('STATE_IMPORT_INVALID');
  });

  it('finds the state through --config, and says when there is none', async () => {
    const cfg = join(tmp.dir, 'configs');
    mkdirSync(cfg);
    writeFileSync(join(cfg, 'project.yaml'), 'apiVersion: ml-connector/v1\nkind: Project\nname: t\nstate:\n  path: ${env:TEST_STATE_PATH:-nowhere.db}\n');
    const [viaConfig, missing] = await Promise.all([
      cli(['runs', '--config', cfg, '--json'], { env: { TEST_STATE_PATH: db } }),
      cli(['runs', '--config', cfg, '--json']),
    ]);
    expect(json(viaConfig).map((r: { id: string }) => r.id)).toEqual([runId]);
    expect(missing.code).toBe(1);
    expect(json(missing).error).toMatchObject({ code: 'STATE_NOT_FOUND', meta: { path: join(tmp.dir, 'nowhere.db') } });
    expect(existsSync(join(tmp.dir, 'nowhere.db'))).toBe(false);
  });

  it('has --help on its commands', async () => {
    const helps = await Promise.all(
      [['secrets', 'set'], ['state', 'unlock']].map((c) => cli([...c, '--help'])),
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
