import type { PeopleSoftConnection } from '../config/types.generated.js';
import { ConfigError } from '../support/errors.js';
import type { PsCredentials } from './auth.js';

/**
 * The credential values a connection needs, resolved by the caller's resolver (normally
 * `(ref, what) => resolveCredential(ref, { env, secrets, what })` from src/config). Kept as a
 * function argument so this layer never reads the environment or the secret store itself.
 */
export async function resolvePeopleSoftCredentials(
  conn: PeopleSoftConnection,
  resolve: (ref: string, what: string) => Promise<string>,
): Promise<PsCredentials> {
  const auth = conn.auth;
  if (auth.type === 'basic') return { password: await resolve(auth.password, `connection ${conn.name} auth.password`) };
  // A token without a token URL is a bearer token given as is; with a token URL, the client-credentials grant gets one.
  if (auth.token !== undefined && auth.tokenUrl === undefined) return { token: await resolve(auth.token, `connection ${conn.name} auth.token`) };
  if (auth.clientSecret !== undefined) return { clientSecret: await resolve(auth.clientSecret, `connection ${conn.name} auth.clientSecret`) };
  throw new ConfigError('PS_AUTH_CONFIG', `Connection ${conn.name}: OAuth2 needs auth.token or auth.clientSecret`, {
    meta: { connection: conn.name },
    hint: 'Set auth.tokenUrl, auth.clientId and auth.clientSecret (client credentials), or auth.token.',
  });
}
