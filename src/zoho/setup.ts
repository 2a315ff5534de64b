import type { Config } from '../config/index.js';
import { resolveCredential, type Env, type SecretSource } from '../config/index.js';
import type { ZohoConnection } from '../config/types.generated.js';
import { MlError } from '../support/errors.js';
import type { ZohoCredentials } from './client.js';

/** Choosing a Zoho connection from the config and resolving its credentials (for commands). */

export function pickZohoConnection(config: Pick<Config, 'zoho'>, name?: string): ZohoConnection {
  if (name !== undefined) {
    const conn = config.zoho.get(name);
    if (!conn) {
      throw new MlError('ZOHO_CONNECTION_NOT_FOUND', `No Zoho connection named "${name}"`, {
        meta: { known: [...config.zoho.keys()] },
        hint: config.zoho.size ? `known: ${[...config.zoho.keys()].join(', ')}` : 'add a ZohoConnection document to the configuration',
      });
    }
    return conn;
  }
  const all = [...config.zoho.values()];
  if (all.length === 1) return all[0]!;
  throw new MlError('ZOHO_CONNECTION_AMBIGUOUS', all.length ? `There are ${all.length} Zoho connections; say which with --connection` : 'The configuration has no Zoho connection', {
    meta: { known: all.map((c) => c.name) },
    hint: all.length ? `--connection ${all.map((c) => c.name).join(' | ')}` : 'add a ZohoConnection document (see configs/connections/zoho.yaml)',
  });
}

/**
 * The connection's credentials, resolved from `${env:}`/`${secret:}`. `withRefreshToken: false`
 * for `auth zoho`, which is how the refresh token comes to exist.
 */
export async function resolveZohoCredentials(
  conn: ZohoConnection,
  ctx: { env?: Env; secrets?: SecretSource; withRefreshToken?: boolean },
): Promise<ZohoCredentials> {
  const base = { ...(ctx.env ? { env: ctx.env } : {}), ...(ctx.secrets ? { secrets: ctx.secrets } : {}) };
  const clientSecret = await resolveCredential(conn.auth.clientSecret, { ...base, what: `${conn.name} auth.clientSecret` });
  if (conn.auth.type === 'client_credentials') return { clientId: conn.auth.clientId, clientSecret, soid: conn.auth.soid };
  if (ctx.withRefreshToken === false) return { clientId: conn.auth.clientId, clientSecret };
  const refreshToken = await resolveCredential(conn.auth.refreshToken, { ...base, what: `${conn.name} auth.refreshToken` }).catch((err: unknown) => {
    // Only a refresh token that is not there (never stored, or its variable unset) calls for
    // `auth zoho`; a master key that is missing or wrong, or an unreadable state, keep their code.
    if (err instanceof MlError && (err.code === 'SECRET_NOT_FOUND' || err.code === 'CONFIG_UNSET_ENV')) {
      throw new MlError('ZOHO_REAUTH_REQUIRED', err.message, {
        meta: err.meta,
        hint: `run ml-connector auth zoho to obtain a refresh token (it stores it and says where the config should read it)${err.hint ? `; or ${err.hint}` : ''}`,
        cause: err,
      });
    }
    throw err;
  });
  return { clientId: conn.auth.clientId, clientSecret, refreshToken };
}
