/**
 * Which state database: a SQLite file (the default) or a schema in a PostgreSQL database. Parsed
 * from `--state`, `state migrate --from/--to` and the Project's `state` section.
 */
import { StateError } from './errors.js';
import { registerSecret, safeUrl, scrub } from '../support/redact.js';

export interface SqliteTarget {
  backend: 'sqlite';
  /** A file path, or `:memory:`. */
  path: string;
}

/**
 * `disable`: no TLS. `require`: encrypted, the server's certificate not checked (libpq's
 * `require`). `verify-full`: encrypted, certificate checked against the CA (the system's, or
 * `caFile`) and the host name.
 */
export type PostgresTlsMode = 'disable' | 'require' | 'verify-full';

export interface PostgresTls {
  mode: PostgresTlsMode;
  caFile?: string;
  /** Client certificate and key, for servers that authenticate clients by certificate. */
  certFile?: string;
  keyFile?: string;
}

export interface PostgresTarget {
  backend: 'postgres';
  /** `postgres://user:password@host:5432/database`: holds a credential, never shown as is. */
  url: string;
  /** The schema holding this project's tables, so several projects can share one database. */
  schema: string;
  /** Default: `verify-full`, except `disable` for a server on a loopback address or Unix socket. */
  tls?: PostgresTls;
  /** Connections in the pool, besides one per held lock. Default 4. */
  maxConnections?: number;
  connectTimeoutMs?: number;
  /** Server-side limit per statement (`statement_timeout`). Default 120 s. */
  statementTimeoutMs?: number;
}

export type StateTarget = SqliteTarget | PostgresTarget;

export const DEFAULT_POSTGRES_SCHEMA = 'ml_connector';
/** Lower-case identifiers only: they never need quoting rules beyond "…" and cannot inject SQL. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function isPostgresUrl(text: string): boolean {
  return /^postgres(ql)?:\/\//i.test(text);
}

export function checkSchemaName(schema: string, where: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new StateError('STATE_TARGET_INVALID', `${where}: "${schema.slice(0, 70)}" is not a usable PostgreSQL schema name.`, {
      meta: { schema: schema.slice(0, 70) },
      hint: 'Use lower-case letters, digits and _ (starting with a letter or _), at most 63 characters, e.g. ml_connector_prod.',
    });
  }
  return schema;
}

/**
 * `sqlite:PATH`, `postgres:URL`, a `postgres://` / `postgresql://` URL (`?schema=NAME` picks the
 * schema), or a plain file path (kept as written; resolve it first if it must be absolute).
 */
export function parseStateTarget(text: string): StateTarget {
  const trimmed = text.trim();
  if (trimmed.startsWith('sqlite:') && !trimmed.startsWith('sqlite://')) {
    const path = trimmed.slice('sqlite:'.length);
    if (path === '') throw new StateError('STATE_TARGET_INVALID', '`sqlite:` needs a file path after it.', { hint: 'Write sqlite:.ml-connector/state.db' });
    return { backend: 'sqlite', path };
  }
  const url = trimmed.startsWith('postgres:') && !isPostgresUrl(trimmed) ? trimmed.slice('postgres:'.length) : trimmed;
  if (isPostgresUrl(url)) return postgresTarget(url);
  if (trimmed.startsWith('postgres:')) {
    throw new StateError('STATE_TARGET_INVALID', 'A PostgreSQL state must be a URL such as postgres://user@host:5432/database.', {
      hint: 'Write postgres:postgres://USER:PASSWORD@HOST:5432/DATABASE?schema=NAME, or put the URL in ML_CONNECTOR_STATE_URL.',
    });
  }
  return { backend: 'sqlite', path: text };
}

/** A PostgreSQL target from a URL; its `schema` query parameter (ours, not libpq's) is taken out. */
export function postgresTarget(url: string, defaults: Omit<Partial<PostgresTarget>, 'backend' | 'url'> = {}): PostgresTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new StateError('STATE_TARGET_INVALID', `The PostgreSQL URL ${safeUrl(url)} cannot be parsed.`, {
      hint: 'Write it as postgres://USER:PASSWORD@HOST:5432/DATABASE (percent-encode special characters in the password).',
    });
  }
  if (u.password) registerSecret(decodeURIComponent(u.password));
  registerSecret(url);
  const schema = u.searchParams.get('schema') ?? defaults.schema ?? DEFAULT_POSTGRES_SCHEMA;
  u.searchParams.delete('schema');
  return { ...defaults, backend: 'postgres', url: u.toString(), schema: checkSchemaName(schema, 'The state URL') };
}

/** For messages, plans and `state show`: never the password. */
export function describeTarget(t: StateTarget): string {
  if (t.backend === 'sqlite') return t.path;
  const u = new URL(t.url);
  const user = u.username ? `${decodeURIComponent(u.username)}@` : '';
  // Host, port and database only: query parameters may carry a password or key file paths.
  return scrub(`postgres://${user}${u.host}${u.pathname} (schema ${t.schema})`);
}
