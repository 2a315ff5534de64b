import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { keyId, openStateStore, resolveSecretRef, type StateStore } from '../src/state/index.js';
import { createLogger } from '../src/support/log.js';
import { STATE_BACKENDS, stopTestPostgres, useBackend, type TestBackend } from './fixtures/state/backends.js';
import { makeTempDir } from './fixtures/state/helpers.js';

const KEY = Buffer.alloc(32, 0x11);
const OTHER_KEY = Buffer.alloc(32, 0x22);

afterAll(() => stopTestPostgres());

describe.each(STATE_BACKENDS)('secrets on $name', ({ name }) => {
  let backend: TestBackend;
  let tmp: ReturnType<typeof makeTempDir>;
  let path: string;
  let store: StateStore;
  const open = (opts: Parameters<typeof openStateStore>[1] = {}) => openStateStore(path, { env: {}, ...opts });
  const rawRun = (sql: string, params: unknown[] = []) => backend.run(path, sql, params);
  const rawGet = async <T>(sql: string): Promise<T> => (await backend.get<T>(path, sql))!;

  beforeAll(async () => {
    backend = await useBackend(name);
  });
  afterAll(() => backend.cleanup());

  beforeEach(async () => {
    tmp = makeTempDir();
    path = backend.location();
    store = await open({ masterKey: KEY });
  });
  afterEach(async () => {
    await store.close().catch(() => undefined);
    tmp.cleanup();
  });

  it('stores, lists (names and dates only), reads and removes secrets', async () => {
    await store.secrets.set('ZOHO_CLIENT_SECRET', 'zoho-client-secret-value');
    await store.secrets.set('PS_PASSWORD', 'peoplesoft-password-value');
    await store.secrets.set('PS_PASSWORD', 'peoplesoft-password-value-2');
    expect(await store.secrets.get('PS_PASSWORD')).toBe('peoplesoft-password-value-2');
    expect(await resolveSecretRef(store, 'ZOHO_CLIENT_SECRET')).toBe('zoho-client-secret-value');
    const list = await store.secrets.list();
    expect(list.map((s) => Object.keys(s).sort())).toEqual([['createdAt', 'name', 'updatedAt'], ['createdAt', 'name', 'updatedAt']]);
    expect(list.map((s) => s.name)).toEqual(['PS_PASSWORD', 'ZOHO_CLIENT_SECRET']);
    expect(await store.secrets.remove('PS_PASSWORD')).toBe(true);
    expect(await store.secrets.remove('PS_PASSWORD')).toBe(false);
    expect(await store.secrets.has('PS_PASSWORD')).toBe(false);
    await expect(store.secrets.get('PS_PASSWORD')).rejects.toMatchObject({ code: 'SECRET_NOT_FOUND', hint: expect.stringContaining('ml-connector secrets set PS_PASSWORD') });
    await expect(store.secrets.set('bad name!', 'x')).rejects.toMatchObject({ code: 'SECRET_NAME_INVALID' });
    await expect(store.secrets.set('EMPTY', '')).rejects.toMatchObject({ code: 'SECRET_EMPTY' });
  });

  it('fails clearly with the wrong master key, never returning garbage', async () => {
    await store.secrets.set('ZOHO_CLIENT_SECRET', 'zoho-client-secret-value');
    await store.close();
    store = await open({ masterKey: OTHER_KEY });
    const err = await store.secrets.get('ZOHO_CLIENT_SECRET').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MASTER_KEY_WRONG', meta: { name: 'ZOHO_CLIENT_SECRET', keyId: keyId(OTHER_KEY), storedKeyId: keyId(KEY) } });
    expect((err as Error).message).toMatch(/different master key/);
    expect(JSON.stringify(err) + (err as Error).message).not.toContain('zoho-client-secret-value');
  });

  it('detects tampering with the ciphertext, and a ciphertext moved to another name', async () => {
    await store.secrets.set('A_SECRET', 'value-of-secret-a');
    await store.secrets.set('B_SECRET', 'value-of-secret-b');
    await store.close();
    // Flip one bit of A's ciphertext.
    const sealed = await rawGet<{ ciphertext: Buffer }>("SELECT ciphertext FROM secrets WHERE name = 'A_SECRET'");
    sealed.ciphertext[0] = sealed.ciphertext[0]! ^ 1;
    await rawRun("UPDATE secrets SET ciphertext = ? WHERE name = 'A_SECRET'", [sealed.ciphertext]);
    // Copy A's sealed value onto B: the name is authenticated, so this must not decrypt either.
    store = await open({ masterKey: KEY });
    await expect(store.secrets.get('A_SECRET')).rejects.toMatchObject({ code: 'SECRET_DECRYPT_FAILED', message: expect.stringMatching(/altered/) });
    await store.close();
    await rawRun("UPDATE secrets SET (nonce, ciphertext, tag) = (SELECT nonce, ciphertext, tag FROM secrets WHERE name = 'B_SECRET') WHERE name = 'A_SECRET'");
    store = await open({ masterKey: KEY });
    await expect(store.secrets.get('A_SECRET')).rejects.toMatchObject({ code: 'SECRET_DECRYPT_FAILED' });
    expect(await store.secrets.get('B_SECRET')).toBe('value-of-secret-b');
  });

  it('without a master key: reading asks for the key the secrets were stored under, storing says how to create one; names stay listable', async () => {
    await store.secrets.set('ZOHO_CLIENT_SECRET', 'zoho-client-secret-value');
    await store.close();
    store = await open();
    expect((await store.secrets.list()).map((s) => s.name)).toEqual(['ZOHO_CLIENT_SECRET']);
    const err = await store.secrets.get('ZOHO_CLIENT_SECRET').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MASTER_KEY_MISSING', meta: { name: 'ZOHO_CLIENT_SECRET', storedKeyId: keyId(KEY) } });
    // A new key could not read it: the hint names the key id to look for, not `openssl rand`.
    expect((err as { hint: string }).hint).toContain(`key id ${keyId(KEY)}`);
    expect((err as { hint: string }).hint).toContain('a new key cannot read it');
    const setting = await store.secrets.set('NEW', 'value-123456').catch((e: unknown) => e);
    expect(setting).toMatchObject({ code: 'MASTER_KEY_MISSING' });
    expect((setting as { hint: string }).hint).toContain('openssl rand -base64 32');
  });

  it('reads the key from the environment or a key file, and rejects a malformed key without echoing it', async () => {
    await store.secrets.set('S1', 'secret-one-value');
    await store.close();
    store = await open({ env: { ML_CONNECTOR_MASTER_KEY: KEY.toString('base64') } });
    expect(await store.secrets.get('S1')).toBe('secret-one-value');
    await store.close();

    const keyFile = join(tmp.dir, 'master.key');
    writeFileSync(keyFile, KEY.toString('base64') + '\n');
    chmodSync(keyFile, 0o644);
    const lines: string[] = [];
    store = await open({ env: { ML_CONNECTOR_MASTER_KEY_FILE: keyFile }, logger: createLogger({ write: (l) => lines.push(l) }) });
    expect(await store.secrets.get('S1')).toBe('secret-one-value');
    expect(lines.join('\n')).toMatch(/readable by other users/);
    await store.close();

    const shortKey = Buffer.alloc(16, 7).toString('base64');
    store = await open({ env: { ML_CONNECTOR_MASTER_KEY: shortKey } });
    const err = await store.secrets.get('S1').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MASTER_KEY_INVALID', meta: { bytes: 16 } });
    expect(JSON.stringify(err) + (err as Error).message).not.toContain(shortKey);
  });

  it('rotates the key in one transaction: all re-encrypted, or nothing when one cannot be read', async () => {
    await store.secrets.set('S1', 'secret-one-value');
    await store.secrets.set('S2', 'secret-two-value');
    expect(await store.secrets.rotateKey(OTHER_KEY)).toEqual({ count: 2 });
    expect(await store.secrets.get('S2')).toBe('secret-two-value');
    await store.close();
    store = await open({ masterKey: KEY });
    await expect(store.secrets.get('S1')).rejects.toMatchObject({ code: 'MASTER_KEY_WRONG' });
    await store.close();
    store = await open({ masterKey: OTHER_KEY });
    expect(await store.secrets.get('S1')).toBe('secret-one-value');

    // Break S2, then try to rotate again: refused, and S1 still opens with the current key.
    await store.close();
    await rawRun("UPDATE secrets SET tag = ? WHERE name = 'S2'", [Buffer.alloc(16)]);
    store = await open({ masterKey: OTHER_KEY });
    await expect(store.secrets.rotateKey(KEY)).rejects.toMatchObject({ code: 'SECRET_DECRYPT_FAILED', meta: { name: 'S2' } });
    expect(await store.secrets.get('S1')).toBe('secret-one-value');
    await expect(store.secrets.rotateKey(Buffer.alloc(8))).rejects.toMatchObject({ code: 'MASTER_KEY_INVALID' });
  });

  it('never lets a secret value reach another table, the database in clear, logs, audit, runs or exports', async () => {
    const secret = 'Sup3r-Secret-Zoho-Refresh-Token-1000.abcdef';
    const lines: string[] = [];
    const logger = createLogger({ format: 'json', write: (l) => lines.push(l) });
    await store.close();
    store = await open({ masterKey: KEY, logger });
    await store.secrets.set('ZOHO_REFRESH_TOKEN', secret);
    const value = await store.secrets.get('ZOHO_REFRESH_TOKEN');

    // Careless callers: the value leaks into an API error text, a log field, a run error, a webhook note.
    const runId = await store.startRun({ kind: 'apply', trigger: 'cli', configDigest: 'd', mappings: ['employees'] });
    await store.commitBatch({
      runId,
      mapping: 'employees',
      links: [{ externalId: 'E1', module: 'Contacts', zohoId: 'z1', fieldHash: 'h', appliedValues: { Last_Name: 'Doe' } }],
      audit: [{ runId, mapping: 'employees', externalId: 'E1', action: 'update', fields: ['Last_Name'], outcome: 'failed', errorCode: 'INVALID_TOKEN', errorMessage: `token ${value} rejected` }],
    });
    await store.finishRun(runId, { status: 'failed', counts: {}, apiCalls: 1, credits: 1, error: `refresh with ${value} failed` });
    await store.recordWebhookEvent({ source: 'zoho', recordIds: [], status: 'rejected', detail: `bad token ${value}` });
    logger.warn('calling zoho', { note: `using ${value}` });

    const audit = await store.queryAudit({ runId });
    expect(audit[0]?.errorMessage).toBe('token *** rejected');
    expect((await store.getRun(runId))?.error).toBe('refresh with *** failed');
    expect(JSON.stringify(await store.export())).not.toContain(secret);
    expect(lines.join('\n')).not.toContain(secret);
    expect(lines.join('\n')).toContain('using ***');

    await store.close();
    store = await open({ masterKey: KEY });
    const bytes = await backend.storedBytes(path);
    expect(bytes.includes(Buffer.from(secret))).toBe(false);
    expect(bytes.includes(Buffer.from('ZOHO_REFRESH_TOKEN'))).toBe(true); // the name is stored; only the value is hidden
  });
});
