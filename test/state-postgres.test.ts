import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openProjectState } from '../src/engine/state.js';
import { openStateStore, PG_SCHEMA_VERSION } from '../src/state/index.js';
import { stopTestPostgres, testPostgres } from './fixtures/state/backends.js';
import { FIXTURES, makeTempDir, ROOT } from './fixtures/state/helpers.js';
import { schemaOf, type TestPostgres } from './fixtures/state/postgres.js';

/** What only the PostgreSQL backend has: a server to miss, schemas, sessions, a URL with a password. */
let pg: TestPostgres;
beforeAll(async () => {
  pg = await testPostgres();
});
afterAll(() => stopTestPostgres());

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function holdLock(url: string, host: string): { kill: () => void; locked: Promise<void>; release: () => void } {
  const child = spawn(process.execPath, [join(FIXTURES, 'lock-holder.mjs'), url, 'apply on another machine', '0', host], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const locked = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => (line.includes('"locked"') ? resolve() : reject(new Error(line))));
  });
  return { locked, kill: () => child.kill('SIGKILL'), release: () => child.stdin.end() };
}

describe('PostgreSQL state', () => {
  it('a server that is not there: STATE_UNAVAILABLE after a few retries, the password never shown', async () => {
    const url = `postgres://ml:Very-Secret-Pw-123@127.0.0.1:${await freePort()}/crm?schema=nobody`;
    const started = Date.now();
    const err = await openStateStore(url).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STATE_UNAVAILABLE', meta: { path: 'postgres://ml@127.0.0.1:' + new URL(url).port + '/crm (schema nobody)' } });
    expect(Date.now() - started).toBeGreaterThan(300); // it retried with backoff
    expect(JSON.stringify(err) + String((err as Error).message) + String((err as { hint?: string }).hint)).not.toContain('Very-Secret-Pw-123');
  });

  it('refuses a schema written by a newer ml-connector, and leaves it alone', async () => {
    const url = pg.schemaUrl('too_new');
    await (await openStateStore(url)).close();
    await pg.query(schemaOf(url), 'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [PG_SCHEMA_VERSION + 5, 'from the future', 'now']);
    await expect(openStateStore(url)).rejects.toMatchObject({ code: 'STATE_TOO_NEW', meta: { schemaVersion: PG_SCHEMA_VERSION + 5 } });
    expect((await pg.query<{ n: number }>(schemaOf(url), 'SELECT count(*)::int AS n FROM schema_migrations'))[0]!.n).toBe(2);
  });

  it('several projects share one database, each in its own schema', async () => {
    const prod = pg.schemaUrl('prod');
    const staging = pg.schemaUrl('staging');
    const link = (id: string) => ({ externalId: id, module: 'Contacts', zohoId: `z${id}`, fieldHash: 'h', appliedValues: {} });
    // One after the other: PGlite serves all connections from one session (see fixtures/state/postgres.ts).
    let store = await openStateStore(prod);
    await store.upsertLinks('employees', [link('E1'), link('E2')]);
    await store.close();
    store = await openStateStore(staging);
    await store.upsertLinks('employees', [link('S1')]);
    expect([...(await store.getLinks('employees')).keys()]).toEqual(['S1']);
    await store.close();
    store = await openStateStore(prod);
    expect([...(await store.getLinks('employees')).keys()]).toEqual(['E1', 'E2']);
    await store.close();
  });

  it('the Project names the PostgreSQL state; a ${secret:} URL is read from the local SQLite file', async () => {
    const tmp = makeTempDir();
    try {
      const local = join(tmp.dir, 'local.db');
      const url = pg.schemaUrl('project');
      const key = Buffer.alloc(32, 4);
      const seed = await openStateStore(local, { masterKey: key });
      await seed.secrets.set('STATE_URL', url);
      await seed.close();
      const env = { ML_CONNECTOR_MASTER_KEY: key.toString('base64') };
      const project = { backend: 'postgres' as const, path: local, postgres: { url: '${secret:STATE_URL}', schema: 'ignored_when_the_url_names_one' } };
      const store = await openProjectState(project, { create: true, env });
      expect(store.backend).toBe('postgres');
      expect(store.path).toContain(`(schema ${schemaOf(url)})`);
      await store.close();
      // A plan on a fresh project writes nothing: a schema that does not exist is stood in for in memory.
      const fresh = pg.schemaUrl('fresh');
      const memory = await openProjectState({ backend: 'postgres', postgres: { url: '${env:U}' } }, { create: false, memoryIfMissing: true, env: { U: fresh } });
      expect(memory.backend).toBe('sqlite');
      await memory.close();
      expect(await pg.query('public', 'SELECT 1 FROM pg_namespace WHERE nspname = $1', [schemaOf(fresh)])).toEqual([]);
      // …but a server that cannot be reached is an error, not an empty state.
      const nowhere = `postgres://x@127.0.0.1:${await freePort()}/db`;
      await expect(openProjectState({ backend: 'postgres', postgres: { url: '${env:U}' } }, { create: false, memoryIfMissing: true, env: { U: nowhere } })).rejects.toMatchObject({ code: 'STATE_UNAVAILABLE' });
    } finally {
      tmp.cleanup();
    }
  });

  it('a holder on another machine that is alive keeps its lock; killed, its lock goes with its session', async () => {
    const url = pg.schemaUrl('sessions');
    await (await openStateStore(url)).close();
    const store = await openStateStore(url, { staleMs: 300_000 });
    try {
      const holder = holdLock(url, 'other-machine');
      await holder.locked;
      // Alive (heartbeat fresh, session open): never taken over.
      await expect(store.acquireLock('apply', { holder: 'me', waitMs: 600, pollMs: 100 })).rejects.toMatchObject({ code: 'STATE_LOCKED', meta: { host: 'other-machine' } });
      holder.kill();
      if (pg.kind === 'server') {
        // The database ended the session: taken over at once, not after the 300 s heartbeat.
        const started = Date.now();
        const lock = await store.acquireLock('apply', { holder: 'me', waitMs: 10_000, pollMs: 100 });
        expect(lock.tookOver).toMatchObject({ host: 'other-machine', staleReason: 'session-ended' });
        expect(Date.now() - started).toBeLessThan(5_000);
        await lock.release();
      } else {
        // PGlite serves every connection from one session: the session proves nothing there, so
        // only the heartbeat can free the lock (no false take-over).
        await expect(store.acquireLock('apply', { holder: 'me', waitMs: 500, pollMs: 100 })).rejects.toMatchObject({ code: 'STATE_LOCKED' });
        const lock = await store.acquireLock('apply', { holder: 'me', waitMs: 0, staleMs: 1 });
        expect(lock.tookOver).toMatchObject({ host: 'other-machine', staleReason: 'heartbeat-old' });
        await lock.release();
      }
    } finally {
      await store.close();
    }
  });
});
