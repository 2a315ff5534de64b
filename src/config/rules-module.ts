/**
 * Several mappings into one Zoho module (of one connection) are allowed when no Zoho record can
 * be written by two of them:
 * - two mappings of the same source (connection + entity) need scopes (`source.include`) that
 *   provably cannot overlap: employees `PER_ORG = EMP` and contractors `PER_ORG = CWR`;
 * - mappings of different sources need different external-id fields, since keys of two sources in
 *   one field could name the same record, and none may write another's external-id field.
 * Disjointness is proved, not guessed: conditions on the same field whose allowed values cannot
 * meet. Anything else (no include, different fields) is reported with both places named.
 */
import type { IssueList, Entry, Path } from './rule-context.js';
import { arr, obj, placeOf, str } from './rule-context.js';
import type { Registry } from './rules-mapping.js';

/** The values a condition lets through: only these, or all but these. BLANK stands for an empty field. */
type Allowed = { only: Set<string> } | { except: Set<string> };
const BLANK = '\u0000blank';

const text = (v: unknown): string | undefined => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);

function intersect(a: Allowed, b: Allowed): Allowed {
  if ('only' in a && 'only' in b) return { only: new Set([...a.only].filter((v) => b.only.has(v))) };
  if ('only' in a && 'except' in b) return { only: new Set([...a.only].filter((v) => !b.except.has(v))) };
  if ('except' in a && 'only' in b) return intersect(b, a);
  return { except: new Set([...(a as { except: Set<string> }).except, ...(b as { except: Set<string> }).except]) };
}

/** What `matchCondition` accepts, as a set: equals/in never accept a blank, notEquals/notIn do. */
function allowedBy(c: Record<string, unknown>): Allowed {
  let out: Allowed = { except: new Set() };
  const values = (v: unknown): string[] => arr(v).map(text).filter((s): s is string => s !== undefined && s !== '');
  const eq = text(c.equals);
  if (eq !== undefined) out = intersect(out, { only: new Set(eq === '' ? [] : [eq]) });
  const ne = text(c.notEquals);
  if (ne !== undefined) out = intersect(out, { except: new Set([ne]) });
  if (c.in !== undefined) out = intersect(out, { only: new Set(values(c.in)) });
  if (c.notIn !== undefined) out = intersect(out, { except: new Set(values(c.notIn)) });
  if (c.empty === true) out = intersect(out, { only: new Set([BLANK]) });
  if (c.empty === false) out = intersect(out, { except: new Set([BLANK]) });
  return out;
}

/** True when no record can satisfy both conditions (each a test on one source field). */
export function scopesDisjoint(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): boolean {
  if (a === undefined || b === undefined || str(a.field) === undefined || a.field !== b.field) return false;
  const both = intersect(allowedBy(a), allowedBy(b));
  return 'only' in both && both.only.size === 0;
}

interface Target {
  m: Entry;
  key: string;
  /** `connection/entity`, or `static:<mapping>`: records of one source can be the same record. */
  source: string;
  sourceLabel: string;
  include: Record<string, unknown> | undefined;
  external: string | undefined;
}

function targetOf(m: Entry): Target | undefined {
  const target = obj(m.value.target);
  const conn = str(target?.connection);
  const module = str(target?.module);
  if (conn === undefined || module === undefined) return undefined;
  const source = obj(m.value.source);
  const isStatic = source?.static !== undefined;
  const psSource = `${str(source?.connection) ?? '?'}/${str(source?.entity) ?? '?'}`;
  return {
    m,
    key: `${conn}\u0000${module}`,
    source: isStatic ? `static:${m.name}` : psSource,
    sourceLabel: isStatic ? 'its static records' : `${str(source?.entity) ?? '?'} of ${str(source?.connection) ?? '?'}`,
    include: isStatic ? undefined : obj(source?.include),
    external: str(obj(m.value.externalId)?.field),
  };
}

function describeInclude(m: Entry, include: Record<string, unknown> | undefined): string {
  return include === undefined ? `'${m.name}' has no source.include` : `'${m.name}' at ${placeOf(m.pd, ['source', 'include'])}`;
}

/** Mappings sharing a module: disjoint scopes for one source, own external-id fields for different sources. */
export function checkModuleSharing(reg: Registry, issues: IssueList): void {
  const byModule = new Map<string, Target[]>();
  for (const m of reg.mappings.values()) {
    const t = targetOf(m);
    if (t === undefined) continue;
    const list = byModule.get(t.key) ?? [];
    list.push(t);
    byModule.set(t.key, list);
  }
  for (const list of byModule.values()) {
    list.forEach((b, i) => {
      const target = obj(b.m.value.target);
      const where = `${str(target?.module)} (connection '${str(target?.connection)}')`;
      for (const a of list.slice(0, i)) {
        if (a.source === b.source) {
          if (scopesDisjoint(a.include, b.include)) continue;
          const path: Path = b.include === undefined ? ['source'] : ['source', 'include'];
          issues.add(b.m.pd, path, 'CONFIG_SCOPE_OVERLAP',
            `mappings '${a.m.name}' and '${b.m.name}' both write ${where} from ${b.sourceLabel}, and their scopes can overlap (${describeInclude(a.m, a.include)}, ${describeInclude(b.m, b.include)}): a record in both would be written twice; give each a source.include on the same field with values that cannot meet, e.g. { field: PER_ORG, equals: EMP } and { field: PER_ORG, equals: CWR }`,
            { onKey: b.include === undefined });
        } else if (a.external !== undefined && a.external === b.external) {
          issues.add(b.m.pd, ['externalId', 'field'], 'CONFIG_FIELD_CONFLICT',
            `${str(target?.module)}.${b.external} (connection '${str(target?.connection)}') is also the external-id field of mapping '${a.m.name}' (${placeOf(a.m.pd, ['externalId', 'field'])}), which reads ${a.sourceLabel}: keys of two sources in one field could name the same Zoho record; give each source its own external-id field`);
        }
      }
      // No mapping may write the field another one identifies its records by.
      arr(b.m.value.fields).forEach((f, j) => {
        const to = str(obj(f)?.to);
        const owner = to === undefined || to === b.external ? undefined : list.find((a) => a !== b && a.external === to);
        if (owner === undefined) return;
        issues.add(b.m.pd, ['fields', j, 'to'], 'CONFIG_FIELD_CONFLICT',
          `${str(target?.module)}.${to} (connection '${str(target?.connection)}') is the external-id field of mapping '${owner.m.name}' (${placeOf(owner.m.pd, ['externalId', 'field'])}): another mapping must not write it, or it would change which record is whose`);
      });
    });
  }
}
