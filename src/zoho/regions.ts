import type { ZohoConnection } from '../config/types.generated.js';
import { ConfigError } from '../support/errors.js';

/**
 * Zoho data centers: where the OAuth accounts server and the CRM API live. Values are the
 * official SDK's DC classes (routes/dc/*_data_center.ts); note CA's accounts server is on
 * zohocloud.ca while its API domain is zohoapis.ca.
 */
export interface DataCenter {
  accounts: string;
  /** API host suffix: `https://www.{api}`, `https://sandbox.{api}`, `https://developer.{api}`. */
  api: string;
  /** Not confirmed by a primary source; accepted only with `experimental.unconfirmedRegions`. */
  unconfirmed?: boolean;
}

export const DATA_CENTERS: Record<ZohoConnection['region'], DataCenter> = {
  us: { accounts: 'https://accounts.zoho.com', api: 'zohoapis.com' },
  eu: { accounts: 'https://accounts.zoho.eu', api: 'zohoapis.eu' },
  in: { accounts: 'https://accounts.zoho.in', api: 'zohoapis.in' },
  au: { accounts: 'https://accounts.zoho.com.au', api: 'zohoapis.com.au' },
  jp: { accounts: 'https://accounts.zoho.jp', api: 'zohoapis.jp' },
  cn: { accounts: 'https://accounts.zoho.com.cn', api: 'zohoapis.com.cn' },
  ca: { accounts: 'https://accounts.zohocloud.ca', api: 'zohoapis.ca' },
  sa: { accounts: 'https://accounts.zoho.sa', api: 'zohoapis.sa' },
  // Listed on Zoho's multi-DC accounts page; the API domain is a guess (docs/zoho.md).
  uk: { accounts: 'https://accounts.zoho.uk', api: 'zohoapis.uk', unconfirmed: true },
};

const trimSlash = (u: string): string => u.replace(/\/+$/, '');

/** An override counts only when it is a non-empty string (`${env:X:-}` resolves to ''). */
function override(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : trimSlash(value.trim());
}

/**
 * The accounts server and API domain of a connection. Explicit `accountsUrl`/`apiUrl` win (the
 * simulator, unusual environments); otherwise region and environment decide. The API domain is
 * only the starting point: the `api_domain` of each token response replaces it.
 */
export function resolveZohoUrls(conn: ZohoConnection): { accountsUrl: string; apiUrl: string } {
  const dc = DATA_CENTERS[conn.region];
  if (!dc) {
    throw new ConfigError('ZOHO_UNKNOWN_REGION', `Unknown Zoho region "${String(conn.region)}"`, {
      meta: { connection: conn.name },
      hint: 'Use one of us, eu, in, au, jp, cn, ca, sa.',
    });
  }
  if (dc.unconfirmed && conn.experimental?.unconfirmedRegions !== true) {
    throw new ConfigError('ZOHO_UNCONFIRMED_REGION', `Zoho region "${conn.region}" has no confirmed API domain`, {
      meta: { connection: conn.name, region: conn.region },
      hint: 'Set experimental.unconfirmedRegions: true to try it, or give accountsUrl and apiUrl explicitly.',
    });
  }
  const env = conn.environment ?? 'production';
  const host = env === 'production' ? 'www' : env;
  return {
    accountsUrl: override(conn.accountsUrl) ?? dc.accounts,
    apiUrl: override(conn.apiUrl) ?? `https://${host}.${dc.api}`,
  };
}

/** The region whose accounts server is this URL's origin, if any (to validate `accounts-server`). */
export function regionOfAccountsServer(url: string): ZohoConnection['region'] | undefined {
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    return undefined;
  }
  for (const [region, dc] of Object.entries(DATA_CENTERS)) if (dc.accounts === origin) return region as ZohoConnection['region'];
  return undefined;
}

/** The region whose API domain (any environment: www, sandbox, developer) serves this URL, if any. */
function regionOfApiDomain(url: string): ZohoConnection['region'] | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  for (const [region, dc] of Object.entries(DATA_CENTERS)) if (host === dc.api || host.endsWith(`.${dc.api}`)) return region as ZohoConnection['region'];
  return undefined;
}

/**
 * A token from one data center's accounts server used at another's API domain: the one case where
 * a refused fresh token is the region's fault. Unknown hosts (a proxy, the simulator) prove nothing.
 */
export function regionsDisagree(accountsUrl: string, apiDomain: string): { accounts: string; api: string } | undefined {
  const accounts = regionOfAccountsServer(accountsUrl);
  const api = regionOfApiDomain(apiDomain);
  return accounts !== undefined && api !== undefined && accounts !== api ? { accounts, api } : undefined;
}
