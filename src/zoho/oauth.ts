import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { MlError } from '../support/errors.js';
import { registerSecret } from '../support/redact.js';
import { regionOfAccountsServer } from './regions.js';
import { requestToken, type TokenAnswer, type TokenEndpoint } from './token-endpoint.js';

/** The authorization-code flow of `ml-connector auth zoho`, without any printing. */

export { DEFAULT_SCOPES } from './scopes.js';
export const DEFAULT_REDIRECT_URI = 'http://127.0.0.1:8976/callback';

/** A random `state`, checked on return so a forged redirect cannot plant someone else's code. */
export function newState(): string {
  return randomBytes(24).toString('base64url');
}

export function buildAuthorizeUrl(o: { accountsUrl: string; clientId: string; redirectUri: string; scopes: string[]; state: string }): string {
  const url = new URL(`${o.accountsUrl.replace(/\/+$/, '')}/oauth/v2/auth`);
  url.searchParams.set('scope', o.scopes.join(','));
  url.searchParams.set('client_id', o.clientId);
  url.searchParams.set('response_type', 'code');
  // offline + consent: a refresh token on every authorization, not only the first.
  url.searchParams.set('access_type', 'offline');
  url.searchParams.set('prompt', 'consent');
  url.searchParams.set('redirect_uri', o.redirectUri);
  url.searchParams.set('state', o.state);
  return url.toString();
}

export interface Redirect {
  code: string;
  /** The accounts server of the user's data center (multi-DC): the code must be exchanged there. */
  accountsServer?: string;
  location?: string;
}

/** Read the URL Zoho redirected the browser to (`?code=..&location=..&accounts-server=..&state=..`). */
export function parseRedirect(redirected: string, expectedState: string): Redirect {
  let url: URL;
  try {
    url = new URL(redirected.trim());
  } catch {
    throw new MlError('ZOHO_AUTH_BAD_REDIRECT', 'That is not the URL the browser was sent to', { hint: 'paste the whole address from the browser bar, starting with http' });
  }
  const q = url.searchParams;
  const error = q.get('error');
  if (error) {
    throw new MlError('ZOHO_AUTH_DENIED', `Zoho did not authorize ml-connector (${error})`, {
      meta: { zohoError: error },
      hint: error === 'access_denied' ? 'approve the consent screen; Zoho also says access_denied after 10 authorizations in 10 minutes' : 'check the client id and redirect URI in Zoho\'s API console',
    });
  }
  const state = q.get('state') ?? '';
  if (state !== expectedState) {
    throw new MlError('ZOHO_AUTH_STATE_MISMATCH', 'The redirect does not carry the state ml-connector sent; it does not come from this authorization', {
      hint: 'run ml-connector auth zoho again and use the link it prints',
    });
  }
  const code = q.get('code');
  if (!code) throw new MlError('ZOHO_AUTH_BAD_REDIRECT', 'The redirect has no grant code', { hint: 'run ml-connector auth zoho again' });
  registerSecret(code);
  return {
    code,
    ...(q.get('accounts-server') ? { accountsServer: q.get('accounts-server')!.replace(/\/+$/, '') } : {}),
    ...(q.get('location') ? { location: q.get('location')! } : {}),
  };
}

/**
 * Where to exchange the code: the `accounts-server` on the redirect when it is a Zoho accounts
 * server (or the configured one), else the configured one. A redirect naming any other host is
 * refused, so a tampered redirect cannot send our client secret elsewhere.
 */
export function chooseAccountsServer(configured: string, returned: string | undefined): string {
  if (!returned) return configured;
  const sameAsConfigured = (() => {
    try {
      return new URL(returned).origin === new URL(configured).origin;
    } catch {
      return false;
    }
  })();
  if (sameAsConfigured || regionOfAccountsServer(returned)) return returned;
  throw new MlError('ZOHO_AUTH_BAD_REDIRECT', `The redirect names an accounts server that is not Zoho's: ${returned}`, {
    hint: 'set accountsUrl in the Zoho connection if you use a private accounts server',
  });
}

/** Exchange a grant code (web flow or self client) for tokens; a refresh token is required. */
export async function exchangeGrantCode(endpoint: TokenEndpoint, code: string, redirectUri?: string): Promise<TokenAnswer & { refreshToken: string }> {
  const answer = await requestToken(endpoint, { grant_type: 'authorization_code', code, ...(redirectUri ? { redirect_uri: redirectUri } : {}) }, 'code_exchange');
  if (!answer.refreshToken) {
    throw new MlError('ZOHO_NO_REFRESH_TOKEN', 'Zoho issued an access token but no refresh token', {
      hint: 'the authorization must use access_type=offline (for a self client: generate the code with the scopes and use it once)',
    });
  }
  return answer as TokenAnswer & { refreshToken: string };
}

export interface RedirectListener {
  /** Resolves with the full redirected URL of the first request to the redirect path. */
  redirected: Promise<string>;
  close(): Promise<void>;
}

/** Listen on a loopback redirect URI (http://127.0.0.1:PORT/path) for the browser's return. */
export async function listenForRedirect(redirectUri: string): Promise<RedirectListener> {
  const target = new URL(redirectUri);
  if (target.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) {
    throw new MlError('ZOHO_AUTH_NOT_LOOPBACK', `The redirect URI ${redirectUri} is not a loopback address ml-connector can listen on`, {
      hint: 'use --no-browser and paste the redirected URL, or register http://127.0.0.1:8976/callback',
    });
  }
  let resolve!: (url: string) => void;
  const redirected = new Promise<string>((r) => (resolve = r));
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', redirectUri);
    if (url.pathname !== target.pathname) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>ml-connector</title><p>ml-connector received the authorization. You can close this tab.</p>');
    resolve(url.toString());
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', (err) =>
      fail(new MlError('ZOHO_AUTH_LISTEN_FAILED', `Cannot listen on ${target.host}: ${(err as Error).message}`, { hint: 'free the port, or use --no-browser and paste the redirected URL' })),
    );
    server.listen(Number(target.port || 80), target.hostname.replace(/^\[|\]$/g, ''), () => ok());
  });
  return {
    redirected,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}
