import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { openStateStore, type StateStore } from '../src/state/index.js';
import { FIXTURE_KEY, FIXTURES, makeTempDir, requireBuild, runCli } from './fixtures/state/helpers.js';
import { SCHEMA_VERSION } from '../src/state/migrations.js';

async function rawExec(path: string, sql: string): Promise<void> {
  const db = new sqlite3.Database(path);
  await new Promise<void>((resolve, reject) => db.exec(sql, (err) => (err ? reject(err) : resolve())));
  await new Promise<void>((resolve) => db.close(() => resolve()));
}

async function rawAll(path: string, sql: string): Promise<unknown[]> {
  const db = new sqlite3.Database(path, sqlite3.OPEN_READONLY);
  const rows = await new Promise<unknown[]>((resolve, reject) => db.all(sql, (err: Error | null, r: unknown[]) => (err ? reject(err) : resolve(r))));
  await new Promise<void>((resolve) => db.close(() => resolve()));
  return rows;
}

async function userVersion(path: string): Promise<number> {
  const db = new sqlite3.Database(path, sqlite3.OPEN_READONLY);
  const row = await new Promise<{ user_version: number }>((resolve, reject) => db.get('PRAGMA user_version', (err: Error | null, r: { user_version: number }) => (err ? reject(err) : resolve(r))));
  await new Promise<void>((resolve) => db.close(() => resolve()));
  return row.user_version;
}

/** Open, do one read, close: corruption may only show when a damaged page is read. */
async function openAndRead(path: string): Promise<unknown> {
  const store = await openStateStore(path);
  try {
    await store.getLinks('employees');
    await store.queryAudit({});
  } finally {
    await store.close().catch(() => undefined);
  }
  return undefined;
}

