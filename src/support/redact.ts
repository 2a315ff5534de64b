/**
 * Keeps secrets out of everything a person or a file can see. Two layers:
 * - every credential value resolved at run time is registered here, and `scrub` replaces any
 *   occurrence of it in a string (log lines, error messages, audit rows);
 * - keys that name secrets (password, client_secret, refresh_token, ...) are masked in objects
 *   and in URL query strings whatever their value.
 */
const registered = new Set<string>();

const SECRET_KEY = /^(password|passwd|pwd|secret|client_secret|clientsecret|refresh_token|refreshtoken|access_token|accesstoken|token|code|authorization|api_key|apikey|master_key)$/i;

export const MASK = '***';

/** Remember a secret value so that `scrub` removes it wherever it appears. Short values are ignored. */
export function registerSecret(value: string | undefined): void {
  if (value !== undefined && value.length >= 6) registered.add(value);
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.replace(/[-\s]/g, '_'));
}

/** Replace every registered secret value in `text` with ***. */
export function scrub(text: string): string {
  let out = text;
  for (const secret of registered) {
    if (out.includes(secret)) out = out.split(secret).join(MASK);
  }
  return out;
}

/** A URL safe to show: credentials in userinfo and secret-named query parameters masked. */
export function safeUrl(url: string | URL): string {
  let u: URL;
  try {
    u = new URL(String(url));
  } catch {
    return scrub(String(url));
  }
  if (u.username || u.password) {
    u.username = '';
    u.password = '';
  }
  for (const key of [...u.searchParams.keys()]) {
    if (isSecretKey(key)) u.searchParams.set(key, MASK);
  }
  return scrub(u.toString().replace(/%2A%2A%2A/g, MASK));
}

/** A deep copy of `value` with secret-named keys masked and registered secrets scrubbed. */
export function redact<T>(value: T): T {
  if (typeof value === 'string') return scrub(value) as T;
  if (Array.isArray(value)) return value.map((v) => redact(v)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = isSecretKey(k) && v !== undefined && v !== null && v !== '' ? MASK : redact(v);
    }
    return out as T;
  }
  return value;
}
