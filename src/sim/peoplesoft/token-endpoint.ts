import type { TokenIssuer } from './auth.js';
import type { Outcome } from './qas.js';

const JSON_TYPE = 'application/json; charset=UTF-8';

const oauthError = (status: number, error: string, description: string): Outcome => ({
  status,
  contentType: JSON_TYPE,
  body: JSON.stringify({ error, error_description: description }),
});

/**
 * RFC 6749 §4.4 client-credentials grant. The client authenticates with HTTP Basic or
 * client_id/client_secret in the form body; the token's `sub` is the OPRID mapped to the client
 * (how PeopleSoft maps `sub` for client-credentials tokens is UNCONFIRMED).
 */
export async function handleTokenRequest(
  issuer: TokenIssuer,
  client: { clientId: string; clientSecret: string; oprid: string },
  authorization: string | undefined,
  body: string,
): Promise<Outcome & { user?: string }> {
  const form = new URLSearchParams(body);
  let clientId = form.get('client_id') ?? undefined;
  let clientSecret = form.get('client_secret') ?? undefined;
  const [scheme = '', value = ''] = (authorization ?? '').trim().split(/\s+/, 2);
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) {
      clientId = decodeURIComponent(decoded.slice(0, colon));
      clientSecret = decodeURIComponent(decoded.slice(colon + 1));
    }
  }
  if (clientId !== client.clientId || clientSecret !== client.clientSecret) {
    return oauthError(401, 'invalid_client', 'Client authentication failed.');
  }
  const grant = form.get('grant_type');
  if (grant === null) return oauthError(400, 'invalid_request', 'grant_type is required.');
  if (grant !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', `grant_type ${grant} is not supported.`);
  const { token, expiresIn } = await issuer.issue(client.oprid);
  return {
    status: 200,
    contentType: JSON_TYPE,
    body: JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: expiresIn }),
    user: client.oprid,
  };
}

export function jwksBody(issuer: TokenIssuer): Outcome {
  return { status: 200, contentType: JSON_TYPE, body: JSON.stringify({ keys: [issuer.jwk] }) };
}

export function metadataBody(issuer: TokenIssuer): Outcome {
  return {
    status: 200,
    contentType: JSON_TYPE,
    body: JSON.stringify({
      issuer: issuer.issuer,
      token_endpoint: `${issuer.issuer}/token`,
      jwks_uri: `${issuer.issuer}/keys`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      id_token_signing_alg_values_supported: ['RS256'],
    }),
  };
}