describe('state faults', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let store: StateStore | undefined;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(async () => {
    await store?.close().catch(() => undefined);
    store = undefined;
    tmp.cleanup();
  });

  it('migrates a version-1 database and keeps its links, runs, audit and secrets', async () => {
    const path = join(tmp.dir, 'state.db');
    copyFileSync(join(FIXTURES, 'v1.db'), path);
    expect(await userVersion(path)).toBe(1);

    store = await openStateStore(path, { masterKey: FIXTURE_KEY });
    expect(store.opened).toMatchObject({ migratedFrom: 1, schemaVersion: SCHEMA_VERSION });
    const links = await store.getLinks('employees');
    expect([...links.keys()]).toEqual(['E001', 'E002', 'E003']);
    expect(links.get('E001')).toMatchObject({ zohoId: '572576700000001', fieldHash: 'hash1', appliedValues: {}, zohoModifiedTime: '2025-06-01T08:00:00.000Z' });
    expect((await store.getLinks('vendors')).get('SHARE:V1')?.zohoModifiedTime).toBeUndefined();
    expect(await store.getWatermark('employees')).toMatchObject({ cursor: '2025-06-01T07:59:00Z', configDigest: 'digest-a' });
    expect(await store.getRun('20250601-080000-aaaaaa')).toMatchObject({ status: 'succeeded', gitCommit: 'abc1234', counts: { create: 3 }, mappings: [], batches: 0 });
    // Left running by a machine that is gone, with no heartbeat since: interrupted on open.
    expect(store.opened.interruptedRuns).toEqual(['20250602-080000-bbbbbb']);
    const audit = await store.queryAudit({ runId: '20250601-080000-aaaaaa' });
    expect(audit).toHaveLength(3);
    expect(audit[0]).toMatchObject({ action: 'create', fields: ['First_Name', 'Last_Name'], allowLargeChange: false });
    expect(audit[0]?.event).toBeUndefined();
    expect(await store.secrets.get('ZOHO_CLIENT_SECRET')).toBe('fixture-client-secret-1');

    // The new columns work on the migrated file.
    await store.upsertLinks('employees', [{ externalId: 'E004', module: 'Contacts', zohoId: 'z4', fieldHash: 'h4', appliedValues: { Email: 'a@example.com' } }]);
    await store.putSnapshots('employees', [{ externalId: 'E004', zohoId: 'z4', values: { Email: 'a@example.com' }, modifiedTime: 't' }]);
    // Version 3 rebuilt the runs table (kind adopt): the old runs keep their audit rows, and pairings work.
    expect(await store.queryAudit({ runId: '20250601-080000-aaaaaa' })).toHaveLength(3);
    const runId = await store.startRun({ kind: 'adopt', trigger: 'cli', configDigest: 'd', mappings: ['employees'] });
    await store.putPairing({ mapping: 'employees', externalId: 'E005', module: 'Contacts', zohoId: 'z5', runId }, { runId, mapping: 'employees', externalId: 'E005', zohoId: 'z5', action: 'pair', fields: [], outcome: 'applied' });
    await store.finishRun(runId, { status: 'succeeded', counts: { pair: 1 }, apiCalls: 1, credits: 1 });
    expect(await store.checkIntegrity()).toEqual(['ok']);
    await store.close();
    store = await openStateStore(path);
    expect(store.opened.migratedFrom).toBe(SCHEMA_VERSION);
    expect((await store.getPairings('employees', ['E005'])).get('E005')).toMatchObject({ zohoId: 'z5', runId });
    expect(await rawAll(path, 'PRAGMA foreign_key_check')).toEqual([]);
    expect((await store.getLinks('employees')).get('E004')?.appliedValues).toEqual({ Email: 'a@example.com' });
  });

  it('refuses a database written by a newer version, and leaves it untouched', async () => {
    const path = join(tmp.dir, 'state.db');
    await (await openStateStore(path)).close();
    await rawExec(path, 'PRAGMA user_version = 99');
    const err = await openStateStore(path).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STATE_TOO_NEW', meta: { schemaVersion: 99, supported: SCHEMA_VERSION } });
    expect((err as { hint: string }).hint).toMatch(/Upgrade ml-connector/);
    expect(await userVersion(path)).toBe(99);
  });

  it('says a garbage file is corrupt, names it, and says how to recover', async () => {
    const path = join(tmp.dir, 'state.db');
    writeFileSync(path, Buffer.from('this is not an sqlite database, it is a text file that got copied over it '.repeat(100)));
    const err = await openAndRead(path).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STATE_CORRUPT', meta: { path } });
    expect((err as Error).message).toContain(path);
    expect((err as { hint: string }).hint).toMatch(/move it aside.*Secrets stored in it would be lost/s);
  });

  it('says a truncated database is corrupt', async () => {
    const path = join(tmp.dir, 'state.db');
    store = await openStateStore(path);
    const links = Array.from({ length: 3000 }, (_, i) => ({ externalId: `E${i}`, module: 'Contacts', zohoId: `z${i}`, fieldHash: 'h'.repeat(64), appliedValues: { Note: 'x'.repeat(100) } }));
    await store.upsertLinks('employees', links);
    await store.close();
    store = undefined;
    truncateSync(path, Math.floor(statSync(path).size / 2));
    const err = await openAndRead(path).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STATE_CORRUPT' });
  });

  it('maps a full disk to STATE_DISK_FULL, rolls the batch back and keeps what was committed', async () => {
    const path = join(tmp.dir, 'state.db');
    store = await openStateStore(path, { maxPages: 60 });
    const runId = await store.startRun({ kind: 'apply', trigger: 'test', configDigest: 'd', mappings: ['employees'] });
    const mk = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ externalId: `E${from + i}`, module: 'Contacts', zohoId: `z${from + i}`, fieldHash: 'h', appliedValues: { Note: 'x'.repeat(200) } }));
    await store.commitBatch({ runId, mapping: 'employees', links: mk(0, 20), audit: [] });
    const err = await store.commitBatch({ runId, mapping: 'employees', links: mk(20, 2000), audit: [] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STATE_DISK_FULL', meta: { path } });
    expect((err as { hint: string }).hint).toMatch(/Free disk space/);
    expect((await store.getLinks('employees')).size).toBe(20);
    expect((await store.getRun(runId))?.batches).toBe(1);
    // Still usable afterwards: a batch that fits goes through.
    await store.commitBatch({ runId, mapping: 'employees', links: mk(20, 5), audit: [] });
    expect((await store.getLinks('employees')).size).toBe(25);
  });

  it('reports a read-only directory as STATE_READONLY', async () => {
    requireBuild();
    const dir = join(tmp.dir, 'locked');
    mkdirSync(dir);
    const existing = join(tmp.dir, 'ro-existing');
    mkdirSync(existing);
    await (await openStateStore(join(existing, 'state.db'))).close();
    chmodSync(join(existing, 'state.db'), 0o644); // readable by all: only the directory is read-only
    chmodSync(dir, 0o555);
    chmodSync(existing, 0o555);
    chmodSync(tmp.dir, 0o755);
    // root ignores permissions, so as root the CLI runs as `nobody`, which cannot write here.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const fresh = await runCli(['secrets', 'set', 'X', '--state', join(dir, 'state.db'), '--json'], { input: 'value-123', env: { ML_CONNECTOR_MASTER_KEY: FIXTURE_KEY.toString('base64') }, cwd: tmp.dir, ...asUser });
    expect(fresh.code, fresh.stderr).toBe(1);
    expect(JSON.parse(fresh.stdout).error).toMatchObject({ code: 'STATE_READONLY', meta: { path: join(dir, 'state.db') } });
    const old = await runCli(['runs', '--state', join(existing, 'state.db'), '--json'], { cwd: tmp.dir, ...asUser });
    expect(old.code, old.stderr).toBe(1);
    expect(JSON.parse(old.stdout).error.code).toBe('STATE_READONLY');
    chmodSync(dir, 0o755);
    chmodSync(existing, 0o755);
    expect(readFileSync(join(existing, 'state.db')).subarray(0, 15).toString()).toBe('SQLite format 3');
  });
});
