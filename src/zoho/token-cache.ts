/**
 * Access tokens kept between runs. Zoho issues at most 10 access tokens per refresh token per
 * 10 minutes and then refuses every request ("Access Denied") for 15-30 minutes (reference §1.4,
 * §9.4). Each CLI command is a new process, so without a cache shared by processes a user trying
 * things out, or CI and `serve` together, trip that block within minutes.
 *
 * One small file per grant in the user's cache directory (docs/decisions.md, "Zoho tokens kept
 * between runs, without a master key"): AES-256-GCM under a key derived (HKDF-SHA256) from the
 * client secret and the refresh token (for client credentials: the client secret, soid and
 * scopes), so only a holder of those credentials, who could mint a token anyway, can read it. The
 * file name is derived the same way: it says nothing, and another grant finds another file. The
 * file also remembers a throttle, so the next command does not extend Zoho's block by asking.
 * Everything here is best effort: a cache that cannot be read or written means one more request.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import envPaths from 'env-paths';
import type { Logger } from '../support/log.js';
import { silentLogger } from '../support/log.js';
import type { AccessToken, TokenGrant } from './token-types.js';

/** A refusal to ask the token endpoint again before `until` (epoch ms), with the error to give. */
export interface TokenBlock {
  until: number;
  code: string;
  message: string;
  hint?: string;
}

export interface TokenCacheState {
  token?: AccessToken;
  blocked?: TokenBlock;
}

export interface TokenCache {
  load(): Promise<TokenCacheState>;
  save(state: TokenCacheState): Promise<void>;
}

/** Overrides where ml-connector keeps its cache (tokens go to `<dir>/zoho-tokens/`). */
const CACHE_DIR_ENV = 'ML_CONNECTOR_CACHE_DIR';

/**
 * `$ML_CONNECTOR_CACHE_DIR`, else the platform's user cache directory (env-paths:
 * `$XDG_CACHE_HOME/ml-connector` or `~/.cache/ml-connector`, `~/Library/Caches/ml-connector`,
 * `%LOCALAPPDATA%\ml-connector\Cache`), then `zoho-tokens`.
 */
export function defaultTokenCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env[CACHE_DIR_ENV]?.trim();
  return path.join(dir ? path.resolve(dir) : envPaths('ml-connector', { suffix: '' }).cache, 'zoho-tokens');
}

export interface GrantIdentity {
  accountsUrl: string;
  clientId: string;
  clientSecret: string;
  grant: TokenGrant;
}

const SALT = Buffer.from('ml-connector/zoho-token-cache/v1');

/** The file's name and its encryption key, both derived from the credentials of the grant. */
function deriveKeys(g: GrantIdentity): { fileId: string; key: Buffer } {
  const secret = g.grant.type === 'refresh_token' ? g.grant.refreshToken : `${g.grant.soid}\n${g.grant.scopes.join(',')}`;
  const ikm = Buffer.from(`${g.clientSecret}\0${secret}`, 'utf8');
  const context = `${g.accountsUrl.replace(/\/+$/, '')}\0${g.clientId}\0${g.grant.type}`;
  const fileId = Buffer.from(hkdfSync('sha256', ikm, SALT, `file\0${context}`, 16)).toString('hex');
  const key = Buffer.from(hkdfSync('sha256', ikm, SALT, `key\0${context}`, 32));
  return { fileId, key };
}

interface Sealed {
  v: 1;
  nonce: string;
  tag: string;
  data: string;
}

function seal(key: Buffer, fileId: string, plain: string): Sealed {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(fileId));
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return { v: 1, nonce: nonce.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

function unseal(key: Buffer, fileId: string, s: Sealed): string {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(s.nonce, 'base64'));
  decipher.setAAD(Buffer.from(fileId));
  decipher.setAuthTag(Buffer.from(s.tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(s.data, 'base64')), decipher.final()]).toString('utf8');
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** What a decrypted file may hold; anything else is ignored. */
function readState(json: unknown): TokenCacheState {
  const o = (json ?? {}) as { token?: Partial<AccessToken>; blocked?: Partial<TokenBlock> };
  const state: TokenCacheState = {};
  const t = o.token;
  if (t && typeof t.value === 'string' && typeof t.apiDomain === 'string' && isNumber(t.expiresAt) && isNumber(t.obtainedAt)) {
    state.token = { value: t.value, apiDomain: t.apiDomain, expiresAt: t.expiresAt, obtainedAt: t.obtainedAt };
  }
  const b = o.blocked;
  if (b && isNumber(b.until) && typeof b.code === 'string' && typeof b.message === 'string') {
    state.blocked = { until: b.until, code: b.code, message: b.message, ...(typeof b.hint === 'string' ? { hint: b.hint } : {}) };
  }
  return state;
}

/** The token cache of one grant: `<dir>/<file id>.json`, mode 0600 in a 0700 directory. */
export function createFileTokenCache(identity: GrantIdentity, o: { dir?: string; logger?: Logger } = {}): TokenCache {
  const dir = o.dir ?? defaultTokenCacheDir();
  const logger = o.logger ?? silentLogger;
  const { fileId, key } = deriveKeys(identity);
  const file = path.join(dir, `${fileId}.json`);
  return {
    async load() {
      try {
        return readState(JSON.parse(unseal(key, fileId, JSON.parse(await readFile(file, 'utf8')) as Sealed)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.debug('zoho token cache not readable; asking Zoho', { file, error: (err as Error).message });
        return {};
      }
    },
    async save(state) {
      // Written aside and renamed, so a concurrent reader sees the old file or the new one, never half.
      const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await writeFile(tmp, JSON.stringify(seal(key, fileId, JSON.stringify(state))) + '\n', { mode: 0o600, flag: 'wx' });
        await rename(tmp, file);
      } catch (err) {
        logger.debug('zoho token cache not written; the next run asks Zoho again', { file, error: (err as Error).message });
        await rm(tmp, { force: true }).catch(() => undefined);
      }
    },
  };
}
