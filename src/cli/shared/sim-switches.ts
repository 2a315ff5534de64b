import { MlError } from '../../support/errors.js';
import { DEFAULT_PEOPLESOFT_QUIRKS, type Fault } from '../../sim/peoplesoft/index.js';
import type { ZohoFault } from '../../sim/zoho/index.js';
import { DEFAULT_QUIRKS as DEFAULT_ZOHO_QUIRKS } from '../../sim/zoho/org.js';

/**
 * `ml-connector sim`'s switches for the simulators' failure modes, parsed from the command line:
 * quirks (`--zoho-quirk unknownFields=ignore`) and faults (`--zoho-fault status=429,times=3,kind=upsert`).
 * Names and value types are checked against the simulators' own defaults, so a typo is an error
 * that lists what exists, not a switch silently ignored.
 */

type Scalar = string | number | boolean;

function parseScalar(text: string, like: unknown, what: string): Scalar {
  if (typeof like === 'boolean' || like === undefined) {
    if (text === 'true' || text === '') return true;
    if (text === 'false') return false;
    if (typeof like === 'boolean') throw invalid(`${what} takes true or false`, text);
  }
  if (typeof like === 'number' || (like === undefined && /^-?\d+(\.\d+)?$/.test(text))) {
    const n = Number(text);
    if (!Number.isFinite(n)) throw invalid(`${what} takes a number`, text);
    return n;
  }
  return text;
}

function invalid(message: string, got: string, hint?: string): MlError {
  return new MlError('CLI_INVALID_OPTION', `${message} (got "${got}").`, { meta: { value: got }, ...(hint ? { hint } : {}) });
}

/** `name=value` pairs for one simulator's quirks, typed like its defaults. */
export function parseQuirks(specs: readonly string[] | undefined, defaults: Record<string, unknown>, option: string): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  for (const spec of specs ?? []) {
    const [name = '', ...rest] = spec.split('=');
    if (!(name in defaults)) {
      throw invalid(`${option}: there is no quirk "${name}"`, spec, `Known quirks: ${Object.keys(defaults).join(', ')} (docs/simulators.md, docs/simulator-zoho.md).`);
    }
    out[name] = parseScalar(rest.join('='), defaults[name], `${option} ${name}`);
  }
  return out;
}

export interface FaultSpec {
  at?: 'next' | number | { kind: string; module?: string };
  [key: string]: unknown;
}

/**
 * `status=429,times=3,kind=upsert,module=Contacts` or `reset,at=5`: one injected fault. `kind`
 * (and `module`) say which requests it strikes, `at` a request number; without either it strikes
 * the next request.
 */
export function parseFault(spec: string, allowed: readonly string[], kinds: readonly string[], option: string): FaultSpec {
  const fault: FaultSpec = {};
  let kind: string | undefined;
  let module: string | undefined;
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [key = '', ...rest] = part.split('=');
    const value = rest.join('=');
    if (key === 'kind') kind = value;
    else if (key === 'module') module = value;
    else if (key === 'at') fault.at = value === 'next' ? 'next' : Number(value);
    else if (allowed.includes(key)) fault[key] = parseScalar(value, undefined, `${option} ${key}`);
    else throw invalid(`${option}: unknown fault setting "${key}"`, spec, `Use ${['kind', 'module', 'at', ...allowed].join(', ')}, e.g. ${option} status=429,times=3,kind=upsert`);
  }
  if (kind !== undefined && !kinds.includes(kind)) throw invalid(`${option}: unknown request kind "${kind}"`, spec, `Kinds: ${kinds.join(', ')}.`);
  if (kind !== undefined) fault.at = { kind, ...(module ? { module } : {}) };
  if (typeof fault.at === 'number' && !Number.isInteger(fault.at)) throw invalid(`${option}: at= takes a request number or "next"`, spec);
  return fault;
}

/** A whole-number option within bounds, or undefined when not given. */
export function parseNumberOption(name: string, value: string | undefined, min: number, max: number, integer = true): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new MlError('CLI_INVALID_OPTION', `--${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max} (got "${value}").`, { meta: { [name]: value } });
  }
  return n;
}

/** `export NAME='value'` lines for a POSIX shell (single quotes: nothing in them is expanded). */
export function renderExports(env: Record<string, string>): string {
  return Object.entries(env).map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`).join('\n') + '\n';
}

/** A .env file (dotenv syntax: `NAME="value"`), as `node --env-file`, docker and systemd's EnvironmentFile read it. */
export function renderDotEnv(env: Record<string, string>, comment: string): string {
  const lines = Object.entries(env).map(([k, v]) => (/^[\w./:@+-]*$/.test(v) ? `${k}=${v}` : `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`));
  return `# ${comment}\n${lines.join('\n')}\n`;
}

