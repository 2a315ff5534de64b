import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SqlDatabase } from './sql.js';
import { SecretError } from './errors.js';
import { keyId, loadMasterKey, MASTER_KEY_ENV, MASTER_KEY_FILE_ENV, parseMasterKey, type MasterKeySource } from './master-key.js';
import type { SecretInfo, SecretStore } from './types.js';
import type { Clock } from '../support/clock.js';
import type { Logger } from '../support/log.js';
import { registerSecret } from '../support/redact.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

interface Sealed {
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** The name is authenticated with the value, so a ciphertext copied onto another name fails. */
const aad = (name: string): Buffer => Buffer.from(`ml-connector/secret/v1/${name}`, 'utf8');

function seal(key: Buffer, name: string, value: string): Sealed {
  // A fresh random 96-bit nonce per encryption: GCM's recommended size; never reused with a key.
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad(name));
  const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return { nonce, ciphertext, tag: cipher.getAuthTag() };
}

/**
 * A stored secret sealed again under another key (moving a state to another master key). Throws
 * SECRET_DECRYPT_FAILED / MASTER_KEY_WRONG when `fromKey` cannot open it; the value is never returned.
 */
export function resealSecret(row: { name: string } & Sealed, fromKey: Buffer, toKey: Buffer): Sealed & { keyId: string } {
  const value = open(fromKey, row.name, row);
  if (value === undefined) {
    throw new SecretError('SECRET_DECRYPT_FAILED', `Secret ${row.name} cannot be decrypted with the source's master key (key id ${keyId(fromKey)}), so it cannot be moved to the new key.`, {
      meta: { name: row.name, keyId: keyId(fromKey) },
      hint: 'Give the master key the source was set up with (--master-key-file or ML_CONNECTOR_MASTER_KEY), or leave out --to-master-key-file to copy the secrets as they are.',
    });
  }
  registerSecret(value);
  return { ...seal(toKey, row.name, value), keyId: keyId(toKey) };
}

