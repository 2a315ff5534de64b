import { SCHEMA_VERSION } from '../src/state/migrations.js';
import { PG_SCHEMA_VERSION } from '../src/state/postgres/migrations.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openStateStore, type LinkInput, type StateStore } from '../src/state/index.js';
import { ManualClock } from '../src/support/clock.js';
import { STATE_BACKENDS, stopTestPostgres, useBackend, type TestBackend } from './fixtures/state/backends.js';
import { schemaOf } from './fixtures/state/postgres.js';

const link = (id: string, extra: Partial<LinkInput> = {}): LinkInput => ({
  externalId: id,
  module: 'Contacts',
  zohoId: `z-${id}`,
  fieldHash: `h-${id}`,
  appliedValues: { Last_Name: `Name ${id}`, Email: `${id.toLowerCase()}@example.com` },
  ...extra,
});

afterAll(() => stopTestPostgres());

// One matrix: every test runs against a SQLite file and a PostgreSQL schema.
describe.each(STATE_BACKENDS)('state store on $name', ({ name }) => {
  let backend: TestBackend;
  let path: string;
  let clock: ManualClock;
  let store: StateStore;

  beforeAll(async () => {
    backend = await useBackend(name);
  });
  afterAll(() => backend.cleanup());

  beforeEach(async () => {
    path = backend.location();
    clock = new ManualClock(Date.parse('2026-11-01T08:00:00Z'));
    store = await openStateStore(path, { clock, masterKey: Buffer.alloc(32, 3) });
  });
  afterEach(async () => {
    await store.close().catch(() => undefined);
  });

  it('creates the database (a file owner-only) and reports a fresh schema', async () => {
    expect(store.opened).toMatchObject({ created: true, migratedFrom: 0, schemaVersion: name === 'sqlite' ? SCHEMA_VERSION : PG_SCHEMA_VERSION, interruptedRuns: [] });
    expect(store.backend).toBe(name);
    if (name === 'sqlite') {
      const { statSync } = await import('node:fs');
      expect(statSync(path).mode & 0o077).toBe(0);
    } else {
      expect(store.path).not.toContain('postgres:postgres@'); // no password in messages
      expect(store.path).toContain(`(schema ${schemaOf(path)})`);
    }
    await store.close();
    store = await openStateStore(path, { clock });
    expect(store.opened).toMatchObject({ created: false, migratedFrom: store.opened.schemaVersion });
  });

  it('opens read-only for reading; writes are refused; a missing file is not created', async () => {
    await store.upsertLinks('employees', [link('E1')]);
    const reader = await openStateStore(path, { readonly: true });
    try {
      expect((await reader.getLinks('employees')).size).toBe(1);
      await expect(reader.upsertLinks('employees', [link('E2')])).rejects.toMatchObject({ code: 'STATE_READONLY' });
    } finally {
      await reader.close();
    }
    const missing = backend.location('missing');
    await expect(openStateStore(missing, { readonly: true })).rejects.toMatchObject({ code: 'STATE_NOT_FOUND', meta: { path: name === 'sqlite' ? missing : expect.stringContaining(schemaOf(missing)) } });
    await expect(openStateStore(missing, { create: false })).rejects.toMatchObject({ code: 'STATE_NOT_FOUND' });
    if (name === 'sqlite') {
      const { existsSync } = await import('node:fs');
      const { dirname } = await import('node:path');
      expect(existsSync(dirname(missing))).toBe(false);
    } else {
      expect(await backend.postgres!.query('public', 'SELECT 1 FROM pg_namespace WHERE nspname = $1', [schemaOf(missing)])).toEqual([]);
    }
  });

  it('upserts, reads back and deletes links per mapping', async () => {
    await store.upsertLinks('employees', [link('E1'), link('E2', { zohoModifiedTime: '2026-11-01T07:00:00+00:00' })]);
    await store.upsertLinks('vendors', [link('V1', { module: 'Accounts' })]);
    clock.advance(60_000);
    await store.upsertLinks('employees', [link('E1', { zohoId: 'z-new', fieldHash: 'h2', appliedValues: { Last_Name: 'Changed' } })]);

    const links = await store.getLinks('employees');
    expect([...links.keys()]).toEqual(['E1', 'E2']);
    expect(links.get('E1')).toEqual({ externalId: 'E1', module: 'Contacts', zohoId: 'z-new', fieldHash: 'h2', appliedValues: { Last_Name: 'Changed' }, updatedAt: '2026-11-01T08:01:00.000Z' });
    expect(links.get('E2')?.zohoModifiedTime).toBe('2026-11-01T07:00:00+00:00');
    expect(await store.findLinkByZohoId('Accounts', 'z-V1')).toEqual({ mapping: 'vendors', externalId: 'V1' });

    await store.deleteLinks('employees', ['E1']);
    expect([...(await store.getLinks('employees')).keys()]).toEqual(['E2']);
    expect((await store.getLinks('vendors')).size).toBe(1);
  });

  it('refuses a link without an external id, writing nothing of the batch', async () => {
    await expect(store.upsertLinks('employees', [link('E1'), link('')])).rejects.toMatchObject({ code: 'STATE_INVALID_INPUT' });
    expect((await store.getLinks('employees')).size).toBe(0);
  });

  it('keeps snapshots, source hashes and watermarks, and clears a mapping', async () => {
    await store.putSnapshots('employees', [
      { externalId: 'E1', zohoId: 'z1', values: { Phone: '+1 214 555 0100' }, modifiedTime: '2026-10-01T00:00:00Z' },
      { externalId: 'E2', zohoId: 'z2', values: { Phone: null }, modifiedTime: '2026-10-02T00:00:00Z' },
    ]);
    expect((await store.getSnapshots('employees')).get('E1')).toMatchObject({ values: { Phone: '+1 214 555 0100' }, observedAt: '2026-11-01T08:00:00.000Z' });
    await store.replaceSnapshots('employees', [{ externalId: 'E2', zohoId: 'z2', values: { Phone: '1' }, modifiedTime: '2026-10-03T00:00:00Z' }]);
    expect([...(await store.getSnapshots('employees')).keys()]).toEqual(['E2']);

    await store.putSourceHashes('employees', [{ key: 'E1', hash: 'a' }, { key: 'E2', hash: 'b' }]);
    await store.putSourceHashes('employees', [{ key: 'E2', hash: 'c' }]);
    expect(Object.fromEntries(await store.getSourceHashes('employees'))).toEqual({ E1: 'a', E2: 'c' });
    await store.replaceSourceHashes('employees', [{ key: 'E3', hash: 'd' }]);
    expect(Object.fromEntries(await store.getSourceHashes('employees'))).toEqual({ E3: 'd' });

    expect(await store.getWatermark('employees')).toBeUndefined();
    await store.setWatermark('employees', { cursor: '2026-11-01T07:59:00Z', configDigest: 'sha256:abc', sourceRowCount: 150, lastFullAt: '2026-11-01T00:00:00Z' });
    expect(await store.getWatermark('employees')).toEqual({
      cursor: '2026-11-01T07:59:00Z', configDigest: 'sha256:abc', sourceRowCount: 150, lastFullAt: '2026-11-01T00:00:00Z', updatedAt: '2026-11-01T08:00:00.000Z',
    });

    await store.upsertLinks('employees', [link('E1')]);
    await store.clearMapping('employees');
    expect((await store.getLinks('employees')).size).toBe(0);
    expect((await store.getSnapshots('employees')).size).toBe(0);
    expect((await store.getSourceHashes('employees')).size).toBe(0);
    expect(await store.getWatermark('employees')).toBeUndefined();
  });

  it('records a run, its batches and audit rows, and finds them by run, mapping and date', async () => {
    const runId = await store.startRun({ kind: 'apply', trigger: 'schedule:daily', gitCommit: 'abc123', gitDirty: false, configDigest: 'd1', mappings: ['employees'] });
    expect(runId).toMatch(/^20261101-080000-[0-9a-f]{6}$/);
    clock.advance(1000);
    await store.commitBatch({
      runId,
      mapping: 'employees',
      links: [link('E1'), link('E2')],
      audit: [
        { runId, mapping: 'employees', externalId: 'E1', zohoId: 'z-E1', action: 'create', event: 'hire', fields: ['Last_Name', 'Email'], outcome: 'applied' },
        { runId, mapping: 'employees', externalId: 'E2', action: 'update', fields: ['Email'], outcome: 'failed', errorCode: 'INVALID_DATA', errorMessage: 'invalid email', allowLargeChange: true },
      ],
    });
    clock.advance(1000);
    await store.finishRun(runId, { status: 'partial', counts: { create: 1, failed: 1 }, apiCalls: 3, credits: 3, error: '1 record failed' });

    const run = await store.getRun(runId);
    expect(run).toMatchObject({ kind: 'apply', status: 'partial', gitCommit: 'abc123', gitDirty: false, batches: 1, counts: { create: 1, failed: 1 }, apiCalls: 3, finishedAt: '2026-11-01T08:00:02.000Z' });
    expect((await store.listRuns()).map((r) => r.id)).toEqual([runId]);

    const audit = await store.queryAudit({ runId });
    expect(audit).toHaveLength(2);
    expect(audit[1]).toMatchObject({ externalId: 'E2', outcome: 'failed', errorCode: 'INVALID_DATA', fields: ['Email'], allowLargeChange: true });
    expect(await store.queryAudit({ mapping: 'vendors' })).toEqual([]);
    expect(await store.queryAudit({ since: '2026-11-02' })).toEqual([]);
    expect(await store.queryAudit({ since: '1h' })).toHaveLength(2);
    expect((await store.queryAudit({ limit: 1 })).map((a) => a.externalId)).toEqual(['E2']);
    await expect(store.queryAudit({ since: 'yesterday-ish' })).rejects.toMatchObject({ code: 'STATE_INVALID_INPUT' });
  });

  it('remembers per mapping the last finished apply, its records by action, and the last success', async () => {
    const ok = await store.startRun({ kind: 'apply', trigger: 'schedule:daily', configDigest: 'd', mappings: ['employees', 'vendors'] });
    await store.commitBatch({ runId: ok, mapping: 'employees', links: [link('E1')], audit: [{ runId: ok, mapping: 'employees', externalId: 'E1', action: 'create', fields: [], outcome: 'applied' }] });
    clock.advance(1000);
    await store.finishRun(ok, { status: 'succeeded', counts: { create: 1 }, apiCalls: 1, credits: 1 });
    clock.advance(60_000);
    const bad = await store.startRun({ kind: 'apply', trigger: 'cli', configDigest: 'd', mappings: ['employees'] });
    await store.finishRun(bad, { status: 'failed', counts: {}, apiCalls: 1, credits: 1, error: 'PeopleSoft unreachable' });
    await store.startRun({ kind: 'plan', trigger: 'cli', configDigest: 'd', mappings: ['vendors'] });
    expect(await store.mappingHistory()).toEqual([
      { mapping: 'employees', last: { runId: bad, status: 'failed', finishedAt: '2026-11-01T08:01:01.000Z', trigger: 'cli', counts: {} }, lastSuccessAt: '2026-11-01T08:00:01.000Z' },
      { mapping: 'vendors', last: { runId: ok, status: 'succeeded', finishedAt: '2026-11-01T08:00:01.000Z', trigger: 'schedule:daily', counts: {} }, lastSuccessAt: '2026-11-01T08:00:01.000Z' },
    ]);
    // The run row counts both mappings together; each mapping's counts come from its own audit rows.
    clock.advance(1000);
    const again = await store.startRun({ kind: 'apply', trigger: 'cli', configDigest: 'd', mappings: ['employees'] });
    await store.commitBatch({ runId: again, mapping: 'employees', links: [link('E2')], audit: [{ runId: again, mapping: 'employees', externalId: 'E2', action: 'update', fields: [], outcome: 'applied' }] });
    await store.finishRun(again, { status: 'succeeded', counts: { update: 1 }, apiCalls: 1, credits: 1 });
    expect((await store.mappingHistory())[0]!.last).toMatchObject({ runId: again, counts: { update: 1 } });
  });

  it('commits a batch all or nothing', async () => {
    const runId = await store.startRun({ kind: 'apply', trigger: 'cli', configDigest: 'd', mappings: ['employees'] });
    const bad = { runId, mapping: 'employees', externalId: 'E2', action: 'create', fields: [], outcome: 'exploded' as 'applied' };
    await expect(
      store.commitBatch({ runId, mapping: 'employees', links: [link('E1'), link('E2')], audit: [{ ...bad, externalId: 'E1', outcome: 'applied' }, bad] }),
    ).rejects.toMatchObject({ code: 'STATE_INVALID_INPUT' });
    expect((await store.getLinks('employees')).size).toBe(0);
    expect(await store.queryAudit({ runId })).toEqual([]);
    expect((await store.getRun(runId))?.batches).toBe(0);
    await expect(store.commitBatch({ runId: 'no-such-run', mapping: 'employees', links: [link('E1')], audit: [] })).rejects.toMatchObject({ code: 'STATE_RUN_NOT_FOUND' });
    expect((await store.getLinks('employees')).size).toBe(0);
  });

  it('keeps concurrent batches from interleaving inside each other\'s transactions', async () => {
    const runId = await store.startRun({ kind: 'apply', trigger: 'cli', configDigest: 'd', mappings: ['employees'] });
    const batch = (n: number) => ({
      runId,
      mapping: 'employees',
      links: [link(`E${n}`)],
      audit: [{ runId, mapping: 'employees', externalId: `E${n}`, action: 'create', fields: [], outcome: n === 3 ? ('bad' as 'applied') : ('applied' as const) }],
    });
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => store.commitBatch(batch(n))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect([...(await store.getLinks('employees')).keys()]).toEqual(['E1', 'E2', 'E4', 'E5']);
    expect((await store.getRun(runId))?.batches).toBe(4);
  });

  it('marks runs of a dead process interrupted on the next open, and leaves live ones alone', async () => {
    await store.close();
    const ghost = await openStateStore(path, { clock, identity: { pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname() } });
    const deadRun = await ghost.startRun({ kind: 'apply', trigger: 'cli', configDigest: 'd', mappings: [] });
    await ghost.close();
    const other = await openStateStore(path, { clock, identity: { pid: 1, host: 'another-host' } });
    const liveRun = await other.startRun({ kind: 'serve', trigger: 'serve', configDigest: 'd', mappings: [] });
    await other.close();

    store = await openStateStore(path, { clock, staleMs: 60_000 });
    expect(store.opened.interruptedRuns).toEqual([deadRun]);
    expect(await store.getRun(deadRun)).toMatchObject({ status: 'interrupted', error: expect.stringContaining('ended without finishing') });
    expect((await store.getRun(liveRun))?.status).toBe('running');
    await store.close();

    // No heartbeat from the other host for longer than staleMs (wall time): interrupted too.
    await new Promise((r) => setTimeout(r, 30));
    store = await openStateStore(path, { clock, staleMs: 20 });
    expect(store.opened.interruptedRuns).toEqual([liveRun]);
  });

  it('prunes old history but keeps running runs, links and recent history', async () => {
    const old = await store.startRun({ kind: 'apply', trigger: 'cli', configDigest: 'd', mappings: ['employees'] });
    await store.commitBatch({ runId: old, mapping: 'employees', links: [link('E1')], audit: [{ runId: old, mapping: 'employees', externalId: 'E1', action: 'create', fields: [], outcome: 'applied' }] });
    await store.finishRun(old, { status: 'succeeded', counts: {}, apiCalls: 1, credits: 1 });
    const stuck = await store.startRun({ kind: 'serve', trigger: 'serve', configDigest: 'd', mappings: [] });
    await store.recordWebhookEvent({ source: 'zoho', recordIds: ['z1'] });
    clock.advance(100 * 86_400_000);
    const recent = await store.startRun({ kind: 'plan', trigger: 'cli', configDigest: 'd', mappings: [] });
    await store.finishRun(recent, { status: 'succeeded', counts: {}, apiCalls: 0, credits: 0 });

    expect(await store.pruneHistory('90d')).toEqual({ runs: 1, audit: 1, webhookEvents: 1, before: '2026-11-11T08:00:00.000Z' });
    expect((await store.listRuns()).map((r) => r.id).sort()).toEqual([stuck, recent].sort());
    expect((await store.getLinks('employees')).size).toBe(1);
    await expect(store.pruneHistory('soon')).rejects.toMatchObject({ code: 'STATE_INVALID_INPUT' });
  });

  it('stores webhook events without their tokens and tracks their processing', async () => {
    const id = await store.recordWebhookEvent({ source: 'zoho', channelId: '1000', module: 'Contacts', operation: 'update', recordIds: ['z1', 'z2'] });
    await store.recordWebhookEvent({ source: 'zoho', module: 'Leads', operation: 'insert', recordIds: ['z9'], status: 'ignored', detail: 'module not managed' });
    const runId = await store.startRun({ kind: 'serve', trigger: 'webhook', configDigest: 'd', mappings: ['employees'] });
    await store.markWebhookEvents([id], 'processed', runId);
    expect(await store.listWebhookEvents({ status: 'processed' })).toEqual([
      { id, receivedAt: '2026-11-01T08:00:00.000Z', source: 'zoho', channelId: '1000', module: 'Contacts', operation: 'update', recordIds: ['z1', 'z2'], status: 'processed', runId },
    ]);
    expect(await store.listWebhookEvents()).toHaveLength(2);
  });

  it('exports everything but secrets and imports it into an empty database', async () => {
    await store.secrets.set('ZOHO_CLIENT_SECRET', 'never-exported-value');
    const runId = await store.startRun({ kind: 'apply', trigger: 'cli', configDigest: 'd', mappings: ['employees'] });
    await store.commitBatch({
      runId,
      mapping: 'employees',
      links: [link('E1'), link('E2')],
      snapshots: [{ externalId: 'E1', zohoId: 'z-E1', values: { A: 1 }, modifiedTime: 't' }],
      audit: [{ runId, mapping: 'employees', externalId: 'E1', action: 'create', fields: ['A'], outcome: 'applied' }],
    });
    await store.finishRun(runId, { status: 'succeeded', counts: { create: 2 }, apiCalls: 1, credits: 1 });
    await store.setWatermark('employees', { cursor: 'c1', configDigest: 'd' });
    await store.putSourceHashes('employees', [{ key: 'E1', hash: 'x' }]);
    await store.recordWebhookEvent({ source: 'zoho', recordIds: ['z-E1'] });
    const exported = await store.export();
    expect(JSON.stringify(exported)).not.toContain('never-exported-value');

    const target = await openStateStore(backend.location('copy'), { clock });
    try {
      await target.import(JSON.parse(JSON.stringify(exported)));
      expect(await target.export()).toEqual({ ...exported, secretsOmitted: 0 });
      await expect(target.import({ format: 'something-else' })).rejects.toMatchObject({ code: 'STATE_IMPORT_INVALID' });
      await expect(target.import({ ...exported, formatVersion: 99 })).rejects.toMatchObject({ code: 'STATE_TOO_NEW' });
      const lock = await store.acquireLock('apply', { holder: 'someone', waitMs: 0 });
      // The lock lives in the source file; import into the source is refused while it is held.
      await expect(store.import(exported)).rejects.toMatchObject({ code: 'STATE_LOCKED' });
      await lock.release();
    } finally {
      await target.close();
    }
  });

  it('locks: a second holder waits then fails naming the first; release lets it in', async () => {
    const first = await store.acquireLock('apply', { holder: 'apply (job 1)', waitMs: 0 });
    const started = Date.now();
    const err = await store.acquireLock('apply', { holder: 'apply (job 2)', waitMs: 300, pollMs: 50 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(err).toMatchObject({ code: 'STATE_LOCKED', meta: { holder: 'apply (job 1)', pid: process.pid } });
    expect((err as Error).message).toContain('apply (job 1)');

    const waiting = store.acquireLock('apply', { holder: 'apply (job 3)', waitMs: 2000, pollMs: 20 });
    setTimeout(() => void first.release(), 100);
    const third = await waiting;
    expect(third.info.holder).toBe('apply (job 3)');
    await expect(first.check()).rejects.toMatchObject({ code: 'STATE_LOCK_LOST' });
    await third.check();

    expect(await store.breakLock('apply')).toMatchObject({ holder: 'apply (job 3)' });
    await expect(third.check()).rejects.toMatchObject({ code: 'STATE_LOCK_LOST' });
    expect(await store.inspectLock('apply')).toBeUndefined();
  });

  it('locks: takes over the lock of a dead process and reports it', async () => {
    const { hostname } = await import('node:os');
    const ghost = await openStateStore(path, { clock, identity: { pid: 2 ** 22 + 999, host: hostname() } });
    // A holder whose pid is not running on this host: what a kill -9 leaves behind.
    await ghost.acquireLock('apply', { holder: 'crashed apply', waitMs: 0 });
    expect(await store.inspectLock('apply')).toMatchObject({ holder: 'crashed apply', staleReason: 'process-gone' });
    const lock = await store.acquireLock('apply', { holder: 'next apply', waitMs: 0 });
    expect(lock.tookOver).toMatchObject({ holder: 'crashed apply', staleReason: 'process-gone' });
    await ghost.close(); // its release must not remove the new holder's lock
    expect(await store.inspectLock('apply')).toMatchObject({ holder: 'next apply' });
    await lock.release();
  });
});
