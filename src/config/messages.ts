import type { ErrorObject } from 'ajv/dist/2020.js';
import { formatPath } from './issues.js';
import { didYouMean, suggest } from './suggest.js';

type Schema = Record<string, unknown>;

/** A schema error turned into something a user can act on, still without a file position. */
export interface SchemaProblem {
  path: (string | number)[];
  code: string;
  message: string;
  /** Point at the key rather than the value (unknown keys). */
  onKey: boolean;
  /** For an unknown key: the defined key it is probably a typo of. */
  suggested?: string;
  /** For a missing field: its name. */
  missing?: string;
}

/** JSON pointer → path segments, numbers where the data is an array. */
export function pointerToPath(pointer: string, root: unknown): (string | number)[] {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let cur: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      const i = Number(seg);
      out.push(i);
      cur = cur[i];
    } else {
      out.push(seg);
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

/** How a value is shown in a message: strings quoted, long values cut. */
export function show(value: unknown): string {
  const text = typeof value === 'string' ? `'${value}'` : JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function describeType(value: unknown): string {
  if (value === null) return 'nothing (an empty value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number') return Number.isInteger(value) ? `a number (${value})` : `a number (${value})`;
  return `a ${typeof value} (${show(value)})`;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false',
  object: 'a mapping (key: value lines)', array: 'a list', null: 'nothing',
};

function expectedTypes(type: unknown): string {
  const list = Array.isArray(type) ? type : [type];
  return list.map((t) => TYPE_WORDS[String(t)] ?? String(t)).join(' or ');
}

/** First sentence of a schema description, for "what would be valid" ("e.g." does not end it). */
function firstSentence(description: unknown): string | undefined {
  if (typeof description !== 'string') return undefined;
  for (const m of description.matchAll(/\.(\s|$)/g)) {
    const end = m.index ?? 0;
    if (/\b(e\.g|i\.e|etc)$/.test(description.slice(0, end))) continue;
    return description.slice(0, end + 1);
  }
  return description;
}

/** The name a user would give the value: its full path, e.g. `auth.type` or `fields[3].from`. */
function label(path: readonly (string | number)[]): string {
  return path.length === 0 ? 'the document' : formatPath(path);
}

function where(path: readonly (string | number)[]): string {
  return path.length === 0 ? '' : ` in ${formatPath(path)}`;
}

function typeHint(expected: unknown, data: unknown): string {
  const exp = Array.isArray(expected) ? expected : [expected];
  if (typeof data === 'string' && (exp.includes('integer') || exp.includes('number')) && /^-?\d+(\.\d+)?$/.test(data.trim())) {
    return `: write ${data.trim()} without quotes`;
  }
  if (typeof data === 'string' && exp.includes('boolean') && /^(true|false)$/i.test(data.trim())) return `: write ${data.trim().toLowerCase()} without quotes`;
  if ((typeof data === 'number' || typeof data === 'boolean') && exp.includes('string')) return `: put it in quotes, e.g. "${String(data)}"`;
  return '';
}

/** One ajv error (after oneOf collapsing) → a problem. */
function describe(e: ErrorObject, root: unknown, kind: string): SchemaProblem | undefined {
  const path = pointerToPath(e.instancePath, root);
  const parent = (e.parentSchema ?? {}) as Schema;
  const data = e.data;
  const p = e.params as Record<string, unknown>;
  const name = label(path);
  const problem = (code: string, message: string, at = path, onKey = false): SchemaProblem => ({ path: at, code, message, onKey });
  switch (e.keyword) {
    case 'required': {
      const missing = String(p.missingProperty);
      const props = (parent.properties ?? {}) as Record<string, Schema>;
      const disc = (parent.discriminator as { propertyName?: string } | undefined)?.propertyName;
      let tail = firstSentence(props[missing]?.description) ?? '';
      if (disc === missing) tail = `use one of ${discriminatorValues(parent, disc).join(', ')}`;
      const code = kind === 'Mapping' && path.length === 0 && missing === 'externalId' ? 'CONFIG_EXTERNAL_ID' : 'CONFIG_MISSING_FIELD';
      const whereText = path.length === 0 ? ` in this ${kind}` : where(path);
      return { ...problem(code, `missing required field '${missing}'${whereText}${tail ? `: ${tail}` : ''}`, path, true), missing };
    }
    case 'additionalProperties': {
      const extra = String(p.additionalProperty);
      const known = Object.keys((parent.properties ?? {}) as Record<string, unknown>);
      const near = suggest(extra, known);
      const hint = near !== undefined ? `: did you mean '${near}'?` : known.length > 0 ? `: valid keys are ${known.join(', ')}` : ': this mapping takes no keys';
      const out = problem('CONFIG_UNKNOWN_KEY', `unknown key '${extra}'${path.length === 0 ? ` in ${kind}` : where(path)}${hint}`, [...path, extra], true);
      return near === undefined ? out : { ...out, suggested: near };
    }
    case 'enum': {
      const hidden = new Set((parent['x-unconfirmed'] as unknown[] | undefined) ?? []);
      const allowed = ((p.allowedValues as unknown[]) ?? []).filter((v) => !hidden.has(v));
      const dym = typeof data === 'string' ? didYouMean(data, allowed.map(String)) : '';
      const what = typeof path[path.length - 1] === 'number' ? `value ${show(data)} in ${label(path.slice(0, -1))}` : `${name} ${show(data)}`;
      return problem('CONFIG_INVALID_VALUE', `unknown ${what}: use one of ${allowed.join(', ')}${dym}`);
    }
    case 'const':
      return problem('CONFIG_INVALID_VALUE', `${name} must be ${show(p.allowedValue)}, not ${show(data)}`);
    case 'type':
      if (data === null) return problem('CONFIG_WRONG_TYPE', `${name} is empty: expected ${expectedTypes(p.type)}`);
      return problem('CONFIG_WRONG_TYPE', `wrong type for ${name}: expected ${expectedTypes(p.type)}, got ${describeType(data)}${typeHint(p.type, data)}`);
    case 'pattern':
      if (parent['x-credential'] === true) {
        // Never echo the value: it is probably the secret itself.
        if (typeof data === 'string' && /^\$\{env:[^}]*:-/.test(data)) {
          return problem('CONFIG_LITERAL_SECRET', `${formatPath(path)} has a default value: a default would be a secret in git: use \${env:NAME} or \${secret:NAME} without default`);
        }
        return problem('CONFIG_LITERAL_SECRET', `${formatPath(path)} holds a literal value: secrets do not belong in git: use \${env:NAME} or \${secret:NAME}`);
      }
      return problem('CONFIG_INVALID_VALUE', `invalid ${name} ${show(data)}: ${firstSentence(parent.description) ?? `it must match ${String(p.pattern)}`}`);
    case 'format':
      if (p.format === 'email') return problem('CONFIG_INVALID_VALUE', `invalid email address ${show(data)}${where(path)}: write it as name@example.com`);
      return problem('CONFIG_INVALID_VALUE', `invalid ${name} ${show(data)}: expected a ${String(p.format)}`);
    case 'minimum':
    case 'exclusiveMinimum':
      return problem('CONFIG_INVALID_VALUE', `${name} ${show(data)} is too small: use ${e.keyword === 'minimum' ? 'at least' : 'more than'} ${String(p.limit)}`);
    case 'maximum':
    case 'exclusiveMaximum':
      return problem('CONFIG_INVALID_VALUE', `${name} ${show(data)} is too large: use ${e.keyword === 'maximum' ? 'at most' : 'less than'} ${String(p.limit)}`);
    case 'minLength':
      return problem('CONFIG_INVALID_VALUE', Number(p.limit) <= 1 ? `${name} is empty: give a value` : `${name} is too short: use at least ${String(p.limit)} characters`);
    case 'maxLength':
      return problem('CONFIG_INVALID_VALUE', `${name} is too long: use at most ${String(p.limit)} characters`);
    case 'minItems':
      return problem('CONFIG_INVALID_VALUE', `${name} needs at least ${String(p.limit)} item${Number(p.limit) === 1 ? '' : 's'}`);
    case 'maxItems':
      return problem('CONFIG_INVALID_VALUE', `${name} has too many items: at most ${String(p.limit)}`);
    case 'uniqueItems': {
      const item = Array.isArray(data) ? data[Number(p.i)] : undefined;
      return problem('CONFIG_INVALID_VALUE', `${name} lists ${show(item)} twice (items ${String(p.j)} and ${String(p.i)}): remove the duplicate`);
    }
    case 'minProperties': {
      const known = Object.keys((parent.properties ?? {}) as Record<string, unknown>);
      return problem('CONFIG_INVALID_VALUE', `${name} needs at least ${String(p.limit)} entr${Number(p.limit) === 1 ? 'y' : 'ies'}${known.length > 0 ? `: ${known.join(' or ')}` : ''}`);
    }
    case 'propertyNames':
      return problem('CONFIG_INVALID_VALUE', `invalid key ${show(p.propertyName)}${where(path)}: ${firstSentence(parent.description) ?? 'see the schema'}`, [...path, String(p.propertyName)], true);
    case 'discriminator': {
      const tag = String(p.tag);
      const values = discriminatorValues(parent, tag);
      if (p.error === 'tag') return problem('CONFIG_WRONG_TYPE', `${name}.${tag} must be one of ${values.join(', ')}`, [...path, tag]);
      const dym = typeof p.tagValue === 'string' ? didYouMean(p.tagValue, values) : '';
      return problem('CONFIG_INVALID_VALUE', `unknown ${name} ${tag} ${show(p.tagValue)}: use one of ${values.join(', ')}${dym}`, [...path, tag]);
    }
    case 'if':
    case 'oneOf':
    case 'anyOf':
      return undefined; // their branches' errors say more; see collapseOneOf
    default:
      return problem('CONFIG_INVALID_VALUE', `${name}: ${e.message ?? 'invalid value'}`);
  }
}

function discriminatorValues(schema: Schema, tag: string): string[] {
  const branches = (schema.oneOf ?? []) as Schema[];
  return branches
    .map((b) => ((b.properties as Record<string, Schema> | undefined)?.[tag]?.const))
    .filter((v): v is string => typeof v === 'string');
}

/**
 * A failed oneOf without a discriminator (transforms, count-or-percent) reports every branch's
 * errors. Keep only the branch the user most likely meant: the one whose type matches and that
 * has the fewest complaints; when no branch's type matches, say what types would do.
 */
function collapseOneOf(errors: ErrorObject[], root: unknown): { kept: ErrorObject[]; extra: SchemaProblem[] } {
  let remaining = [...errors];
  const extra: SchemaProblem[] = [];
  const oneOfs = errors.filter((e) => e.keyword === 'oneOf').sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const o of oneOfs) {
    if (!remaining.includes(o)) continue;
    const prefix = `${o.schemaPath}/`;
    const inside = (e: ErrorObject) => e.schemaPath.startsWith(prefix) && (e.instancePath === o.instancePath || e.instancePath.startsWith(`${o.instancePath}/`));
    const branchErrors = new Map<number, ErrorObject[]>();
    for (const e of remaining) {
      if (!inside(e)) continue;
      const i = Number(e.schemaPath.slice(prefix.length).split('/')[0]);
      branchErrors.set(i, [...(branchErrors.get(i) ?? []), e]);
    }
    const branches = (o.schema as Schema[] | undefined) ?? [];
    const score = (list: ErrorObject[]) => {
      const atRoot = list.filter((e) => e.instancePath === o.instancePath);
      if (atRoot.some((e) => e.keyword === 'type')) return Infinity;
      return atRoot.filter((e) => e.keyword === 'required' || e.keyword === 'additionalProperties').length * 10 + list.length;
    };
    let best: number | undefined;
    let bestScore = Infinity;
    for (const [i, list] of branchErrors) {
      const s = score(list);
      if (s < bestScore) { best = i; bestScore = s; }
    }
    remaining = remaining.filter((e) => e !== o && (!inside(e) || (best !== undefined && branchErrors.get(best)?.includes(e))));
    if (best === undefined && branchErrors.size > 0) {
      const path = pointerToPath(o.instancePath, root);
      const forms = branches.map((b) => firstSentence(b.description) ?? expectedTypes(b.type)).map((s) => s.replace(/\.$/, '').toLowerCase());
      extra.push({ path, code: 'CONFIG_WRONG_TYPE', onKey: false, message: `wrong type for ${label(path)}: got ${describeType(o.data)}; use ${forms.join(', or ')}` });
    } else if (branchErrors.size === 0 && (o.params as { passingSchemas?: unknown }).passingSchemas != null) {
      const path = pointerToPath(o.instancePath, root);
      extra.push({ path, code: 'CONFIG_INVALID_VALUE', onKey: false, message: `${label(path)} is ambiguous: it matches more than one form` });
    }
  }
  return { kept: remaining, extra };
}