const ZOHO_FAULT_KEYS = ['times', 'status', 'retryAfterSec', 'reset', 'truncatedJson', 'delayMs', 'revokeRefreshToken'];
const PS_FAULT_KEYS = ['times', 'status', 'retryAfter', 'delayMs', 'reset', 'ibError', 'zeroRows'];
const ZOHO_KINDS = ['token', 'auth', 'revoke', 'list', 'get', 'upsert', 'insert', 'update', 'delete', 'search', 'coql', 'count', 'deleted', 'fields', 'modules', 'users', 'org', 'watch', 'notify'];
const PS_KINDS = ['qas', 'employee-changes', 'ci-find', 'ci-get', 'oauth-token', 'oauth-keys', 'oauth-metadata'];
const EDITIONS = ['free', 'standard', 'professional', 'enterprise', 'ultimate'];


/** `{ [key]: value }` when the value is given, `{}` otherwise (exactOptionalPropertyTypes). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Latency, error rates, editions, quirks and faults given on the command line. */
export interface SimSwitches {
  zoho: { latencyMs?: number; jitterMs?: number; errorRate?: number; dailyCredits?: number; concurrencyLimit?: number; edition?: string; customFields?: boolean; quirks: Record<string, unknown> };
  zohoFaults: ZohoFault[];
  peoplesoft: { latencyMs?: number; jitterMs?: number; errorRate?: number; quirks: Record<string, unknown> };
  peoplesoftFaults: Fault[];
}

/** The simulator flags of `sim`, as its options give them (strings from commander). */
export interface SimSwitchOptions {
  zohoLatency?: string;
  zohoJitter?: string;
  zohoErrorRate?: string;
  zohoEdition?: string;
  zohoDailyCredits?: string;
  zohoConcurrency?: string;
  zohoFreshOrg?: boolean;
  zohoQuirk?: string[];
  zohoFault?: string[];
  peoplesoftLatency?: string;
  peoplesoftJitter?: string;
  peoplesoftErrorRate?: string;
  peoplesoftQuirk?: string[];
  peoplesoftFault?: string[];
}

/** Every simulator flag checked and typed, or a CLI_INVALID_OPTION that says what exists. */
export function parseSimSwitches(opts: SimSwitchOptions): SimSwitches {
  if (opts.zohoEdition !== undefined && !EDITIONS.includes(opts.zohoEdition)) {
    throw new MlError('CLI_INVALID_OPTION', `Unknown --zoho-edition "${opts.zohoEdition}".`, { hint: `Use one of ${EDITIONS.join(', ')}.` });
  }
  return {
    zoho: {
      ...optional('latencyMs', parseNumberOption('zoho-latency', opts.zohoLatency, 0, 60_000)),
      ...optional('jitterMs', parseNumberOption('zoho-jitter', opts.zohoJitter, 0, 60_000)),
      ...optional('errorRate', parseNumberOption('zoho-error-rate', opts.zohoErrorRate, 0, 1, false)),
      ...optional('dailyCredits', parseNumberOption('zoho-daily-credits', opts.zohoDailyCredits, 1, 10_000_000)),
      ...optional('concurrencyLimit', parseNumberOption('zoho-concurrency', opts.zohoConcurrency, 1, 100)),
      ...optional('edition', opts.zohoEdition),
      ...(opts.zohoFreshOrg ? { customFields: false } : {}),
      quirks: parseQuirks(opts.zohoQuirk, DEFAULT_ZOHO_QUIRKS, '--zoho-quirk'),
    },
    zohoFaults: (opts.zohoFault ?? []).map((f) => parseFault(f, ZOHO_FAULT_KEYS, ZOHO_KINDS, '--zoho-fault') as ZohoFault),
    peoplesoft: {
      ...optional('latencyMs', parseNumberOption('peoplesoft-latency', opts.peoplesoftLatency, 0, 60_000)),
      ...optional('jitterMs', parseNumberOption('peoplesoft-jitter', opts.peoplesoftJitter, 0, 60_000)),
      ...optional('errorRate', parseNumberOption('peoplesoft-error-rate', opts.peoplesoftErrorRate, 0, 1, false)),
      quirks: parseQuirks(opts.peoplesoftQuirk, { ...DEFAULT_PEOPLESOFT_QUIRKS, maxRowsCap: 0 }, '--peoplesoft-quirk'),
    },
    peoplesoftFaults: (opts.peoplesoftFault ?? []).map((f) => parseFault(f, PS_FAULT_KEYS, PS_KINDS, '--peoplesoft-fault') as Fault),
  };
}
