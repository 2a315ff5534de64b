import { HttpError, MlError } from '../support/errors.js';

/**
 * Thrown when Zoho answers a call with an error envelope (`{code, details, message, status}`)
 * that is not a per-record result, after retries. `code` is `ZOHO_` + Zoho's code
 * (e.g. `ZOHO_INVALID_MODULE`, `ZOHO_TOO_MANY_REQUESTS`), `zohoCode` the bare one.
 */
export class ZohoApiError extends HttpError {
  override name = 'ZohoApiError';
  readonly zohoCode: string;
  constructor(zohoCode: string, message: string, options: { status?: number; meta?: Record<string, unknown>; hint?: string; cause?: unknown } = {}) {
    super(`ZOHO_${zohoCode}`, message, options);
    this.zohoCode = zohoCode;
  }
}

/**
 * Thrown by the token manager: the refresh token is revoked (`ZOHO_REAUTH_REQUIRED`), the client
 * is unknown at this data center (`ZOHO_WRONG_DATA_CENTER`), the token endpoint throttles us
 * (`ZOHO_TOKEN_THROTTLED`) or stays unreachable or failing (`ZOHO_TOKEN_UNAVAILABLE`), or it
 * refuses for another reason (`ZOHO_AUTH_FAILED`). Never carries a token.
 */
export class ZohoAuthError extends MlError {
  override name = 'ZohoAuthError';
}

export const REAUTH_HINT = 're-run ml-connector auth zoho (and put the new refresh token where the connection config reads it)';

/** Zoho's whole-request error envelope, when the body is one. */
export interface ZohoEnvelope {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

export function readEnvelope(json: unknown): ZohoEnvelope | undefined {
  if (json === null || typeof json !== 'object') return undefined;
  const o = json as Record<string, unknown>;
  // Some error samples wrap the envelope in data[] (INVALID_MODULE); take the first entry then.
  const e = typeof o.code === 'string' ? o : Array.isArray(o.data) && o.data.length === 1 && typeof (o.data[0] as Record<string, unknown>)?.code === 'string' && (o.data[0] as Record<string, unknown>).status === 'error' ? (o.data[0] as Record<string, unknown>) : undefined;
  if (!e) return undefined;
  return {
    code: String(e.code),
    message: typeof e.message === 'string' ? e.message : '',
    details: e.details !== null && typeof e.details === 'object' ? (e.details as Record<string, unknown>) : {},
  };
}

/** What a person should do about a Zoho error code. */
export function hintFor(zohoCode: string): string | undefined {
  switch (zohoCode) {
    case 'INVALID_URL_PATTERN':
      return 'check the module name (case-sensitive) and the data center (`region`) of the Zoho connection';
    case 'OAUTH_SCOPE_MISMATCH':
      return 'the token lacks a scope this call needs: add it to auth.scopes and re-run ml-connector auth zoho';
    case 'NO_PERMISSION':
      return "the Zoho user behind the token lacks a permission in its profile; ask the Zoho admin";
    case 'INVALID_MODULE':
      return 'the module does not exist in this organisation or edition (Vendors needs Professional or above)';
    case 'FEATURE_NOT_SUPPORTED':
      return 'this Zoho edition lacks the feature';
    case 'TOO_MANY_REQUESTS':
      return 'Zoho API credits (rolling 24 h) or the concurrency limit ran out: lower `concurrency`, or wait for credits to free up';
    case 'REQUIRED_PARAM_MISSING':
      return 'a required parameter was not sent; this is a bug in ml-connector, please report it';
    default:
      return undefined;
  }
}