/** All schema errors of one document as problems, deduplicated, noise collapsed. */
export function describeSchemaErrors(errors: ErrorObject[], root: unknown, kind: string): SchemaProblem[] {
  const { kept, extra } = collapseOneOf(errors, root);
  // A missing discriminator tag is reported once, by `required`.
  const missingTags = new Set(kept.filter((e) => e.keyword === 'required').map((e) => `${e.instancePath}|${String((e.params as { missingProperty?: unknown }).missingProperty)}`));
  const out: SchemaProblem[] = [...extra];
  const seen = new Set<string>();
  for (const e of kept) {
    if (e.keyword === 'discriminator' && (e.params as { error?: string }).error === 'tag' && missingTags.has(`${e.instancePath}|${String((e.params as { tag?: unknown }).tag)}`)) continue;
    const problem = describe(e, root, kind);
    if (problem === undefined) continue;
    const key = `${formatPath(problem.path)}|${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(problem);
  }
  // `baseURL:` is both an unknown key and a missing `baseUrl`: the did-you-mean says it all.
  const typos = new Set(out.filter((p) => p.suggested !== undefined).map((p) => `${formatPath(p.path.slice(0, -1))}|${p.suggested ?? ''}`));
  return out.filter((p) => p.missing === undefined || !typos.has(`${formatPath(p.path)}|${p.missing}`));
}

/** Closest kind name for an unknown `kind`. */
export function suggestKind(kind: string, kinds: readonly string[]): string | undefined {
  return suggest(kind, kinds);
}
