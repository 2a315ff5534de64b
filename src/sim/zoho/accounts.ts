import { json, type Reply } from './http-io.js';
import type { ResolvedQuirks } from './org.js';
import { newToken, parseScopes, type AccessToken, type TokenRegistry } from './tokens.js';
import type { TokenEndpointFailure, ZohoClientConfig } from './types.js';

/**
 * The Zoho Accounts server: the consent step (`/oauth/v2/auth`), the token endpoint and revoke.
 * Token errors come as HTTP 200 `{"error":"..."}`, as Zoho sends them (reference §1.3).
 */

export interface AccountsContext {
  client: Required<Pick<ZohoClientConfig, 'clientId' | 'clientSecret' | 'refreshToken' | 'orgId'>> & ZohoClientConfig;
  tokens: TokenRegistry;
  baseUrl: () => string;
  quirks: ResolvedQuirks;
  ttlSec: number;
  autoApprove: boolean;
  /** The token endpoint failing (switch): set by the option or `sim.failTokenEndpoint()`, counted down here. */
  failure: TokenEndpointFailure | undefined;
}

/*
 * What Zoho's accounts servers send when failing is not documented (UNCONFIRMED): the simulator
 * sends a gateway's plain-text 429 (with `Retry-After` when set) and an HTML error page, so a
 * client must go by the status, never by a JSON body.
 */

/** The failing answer while the switch is on, else undefined. */
function failingAnswer(ctx: AccountsContext): Reply | undefined {
  const f = ctx.failure;
  if (!f) return undefined;
  if (f.times !== undefined) {
    if (f.times <= 0) {
      ctx.failure = undefined;
      return undefined;
    }
    f.times--;
  }
  if (f.status === 429) {
    return {
      status: 429,
      text: 'Too Many Requests',
      contentType: 'text/plain;charset=UTF-8',
      ...(f.retryAfterSec !== undefined ? { headers: { 'Retry-After': String(f.retryAfterSec) } } : {}),
    };
  }
  return page(f.status, 'Zoho Accounts', '<p>Sorry, we are unable to process your request right now. Please try again later.</p>');
}

const tokenError = (error: string): Reply => json(200, { error });

const ACCESS_DENIED = {
  error_description: 'You have made too many requests continuously. Please try again after some time.',
  error: 'Access Denied',
  status: 'failure',
};

function redirectAllowed(ctx: AccountsContext, uri: string): boolean {
  if (ctx.client.redirectUris) return ctx.client.redirectUris.includes(uri);
  try {
    const u = new URL(uri);
    return u.protocol === 'http:' && (u.hostname === '127.0.0.1' || u.hostname === 'localhost');
  } catch {
    return false;
  }
}

const page = (status: number, title: string, body: string): Reply => ({
  status,
  text: `<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`,
});

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `GET /oauth/v2/auth`: check the client and redirect URI, then redirect back with a grant code. */
export function handleAuthorize(ctx: AccountsContext, url: URL): Reply {
  const q = url.searchParams;
  const clientId = q.get('client_id');
  const redirectUri = q.get('redirect_uri') ?? '';
  if (clientId !== ctx.client.clientId) return page(400, 'Invalid Client', '<p>The client_id is not registered.</p>');
  if (!redirectAllowed(ctx, redirectUri)) return page(400, 'Invalid Redirect Uri', '<p>The redirect_uri does not match a registered URI.</p>');
  const back = new URL(redirectUri);
  const state = q.get('state');
  const redirect = (params: Record<string, string>): Reply => {
    if (state !== null) back.searchParams.set('state', state);
    for (const [k, v] of Object.entries(params)) back.searchParams.set(k, v);
    return { status: 302, headers: { Location: back.toString() } };
  };
  if (q.get('response_type') !== 'code') return redirect({ error: 'unsupported_response_type' });
  const scopes = parseScopes(q.get('scope') ?? undefined);
  if (scopes.length === 0) return redirect({ error: 'invalid_scope' });
  if (!ctx.autoApprove && q.get('approved') !== 'true') {
    const accept = new URL(url);
    accept.searchParams.set('approved', 'true');
    return page(200, 'Allow access?', `<p>${escapeHtml(clientId)} asks for ${escapeHtml(scopes.join(', '))}.</p><a id="accept" href="${escapeHtml(accept.pathname + accept.search)}">Accept</a>`);
  }
  const code = ctx.tokens.issueGrant(clientId, redirectUri, scopes, q.get('access_type') === 'offline', q.get('prompt') === 'consent');
  if (code === 'throttled') return redirect({ error: 'access_denied' });
  return redirect({ code, location: 'us', 'accounts-server': ctx.baseUrl() });
}

