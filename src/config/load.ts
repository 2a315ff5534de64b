import path from 'node:path';
import { ConfigError } from '../support/errors.js';
import { buildConfig, type Config } from './config.js';
import { readConfigFiles } from './files.js';
import { formatIssue, formatPath, sortIssues, type ConfigIssue } from './issues.js';
import { describeSchemaErrors, pointerToPath, show } from './messages.js';
import { parseConfigFile, type ParsedDoc } from './parse.js';
import { resolveEnvRefs, type Env } from './references.js';
import { positionAt, type Entry } from './rule-context.js';
import { checkRules } from './rules.js';
import { loadSchemas, type KindValidator } from './schemas.js';
import { didYouMean } from './suggest.js';

export const DEFAULT_CONFIG_DIR = 'configs';

export interface LoadOptions {
  /** Environment for `${env:...}` references; default process.env. */
  env?: Env;
  /**
   * Also warn about credential fields whose `${env:NAME}` is unset (`validate --strict`: "is this
   * environment ready to run?"). Off by default: CI validates pull requests without secrets.
   */
  credentialEnv?: boolean;
}

export interface LoadResult {
  /** undefined only when no document could be loaded at all. */
  config: Config | undefined;
  issues: ConfigIssue[];
  /** The files read, as displayed in issues. */
  files: string[];
  durationMs: number;
}

function issueAt(pd: ParsedDoc, p: (string | number)[], code: string, message: string, severity: 'error' | 'warning' = 'error', onKey = false): ConfigIssue {
  const pos = positionAt(pd, p, onKey);
  return { file: pd.file.display, line: pos.line, column: pos.column, path: formatPath(p), code, severity, message };
}

function valueAt(root: unknown, p: (string | number)[]): unknown {
  let v = root;
  for (const seg of p) v = (v as Record<string | number, unknown> | undefined)?.[seg];
  return v;
}

/** Set a resolved `${env:}` string to the integer, number or boolean its schema wants; true when any was. */
function coerceEnvScalars(root: unknown, errors: readonly { keyword: string; instancePath: string; params: Record<string, unknown> }[]): boolean {
  let coerced = false;
  for (const e of errors) {
    if (e.keyword !== 'type') continue;
    const segments = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    const key = segments.pop();
    const parent = valueAt(root, segments) as Record<string, unknown> | undefined;
    const text = key === undefined ? undefined : parent?.[key];
    if (typeof text !== 'string' || key === undefined || !parent) continue;
    const wanted = String(e.params.type);
    const value = wanted === 'integer' && /^-?\d+$/.test(text) ? Number(text)
      : wanted === 'number' && text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text)
        : wanted === 'boolean' && (text === 'true' || text === 'false') ? text === 'true'
          : undefined;
    if (value === undefined) continue;
    parent[key] = value;
    coerced = true;
  }
  return coerced;
}

/**
 * A credential no command reads with this document as it resolves: the PostgreSQL URL of a
 * Project whose state backend is SQLite (`backend: ${env:ML_CONNECTOR_STATE_BACKEND:-sqlite}`).
 */
function isUnusedSection(kind: string, resolved: unknown, path: readonly (string | number)[]): boolean {
  if (kind !== 'Project' || path[0] !== 'state' || path[1] !== 'postgres') return false;
  const backend = (valueAt(resolved as Record<string, unknown>, ['state', 'backend']) ?? 'sqlite') as unknown;
  return backend !== 'postgres';
}

/**
 * Schema errors, env references and credential checks of one document. A string that uses
 * `${env:...}` is judged by its resolved value (so `region: ${env:ZOHO_REGION:-eu}` is fine and
 * `ZOHO_REGION=europe` is not); everything else by what is written.
 */
function checkDocument(pd: ParsedDoc, raw: Record<string, unknown>, validator: KindValidator, env: Env, issues: ConfigIssue[], credentialEnv: boolean): Pick<Entry, 'value' | 'unsetEnv'> {
  const first = validator.validate(raw);
  const resolved = resolveEnvRefs(raw, new Set(first.credentials), env);
  if (credentialEnv) {
    for (const pointer of first.credentials) {
      const p = pointerToPath(pointer, raw);
      const ref = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(String(valueAt(raw, p) ?? ''));
      const name = ref?.[1];
      if (name !== undefined && (env[name] === undefined || env[name] === '') && !isUnusedSection(validator.kind, resolved.value, p)) {
        issues.push(issueAt(pd, p, 'CONFIG_UNSET_CREDENTIAL', `credential ${formatPath(p)} reads \${env:${name}}, which is not set: a command that connects would fail; set ${name} (or store it with \`ml-connector secrets set\` and write \${secret:NAME})`, 'warning'));
      }
    }
  }
  const written = first.errors.filter((e) => !resolved.changed.has(e.instancePath));
  for (const p of describeSchemaErrors(written, raw, validator.kind)) {
    issues.push(issueAt(pd, p.path, p.code, p.message, 'error', p.onKey));
  }
  if (resolved.changed.size > 0) {
    let second = validator.validate(resolved.value);
    // A number or boolean from the environment arrives as text (`port: ${env:SMTP_PORT:-587}`):
    // it takes the type the schema asks for when it reads as one, and is then checked as such.
    if (coerceEnvScalars(resolved.value, second.errors.filter((e) => resolved.changed.has(e.instancePath)))) second = validator.validate(resolved.value);
    const fromEnv = second.errors.filter((e) => resolved.changed.has(e.instancePath));
    for (const p of describeSchemaErrors(fromEnv, resolved.value, validator.kind)) {
      issues.push(issueAt(pd, p.path, p.code, `${p.message} (resolved from ${show(valueAt(raw, p.path))})`, 'error', p.onKey));
    }
  }
  // Under a value the schema already rejected (e.g. an auth of unknown type, whose credential
  // fields are then not recognised), an unset-variable warning would only add noise.
  const rejected = written.map((e) => `${e.instancePath}/`);
  const unsetEnv: { path: (string | number)[]; variable: string }[] = [];
  for (const u of resolved.unset) {
    if (rejected.some((r) => u.pointer.startsWith(r))) continue;
    const p = pointerToPath(u.pointer, raw);
    unsetEnv.push({ path: p, variable: u.name });
    issues.push(issueAt(pd, p, 'CONFIG_UNSET_ENV', `\${env:${u.name}} in ${formatPath(p)} is not set and has no default: set ${u.name}, or write \${env:${u.name}:-default}`, 'warning'));
  }
  for (const pointer of resolved.secretOutside) {
    const p = pointerToPath(pointer, raw);
    issues.push(issueAt(pd, p, 'CONFIG_SECRET_OUTSIDE_CREDENTIAL', `${formatPath(p)} is not a credential field: \${secret:...} works only in credential fields (passwords, client secrets, tokens); use the value or \${env:...}`));
  }
  return { value: resolved.value as Record<string, unknown>, unsetEnv };
}

