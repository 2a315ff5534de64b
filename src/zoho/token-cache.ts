/**
 * Access tokens kept between runs. Zoho issues at most 10 access tokens per refresh token per
 * 10 minutes and then refuses every refresh ("Access Denied") for 15-30 minutes (reference §1.4,
 * §9.4). Each `plan`, `apply`, `check` or `webhooks` run is a new process, so without a shared
 * cache a user trying things out, or CI and `serve` together, trip that block within minutes.
 * The token is kept in the encrypted secret store, bound to the client, accounts server and grant
 * it came from, and used only while it is not due for refresh. Everything here is best effort: a
 * cache that cannot be read or written just means one more token request.
 */
import { createHash } from 'node:crypto';
import type { AccessToken, TokenGrant } from './token.js';

export interface TokenCache {
  load(): Promise<AccessToken | undefined>;
  save(token: AccessToken): Promise<void>;
}

/** The part of the state store's secret store the cache needs. */
export interface TokenCacheSecrets {
  has(name: string): Promise<boolean>;
  get(name: string): Promise<string>;
  set(name: string, value: string): Promise<void>;
}

/** Secret name of a connection's cached access token (shown by `ml-connector secrets list`). */
export function tokenCacheSecretName(connection: string): string {
  return `zoho-access-token.${connection.replace(/[^A-Za-z0-9_.-]/g, '_')}`.slice(0, 128);
}

/** Which grant a token came from, without keeping anything secret (a hash prefix). */
export function grantFingerprint(o: { accountsUrl: string; clientId: string; grant: TokenGrant }): string {
  const g = o.grant.type === 'refresh_token' ? `rt:${o.grant.refreshToken}` : `cc:${o.grant.soid}:${o.grant.scopes.join(',')}`;
  return createHash('sha256').update(`${o.accountsUrl}\n${o.clientId}\n${g}`).digest('hex').slice(0, 24);
}

interface Stored {
  v: 1;
  fp: string;
  value: string;
  apiDomain: string;
  expiresAt: number;
  obtainedAt: number;
}

/** A cache in the secret store under `tokenCacheSecretName(connection)`. */
export function createSecretTokenCache(secrets: TokenCacheSecrets | (() => Promise<TokenCacheSecrets>), connection: string, fingerprint: string): TokenCache {
  const name = tokenCacheSecretName(connection);
  const open = async (): Promise<TokenCacheSecrets> => (typeof secrets === 'function' ? secrets() : secrets);
  return {
    async load() {
      try {
        const store = await open();
        if (!(await store.has(name))) return undefined;
        const s = JSON.parse(await store.get(name)) as Partial<Stored>;
        if (s.v !== 1 || s.fp !== fingerprint || typeof s.value !== 'string' || typeof s.apiDomain !== 'string') return undefined;
        if (typeof s.expiresAt !== 'number' || typeof s.obtainedAt !== 'number') return undefined;
        return { value: s.value, apiDomain: s.apiDomain, expiresAt: s.expiresAt, obtainedAt: s.obtainedAt };
      } catch {
        return undefined;
      }
    },
    async save(t) {
      const s: Stored = { v: 1, fp: fingerprint, value: t.value, apiDomain: t.apiDomain, expiresAt: t.expiresAt, obtainedAt: t.obtainedAt };
      try {
        await (await open()).set(name, JSON.stringify(s));
      } catch {
        /* no master key or no state database: the next run asks Zoho again */
      }
    },
  };
}