/** Returns undefined when authentication fails: the caller turns that into a clear error. */
function open(key: Buffer, name: string, s: Sealed): string | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, s.nonce);
    decipher.setAAD(aad(name));
    decipher.setAuthTag(s.tag);
    return Buffer.concat([decipher.update(s.ciphertext), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

interface SecretDbRow {
  name: string;
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
  key_id: string | null;
  created_at: string;
  updated_at: string;
}

export function checkSecretName(name: string): void {
  if (!NAME.test(name)) {
    throw new SecretError('SECRET_NAME_INVALID', `"${name.slice(0, 60)}" is not a valid secret name.`, {
      meta: { name: name.slice(0, 60) },
      hint: 'Use letters, digits, _ . - (starting with a letter or _), up to 128 characters, e.g. ZOHO_CLIENT_SECRET.',
    });
  }
}

/**
 * Secrets encrypted with AES-256-GCM under the master key. The key is loaded only when a value is
 * read or written, so listing names works without it. Every decrypted or stored value is
 * registered with the redactor, so it is masked in any log line or error message afterwards.
 */
export class EncryptedSecretStore implements SecretStore {
  private key: Buffer | undefined;

  constructor(
    private readonly db: SqlDatabase,
    private readonly clock: Clock,
    private readonly keySource: MasterKeySource,
    private readonly logger: Logger,
  ) {}

  private currentKey(): Buffer {
    this.key ??= loadMasterKey(this.keySource, this.logger);
    return this.key;
  }

  async checkKey(): Promise<{ keyId: string }> {
    return { keyId: keyId(this.currentKey()) };
  }

  async set(name: string, value: string): Promise<void> {
    checkSecretName(name);
    if (typeof value !== 'string' || value === '') {
      throw new SecretError('SECRET_EMPTY', `Secret ${name} would be empty.`, { meta: { name }, hint: 'Pass the value on stdin or type it at the prompt.' });
    }
    registerSecret(value);
    const key = this.currentKey();
    const s = seal(key, name, value);
    const now = new Date(this.clock.now()).toISOString();
    await this.db.run(
      `INSERT INTO secrets (name, nonce, ciphertext, tag, key_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET nonce = excluded.nonce, ciphertext = excluded.ciphertext, tag = excluded.tag,
         key_id = excluded.key_id, updated_at = excluded.updated_at`,
      [name, s.nonce, s.ciphertext, s.tag, keyId(key), now, now],
    );
  }

  async get(name: string): Promise<string> {
    checkSecretName(name);
    const row = await this.db.get<SecretDbRow>('SELECT * FROM secrets WHERE name = ?', [name]);
    if (!row) {
      throw new SecretError('SECRET_NOT_FOUND', `There is no secret named ${name} in the state database ${this.db.path}.`, {
        meta: { name, path: this.db.path },
        hint: `Store it with \`ml-connector secrets set ${name}\` (the value is read from stdin or a hidden prompt).`,
      });
    }
    const value = this.decrypt(this.keyToRead(row), row);
    registerSecret(value);
    return value;
  }

  /**
   * The key for reading a stored secret. Without one, the advice is to find the key the secret was
   * stored under: a newly created key could not read it.
   */
  private keyToRead(row: SecretDbRow): Buffer {
    try {
      return this.currentKey();
    } catch (err) {
      if (!(err instanceof SecretError) || err.code !== 'MASTER_KEY_MISSING') throw err;
      throw new SecretError('MASTER_KEY_MISSING', `Secret ${row.name} is encrypted, and the master key to read it is missing: ${err.message}`, {
        meta: { ...err.meta, name: row.name, storedKeyId: row.key_id, path: this.db.path },
        hint:
          `Set ${MASTER_KEY_ENV} (or ${MASTER_KEY_FILE_ENV}, or the Project's state.masterKeyFile) to the key this state database was set up with` +
          `${row.key_id ? ` (key id ${row.key_id})` : ''}; a new key cannot read it. If that key is lost, set the secret again with \`ml-connector secrets set ${row.name}\` under a new key.`,
        cause: err,
      });
    }
  }

  private decrypt(key: Buffer, row: SecretDbRow): string {
    const value = open(key, row.name, row);
    if (value !== undefined) return value;
    const current = keyId(key);
    const meta = { name: row.name, keyId: current, storedKeyId: row.key_id, path: this.db.path };
    if (row.key_id !== null && row.key_id !== current) {
      throw new SecretError('MASTER_KEY_WRONG', `Secret ${row.name} was encrypted with a different master key (key id ${row.key_id}; the key in use has id ${current}).`, {
        meta,
        hint: `Use the master key this state database was set up with (${MASTER_KEY_ENV}, ${MASTER_KEY_FILE_ENV} or the Project's state.masterKeyFile), or set the secret again with \`ml-connector secrets set ${row.name}\`.`,
      });
    }
    throw new SecretError('SECRET_DECRYPT_FAILED', `Secret ${row.name} cannot be decrypted: the stored value was altered, or the master key is wrong.`, {
      meta,
      hint: `Set the secret again with \`ml-connector secrets set ${row.name}\`; if several fail, check that the master key is the right one.`,
    });
  }

  async has(name: string): Promise<boolean> {
    return (await this.db.get('SELECT 1 AS one FROM secrets WHERE name = ?', [name])) !== undefined;
  }

  async list(): Promise<SecretInfo[]> {
    const rows = await this.db.all<{ name: string; created_at: string; updated_at: string }>('SELECT name, created_at, updated_at FROM secrets ORDER BY name');
    return rows.map((r) => ({ name: r.name, createdAt: r.created_at, updatedAt: r.updated_at }));
  }

  async remove(name: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM secrets WHERE name = ?', [name])).changes > 0;
  }

  /** All or nothing: if one secret cannot be decrypted with the current key, nothing changes. */
  async rotateKey(newKey: Buffer): Promise<{ count: number }> {
    const next = parseMasterKey(newKey, 'the new master key');
    const count = await this.db.transaction(async (tx) => {
      const rows = await tx.all<SecretDbRow>('SELECT * FROM secrets ORDER BY name');
      const now = new Date(this.clock.now()).toISOString();
      for (const row of rows) {
        const value = this.decrypt(this.currentKey(), row);
        registerSecret(value);
        const s = seal(next, row.name, value);
        await tx.run('UPDATE secrets SET nonce = ?, ciphertext = ?, tag = ?, key_id = ?, updated_at = ? WHERE name = ?', [s.nonce, s.ciphertext, s.tag, keyId(next), now, row.name]);
      }
      return rows.length;
    }, 'rotating the master key', { lockTables: ['secrets'] });
    this.key = next;
    return { count };
  }
}

/**
 * What the config layer calls for `${secret:NAME}`: the decrypted value, or a coded error saying
 * how to store it.
 */
export async function resolveSecretRef(store: { secrets: SecretStore }, name: string): Promise<string> {
  return store.secrets.get(name);
}