function tokenAnswer(ctx: AccountsContext, at: AccessToken, refreshToken?: string): Reply {
  const body: Record<string, unknown> = { access_token: at.token };
  if (refreshToken !== undefined) body.refresh_token = refreshToken;
  Object.assign(body, { scope: at.scopes.join(' '), api_domain: ctx.baseUrl(), token_type: 'Bearer', expires_in: ctx.ttlSec });
  return json(200, body);
}

const throttled = (ctx: AccountsContext): Reply => json(ctx.quirks.accessDeniedStatus, ACCESS_DENIED);

/** `POST /oauth/v2/token` for authorization_code, refresh_token and client_credentials. */
export function handleToken(ctx: AccountsContext, p: Record<string, string>): Reply {
  const failing = failingAnswer(ctx);
  if (failing) return failing;
  const grant = p.grant_type;
  if (!grant) return tokenError('invalid_request');
  if (!['authorization_code', 'refresh_token', 'client_credentials'].includes(grant)) return tokenError('unsupported_grant_type');
  if (p.client_id !== ctx.client.clientId) return tokenError('invalid_client');
  if (p.client_secret !== ctx.client.clientSecret) return tokenError('invalid_client_secret');

  if (grant === 'authorization_code') {
    const g = p.code ? ctx.tokens.redeemGrant(p.code) : undefined;
    if (!g || g.clientId !== p.client_id) return tokenError('invalid_code');
    // Self Client codes have no redirect URI and are exchanged without one.
    if ((p.redirect_uri ?? '') !== g.redirectUri) return tokenError('invalid_redirect_uri');
    if (!g.offline) return tokenAnswer(ctx, ctx.tokens.mintOnline(g.scopes));
    const refresh = newToken();
    ctx.tokens.addRefreshToken(refresh, g.clientId, g.scopes);
    const at = ctx.tokens.mint(refresh, g.scopes, g.clientId);
    return at === 'throttled' ? throttled(ctx) : tokenAnswer(ctx, at, refresh);
  }

  if (grant === 'refresh_token') {
    const info = p.refresh_token ? ctx.tokens.refreshInfo(p.refresh_token) : undefined;
    if (!info || info.clientId !== p.client_id) return tokenError('invalid_code');
    const at = ctx.tokens.mint(p.refresh_token!, info.scopes, info.clientId);
    return at === 'throttled' ? throttled(ctx) : tokenAnswer(ctx, at);
  }

  // client_credentials (Self Client): scope and soid=ZohoCRM.{org_id} required.
  const soid = p.soid;
  if (!soid || soid !== `ZohoCRM.${ctx.client.orgId}`) return tokenError('missing_org_info');
  const scopes = parseScopes(p.scope);
  if (scopes.length === 0) return tokenError('invalid_scope');
  const at = ctx.tokens.mint(`cc:${ctx.client.clientId}`, scopes, ctx.client.clientId);
  return at === 'throttled' ? throttled(ctx) : tokenAnswer(ctx, at);
}

/** `POST /oauth/v2/token/revoke?token=`: success, or 400 for a token it does not know. */
export function handleRevoke(ctx: AccountsContext, p: Record<string, string>): Reply {
  const token = p.token;
  if (token && ctx.tokens.revoke(token)) return json(200, { status: 'success' });
  return json(400, { status: 'failure', error: 'invalid_token' });
}
