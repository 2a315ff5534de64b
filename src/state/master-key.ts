import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { SecretError } from './errors.js';
import { registerSecret } from '../support/redact.js';
import type { Logger } from '../support/log.js';

export const MASTER_KEY_ENV = 'ML_CONNECTOR_MASTER_KEY';
export const MASTER_KEY_FILE_ENV = 'ML_CONNECTOR_MASTER_KEY_FILE';

export interface MasterKeySource {
  /** The key itself (32 bytes, or their base64). Wins over everything else. */
  masterKey?: Buffer | string;
  /** A file holding the base64 key (Project `state.masterKeyFile`). Wins over the environment. */
  masterKeyFile?: string;
  env?: NodeJS.ProcessEnv;
}

const HOW_TO_CREATE =
  `Create a key once with \`openssl rand -base64 32 > master.key && chmod 600 master.key\` and set ${MASTER_KEY_FILE_ENV}=/path/to/master.key ` +
  `(or export ${MASTER_KEY_ENV}="$(openssl rand -base64 32)"; in CI, store it as a repository secret). Keep a copy: secrets cannot be read without it.`;

/** A new random master key, base64 (what `openssl rand -base64 32` prints). */
export function generateMasterKey(): string {
  return randomBytes(32).toString('base64');
}

/** A short, non-secret fingerprint, stored next to each secret to tell "wrong key" from "tampered". */
export function keyId(key: Buffer): string {
  return createHash('sha256').update('ml-connector master key id\0').update(key).digest('hex').slice(0, 16);
}

/** Decode a key given as base64 text (a trailing newline is fine) or as 32 raw bytes. */
export function parseMasterKey(input: Buffer | string, where: string): Buffer {
  if (Buffer.isBuffer(input) && input.length === 32) return input;
  const text = (Buffer.isBuffer(input) ? input.toString('utf8') : input).trim();
  registerSecret(text);
  const key = Buffer.from(text, 'base64');
  const canonical = key.toString('base64');
  if (key.length !== 32 || canonical.replace(/=+$/, '') !== text.replace(/=+$/, '')) {
    throw new SecretError('MASTER_KEY_INVALID', `The master key from ${where} is not base64 of 32 bytes (it decodes to ${key.length} bytes).`, {
      meta: { source: where, bytes: key.length },
      hint: HOW_TO_CREATE,
    });
  }
  registerSecret(canonical);
  return key;
}

/**
 * Find the master key: explicit option, then key file option, then ML_CONNECTOR_MASTER_KEY, then
 * ML_CONNECTOR_MASTER_KEY_FILE. Only called when a secret is actually read or written, so commands
 * that never touch secrets work without a key.
 */
export function loadMasterKey(source: MasterKeySource, logger?: Logger): Buffer {
  const env = source.env ?? process.env;
  if (source.masterKey !== undefined) return parseMasterKey(source.masterKey, 'the masterKey option');
  if (source.masterKeyFile !== undefined) return readKeyFile(source.masterKeyFile, logger);
  const inline = nonEmpty(env[MASTER_KEY_ENV]);
  if (inline !== undefined) return parseMasterKey(inline, `$${MASTER_KEY_ENV}`);
  const envFile = nonEmpty(env[MASTER_KEY_FILE_ENV]);
  if (envFile !== undefined) return readKeyFile(envFile, logger);
  throw new SecretError('MASTER_KEY_MISSING', 'No master key is configured; it is needed to encrypt and decrypt secrets.', {
    meta: { env: [MASTER_KEY_ENV, MASTER_KEY_FILE_ENV] },
    hint: HOW_TO_CREATE,
  });
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

function readKeyFile(file: string, logger?: Logger): Buffer {
  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch (err) {
    throw new SecretError('MASTER_KEY_MISSING', `The master key file ${file} cannot be read (${(err as { code?: string }).code ?? 'error'}).`, {
      meta: { file },
      hint: HOW_TO_CREATE,
      cause: err,
    });
  }
  try {
    // Only a warning: some platforms (Windows, some CI volumes) cannot express 0600.
    if ((statSync(file).mode & 0o077) !== 0) logger?.warn('master key file is readable by other users; chmod 600 it', { file });
  } catch {
    /* stat failing after a successful read is not worth failing for */
  }
  return parseMasterKey(content, `the key file ${file}`);
}
