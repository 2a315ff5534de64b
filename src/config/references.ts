import { ConfigError, MlError } from '../support/errors.js';
import { registerSecret } from '../support/redact.js';

/** `${env:NAME}` or `${env:NAME:-default}` anywhere in a string. */
const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
/** What a credential field may hold: exactly one reference. */
const CREDENTIAL_REF = /^\$\{(env|secret):([A-Za-z_][A-Za-z0-9_.-]*)\}$/;

export type Env = Record<string, string | undefined>;

export interface EnvUse {
  pointer: string;
  name: string;
}

export interface ResolveResult {
  value: unknown;
  /** References without default whose variable is unset or empty: left as written. */
  unset: EnvUse[];
  /** `${secret:...}` in fields that are not credentials. */
  secretOutside: string[];
  /** Pointers of strings that changed, so they can be validated again with their real values. */
  changed: Set<string>;
}

/** Replace env references in one string; unset ones without default stay as written. */
export function expandEnv(text: string, env: Env, onUnset?: (name: string) => void): string {
  return text.replace(ENV_REF, (ref, name: string, fallback: string | undefined) => {
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (fallback !== undefined) return fallback;
    onUnset?.(name);
    return ref;
  });
}

/**
 * Resolve `${env:...}` in every string of a document except credential fields, which stay as
 * references until a command needs them (see resolveCredential): the loaded config can be
 * logged, digested and planned without ever holding a secret.
 */
export function resolveEnvRefs(value: unknown, credentials: ReadonlySet<string>, env: Env): ResolveResult {
  const unset: EnvUse[] = [];
  const secretOutside: string[] = [];
  const changed = new Set<string>();
  const walk = (v: unknown, pointer: string): unknown => {
    if (typeof v === 'string') {
      if (credentials.has(pointer)) return v;
      if (v.includes('${secret:')) secretOutside.push(pointer);
      if (!v.includes('${env:')) return v;
      const out = expandEnv(v, env, (name) => unset.push({ pointer, name }));
      if (out !== v) changed.add(pointer);
      return out;
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, `${pointer}/${i}`));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) out[k] = walk(item, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      return out;
    }
    return v;
  };
  return { value: walk(value, ''), unset, secretOutside, changed };
}

/** Where credentials come from besides the environment: the encrypted store of `ml-connector secrets`. */
export interface SecretSource {
  get(name: string): Promise<string>;
}

export interface CredentialContext {
  env?: Env;
  secrets?: SecretSource;
  /** What needs it, for messages, e.g. `peoplesoft-hcm auth.password`. */
  what: string;
}

/**
 * Resolve one credential reference when a command needs it. The value is registered with the
 * redactor, so it is scrubbed from every log line and error from then on.
 */
export async function resolveCredential(ref: string, ctx: CredentialContext): Promise<string> {
  const m = CREDENTIAL_REF.exec(ref);
  if (m === null) {
    throw new ConfigError('CONFIG_LITERAL_SECRET', `${ctx.what} is not a reference: secrets do not belong in git`, {
      meta: { what: ctx.what },
      hint: 'use ${env:NAME} or ${secret:NAME} in the configuration',
    });
  }
  const [, source, name = ''] = m;
  if (source === 'env') {
    const value = (ctx.env ?? process.env)[name];
    if (value === undefined || value === '') {
      throw new ConfigError('CONFIG_UNSET_ENV', `${ctx.what} needs the environment variable ${name}, which is not set`, {
        meta: { what: ctx.what, variable: name },
        hint: `set ${name} in the environment (or store it with \`ml-connector secrets set ${name}\` and write \${secret:${name}})`,
      });
    }
    registerSecret(value);
    return value;
  }
  if (ctx.secrets === undefined) {
    throw new ConfigError('SECRET_UNAVAILABLE', `${ctx.what} needs the stored secret ${name}, but no secret store is open`, {
      meta: { what: ctx.what, secret: name },
      hint: 'run the command where the state database and its master key (ML_CONNECTOR_MASTER_KEY) are available',
    });
  }
  let value: string;
  try {
    value = await ctx.secrets.get(name);
  } catch (err) {
    const inner = err instanceof Error ? err.message : String(err);
    // A coded problem keeps its code and hint (MASTER_KEY_MISSING, MASTER_KEY_WRONG,
    // SECRET_NOT_FOUND, STATE_NOT_FOUND...): each needs a different fix, and callers (the Zoho
    // connector's "re-authorize" for a missing refresh token) decide by it.
    const coded = err instanceof MlError ? err : undefined;
    throw new ConfigError(coded?.code ?? 'SECRET_UNAVAILABLE', `${ctx.what} needs the stored secret ${name}: ${inner}`, {
      meta: { ...(coded?.meta ?? {}), what: ctx.what, secret: name },
      hint: coded?.hint ?? `store it with \`ml-connector secrets set ${name}\``,
      cause: err,
    });
  }
  registerSecret(value);
  return value;
}

/**
 * A loaded non-credential value that a command is about to use: throws CONFIG_UNSET_ENV when it
 * still holds an `${env:NAME}` whose variable was not set at load time.
 */
export function requireResolved(value: string, what: string): string {
  const m = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/.exec(value);
  if (m === null) return value;
  throw new ConfigError('CONFIG_UNSET_ENV', `${what} needs the environment variable ${m[1] ?? ''}, which is not set`, {
    meta: { what, variable: m[1] },
    hint: `set ${m[1] ?? ''} in the environment, or give a default in the configuration: \${env:${m[1] ?? ''}:-value}`,
  });
}

export function isCredentialRef(value: string): boolean {
  return CREDENTIAL_REF.test(value);
}