/**
 * Load every *.yaml / *.yml under `dir`: parse with positions, validate against the schemas,
 * resolve `${env:...}` (credentials stay references), check the cross-document rules. Returns
 * every issue at once, sorted by file and line; never throws for a problem in the configuration.
 */
export async function loadConfig(dir: string = DEFAULT_CONFIG_DIR, opts: LoadOptions = {}): Promise<LoadResult> {
  const started = performance.now();
  const env = opts.env ?? process.env;
  const read = await readConfigFiles(dir);
  const issues: ConfigIssue[] = [...read.issues];
  const schemas = loadSchemas();
  const entries: Entry[] = [];
  for (const file of read.files) {
    const parsed = parseConfigFile(file);
    issues.push(...parsed.issues);
    for (const pd of parsed.docs) {
      const raw = pd.value as Record<string, unknown>;
      const kind = raw.kind;
      const name = typeof raw.name === 'string' ? raw.name : undefined;
      const validator = typeof kind === 'string' ? schemas.byKind.get(kind) : undefined;
      if (validator === undefined) {
        if (pd.broken) continue;
        const list = schemas.kinds.join(', ');
        issues.push(
          kind === undefined
            ? issueAt(pd, [], 'CONFIG_UNKNOWN_KIND', `missing required field 'kind': say what this document is, one of ${list}`)
            : issueAt(pd, ['kind'], 'CONFIG_UNKNOWN_KIND', `unknown kind ${show(kind)}: use one of ${list}${typeof kind === 'string' ? didYouMean(kind, schemas.kinds) : ''}`),
        );
        continue;
      }
      if (pd.broken) {
        // Keep its name reserved so that references to it do not add noise to the YAML error.
        if (name !== undefined) entries.push({ kind: validator.kind, name, value: raw, pd, usable: false });
        continue;
      }
      const { value, unsetEnv } = checkDocument(pd, raw, validator, env, issues, opts.credentialEnv === true);
      if (name !== undefined) entries.push({ kind: validator.kind, name, value, pd, usable: true, ...(unsetEnv?.length ? { unsetEnv } : {}) });
    }
  }
  issues.push(...checkRules(entries));
  const usable = entries.filter((e) => e.usable);
  const config = usable.length > 0 ? buildConfig(path.resolve(dir), usable) : undefined;
  return {
    config,
    issues: sortIssues(issues),
    files: read.files.map((f) => f.display),
    durationMs: Math.round((performance.now() - started) * 10) / 10,
  };
}

export interface LoadValidOptions extends LoadOptions {
  /** Fail on warnings too. */
  strict?: boolean;
}

/**
 * A --config that names no directory is one mistake with one message (and "did you mean
 * 'configs'?"), not a list of configuration errors wrapped around it: throw it as itself.
 */
export function assertConfigDir(result: LoadResult, dir: string): void {
  const missing = result.issues.find((i) => i.code === 'CONFIG_DIR_NOT_FOUND');
  if (!missing || result.config !== undefined) return;
  const near = /did you mean '([^']+)'/.exec(missing.message)?.[1];
  throw new ConfigError('CONFIG_DIR_NOT_FOUND', missing.message.replace(/: (did you mean '[^']+'\?|pass --config .*)$/, ''), {
    meta: { dir },
    hint: near ? `Did you mean --config ${near}?` : 'Pass --config DIR with the directory that holds your *.yaml files (the example is configs/).',
  });
}

/** Load and throw a ConfigError (code CONFIG_INVALID, meta.issues) when there is any error. */
export async function loadValidConfig(dir: string = DEFAULT_CONFIG_DIR, opts: LoadValidOptions = {}): Promise<Config> {
  const result = await loadConfig(dir, opts);
  assertConfigDir(result, dir);
  const failing = result.issues.filter((i) => i.severity === 'error' || opts.strict === true);
  if (failing.length > 0 || result.config === undefined) {
    const shown = failing.slice(0, 5).map(formatIssue).join('\n  ');
    throw new ConfigError('CONFIG_INVALID', `the configuration in ${dir} has ${failing.length} error${failing.length === 1 ? '' : 's'}:\n  ${shown}${failing.length > 5 ? `\n  ... and ${failing.length - 5} more` : ''}`, {
      meta: { dir, issues: failing },
      hint: `run \`ml-connector validate --config ${dir}\` to see every issue`,
    });
  }
  return result.config;
}
