import { randomBytes } from 'node:crypto';
import type { Clock } from '../../support/clock.js';

/**
 * Grant codes, refresh tokens and access tokens with Zoho's limits (reference §1.4):
 * 10 access tokens per refresh token per 10 minutes (then "Access Denied" with a cooldown),
 * 15 live access tokens per refresh token (the 16th invalidates the oldest), 20 refresh tokens per
 * client (the 21st deletes the first and its access tokens), 10 grant codes per client per 10 min.
 */

export const ACCESS_WINDOW_MS = 10 * 60_000;
export const ACCESS_PER_WINDOW = 10;
export const LIVE_ACCESS_MAX = 15;
export const REFRESH_MAX = 20;
export const GRANTS_PER_WINDOW = 10;

export interface AccessToken {
  token: string;
  /** The refresh token (or `cc:<client>` for client credentials) it was minted from. */
  source: string;
  scopes: string[];
  expiresAt: number;
}

interface RefreshState {
  token: string;
  clientId: string;
  scopes: string[];
  mints: number[];
  blockedUntil: number;
  live: string[];
}

interface GrantCode {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  offline: boolean;
  expiresAt: number;
}

export const newToken = (): string => `1000.${randomBytes(16).toString('hex')}.${randomBytes(16).toString('hex')}`;

export const parseScopes = (text: string | undefined): string[] =>
  (text ?? '')
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');

export class TokenRegistry {
  private readonly refresh = new Map<string, RefreshState>();
  /** Client-credentials sources (`cc:<client>`): limits like a refresh token, but never one. */
  private readonly selfClients = new Map<string, RefreshState>();
  private readonly access = new Map<string, AccessToken>();
  private readonly grants = new Map<string, GrantCode>();
  private readonly grantTimes = new Map<string, number[]>();
  /** Clients that already received an offline grant: later ones need prompt=consent for a new refresh token. */
  private readonly offlineGranted = new Set<string>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly cooldownMs: number,
    private readonly grantTtlMs: number,
  ) {}

  addRefreshToken(token: string, clientId: string, scopes: string[]): void {
    const mine = [...this.refresh.values()].filter((r) => r.clientId === clientId);
    if (mine.length >= REFRESH_MAX && mine[0]) this.revoke(mine[0].token);
    this.refresh.set(token, { token, clientId, scopes, mints: [], blockedUntil: 0, live: [] });
  }

  refreshInfo(token: string): { clientId: string; scopes: string[] } | undefined {
    const r = this.refresh.get(token);
    return r ? { clientId: r.clientId, scopes: r.scopes } : undefined;
  }

  /** Revoke a refresh token and every access token minted from it. */
  revoke(token: string): boolean {
    const r = this.refresh.get(token);
    if (!r) return false;
    for (const t of r.live) this.access.delete(t);
    this.refresh.delete(token);
    return true;
  }

  /**
   * Mint an access token for a refresh token (or a client-credentials source); 'throttled' when
   * the 10-per-10-minutes limit is hit or its cooldown still runs (each attempt extends it).
   */
  mint(source: string, scopes: string[], clientId: string): AccessToken | 'throttled' {
    let r = this.refresh.get(source) ?? this.selfClients.get(source);
    if (!r) {
      // Client credentials have no refresh token; track their limits under a synthetic source.
      r = { token: source, clientId, scopes, mints: [], blockedUntil: 0, live: [] };
      this.selfClients.set(source, r);
    }
    const now = this.clock.now();
    if (r.blockedUntil > now) {
      r.blockedUntil = now + this.cooldownMs;
      return 'throttled';
    }
    r.mints = r.mints.filter((t) => t > now - ACCESS_WINDOW_MS);
    if (r.mints.length >= ACCESS_PER_WINDOW) {
      r.blockedUntil = now + this.cooldownMs;
      return 'throttled';
    }
    r.mints.push(now);
    r.live = r.live.filter((t) => (this.access.get(t)?.expiresAt ?? 0) > now);
    while (r.live.length >= LIVE_ACCESS_MAX) {
      const oldest = r.live.shift();
      if (oldest) this.access.delete(oldest);
    }
    const at: AccessToken = { token: newToken(), source, scopes, expiresAt: now + this.ttlMs };
    this.access.set(at.token, at);
    r.live.push(at.token);
    return at;
  }

  /** Mint a token not tied to any refresh token (access_type=online). */
  mintOnline(scopes: string[]): AccessToken {
    const at: AccessToken = { token: newToken(), source: '', scopes, expiresAt: this.clock.now() + this.ttlMs };
    this.access.set(at.token, at);
    return at;
  }

  /** A live access token, or undefined when unknown, invalidated, revoked or expired. */
  check(token: string): AccessToken | undefined {
    const at = this.access.get(token);
    if (!at) return undefined;
    if (at.expiresAt <= this.clock.now()) {
      this.access.delete(token);
      return undefined;
    }
    return at;
  }

  /** A grant code, or 'throttled' past 10 per client per 10 minutes. */
  issueGrant(clientId: string, redirectUri: string, scopes: string[], offline: boolean, consent: boolean): string | 'throttled' {
    const now = this.clock.now();
    const times = (this.grantTimes.get(clientId) ?? []).filter((t) => t > now - ACCESS_WINDOW_MS);
    if (times.length >= GRANTS_PER_WINDOW) return 'throttled';
    times.push(now);
    this.grantTimes.set(clientId, times);
    const code = newToken();
    // Zoho returns a refresh token on the first offline authorization, and again only with prompt=consent.
    const withRefresh = offline && (consent || !this.offlineGranted.has(clientId));
    if (offline) this.offlineGranted.add(clientId);
    this.grants.set(code, { clientId, redirectUri, scopes, offline: withRefresh, expiresAt: now + this.grantTtlMs });
    return code;
  }

  /** Use up a grant code (single use); undefined when unknown, used or expired. */
  redeemGrant(code: string): GrantCode | undefined {
    const g = this.grants.get(code);
    if (!g) return undefined;
    this.grants.delete(code);
    return g.expiresAt > this.clock.now() ? g : undefined;
  }
}
