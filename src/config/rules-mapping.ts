import { formatPath } from './issues.js';
import { canonicalColumns, describeGap, fieldNeeds, findQueryGaps } from './source-columns.js';
import { SOURCE_FIELDS, type SourceEntity } from './source-fields.js';
import { arr, obj, placeOf, positionInScalar, str, type Entry, type IssueList, type Path } from './rule-context.js';
import { didYouMean, suggest } from './suggest.js';

export interface Registry {
  peoplesoft: Map<string, Entry>;
  zoho: Map<string, Entry>;
  mappings: Map<string, Entry>;
}

const VALUE_SOURCES = ['from', 'value', 'template', 'map', 'lookup'] as const;
const PLACEHOLDER = /\{([^{}\s]*)\}/g;

function known(names: Iterable<string>): string {
  const list = [...names];
  return list.length === 0 ? 'none is defined' : `defined: ${list.join(', ')}`;
}

/** source.connection / target.connection must name a connection of the right kind. */
function checkConnection(m: Entry, side: 'source' | 'target', reg: Registry, issues: IssueList): Entry | undefined {
  const name = str(obj(m.value[side])?.connection);
  if (name === undefined) return undefined;
  const [wanted, other, wantedKind, otherKind] =
    side === 'source'
      ? [reg.peoplesoft, reg.zoho, 'PeopleSoftConnection', 'ZohoConnection']
      : [reg.zoho, reg.peoplesoft, 'ZohoConnection', 'PeopleSoftConnection'];
  const found = wanted.get(name);
  if (found !== undefined) return found;
  const path: Path = [side, 'connection'];
  if (other.has(name)) {
    issues.add(m.pd, path, 'CONFIG_WRONG_CONNECTION_KIND', `${side}.connection '${name}' is a ${otherKind}: a mapping's ${side} must be a ${wantedKind} (${known(wanted.keys())})`);
  } else {
    const dym = didYouMean(name, [...wanted.keys()]);
    issues.add(m.pd, path, 'CONFIG_UNKNOWN_CONNECTION', `unknown ${wantedKind} '${name}' in ${side}.connection${dym || ` (${known(wanted.keys())})`}`);
  }
  return undefined;
}

/** Every place a mapping names a source field, with the path of the string that names it. */
function sourceFieldUses(m: Record<string, unknown>): { path: Path; field: string; inTemplate: boolean }[] {
  const uses: { path: Path; field: string; inTemplate: boolean }[] = [];
  const plain = (path: Path, v: unknown) => { const s = str(v); if (s !== undefined) uses.push({ path, field: s, inTemplate: false }); };
  const template = (path: Path, v: unknown) => {
    const s = str(v);
    if (s === undefined) return;
    for (const match of s.matchAll(PLACEHOLDER)) uses.push({ path, field: match[1] ?? '', inTemplate: true });
  };
  plain(['source', 'include', 'field'], obj(obj(m.source)?.include)?.field);
  plain(['externalId', 'from'], obj(m.externalId)?.from);
  arr(m.fields).forEach((f, i) => {
    const field = obj(f);
    if (field === undefined) return;
    plain(['fields', i, 'from'], field.from);
    template(['fields', i, 'template'], field.template);
    plain(['fields', i, 'map', 'from'], obj(field.map)?.from);
    template(['fields', i, 'lookup', 'key'], obj(field.lookup)?.key);
    plain(['fields', i, 'when', 'field'], obj(field.when)?.field);
  });
  return uses;
}

/** The fields static records define (every record's, plus KEY): what a static mapping may read. */
function staticFields(m: Entry): string[] {
  const names = new Set<string>(['KEY']);
  for (const r of arr(obj(m.value.source)?.static)) for (const k of Object.keys(obj(obj(r)?.fields) ?? {})) names.add(k);
  return [...names].sort();
}

function checkSourceFields(m: Entry, entity: SourceEntity | 'static', issues: IssueList): void {
  const fields: readonly string[] = entity === 'static' ? staticFields(m) : SOURCE_FIELDS[entity];
  const what = entity === 'static' ? 'the static records' : entity;
  for (const use of sourceFieldUses(m.value)) {
    if (fields.includes(use.field)) continue;
    const dym = didYouMean(use.field, fields) || (entity === 'static' ? `: the static records define ${fields.join(', ')}` : `: ${entity} fields are ${fields.join(', ')}`);
    if (use.inTemplate) {
      const at = positionInScalar(m.pd, use.path, `{${use.field}}`);
      issues.add(m.pd, use.path, 'CONFIG_UNKNOWN_SOURCE_FIELD', `template placeholder {${use.field}} is not a field of ${what}${dym}`, { at });
    } else {
      issues.add(m.pd, use.path, 'CONFIG_UNKNOWN_SOURCE_FIELD', `unknown ${entity === 'static' ? 'static record' : entity} field '${use.field}' in ${formatPath(use.path)}${dym}`);
    }
  }
}

function checkFields(m: Entry, issues: IssueList): void {
  const externalField = str(obj(m.value.externalId)?.field);
  const seen = new Map<string, number>();
  arr(m.value.fields).forEach((f, i) => {
    const field = obj(f);
    if (field === undefined) return;
    const to = str(field.to);
    const given = VALUE_SOURCES.filter((k) => k in field);
    const name = to === undefined ? `fields[${i}]` : `fields[${i}] (${to})`;
    if (given.length === 0) {
      issues.add(m.pd, ['fields', i], 'CONFIG_FIELD_SOURCE', `${name} has no value: give exactly one of from, value, template, map or lookup`);
    } else if (given.length > 1) {
      issues.add(m.pd, ['fields', i, given[1] ?? ''], 'CONFIG_FIELD_SOURCE', `${name} has both ${given.join(' and ')}: keep exactly one of from, value, template, map or lookup`, { onKey: true });
    }
    if (to === undefined) return;
    if (to === externalField) {
      issues.add(m.pd, ['fields', i, 'to'], 'CONFIG_EXTERNAL_ID', `'${to}' is the external-id field (externalId.field): ml-connector writes it from externalId.from; remove it from fields`);
    }
    const first = seen.get(to);
    if (first !== undefined) {
      issues.add(m.pd, ['fields', i, 'to'], 'CONFIG_DUPLICATE_TARGET_FIELD', `Zoho field '${to}' is written twice by this mapping (first at ${placeOf(m.pd, ['fields', first, 'to'])}): keep one entry per field`);
    } else {
      seen.set(to, i);
    }
  });
}

function checkDeactivation(m: Entry, issues: IssueList): void {
  if (Object.keys(obj(obj(m.value.deactivate)?.set) ?? {}).length > 0) return;
  const hint = "add `deactivate: { set: { Field: Value } }` to say what deactivating a Zoho record means";
  const lifecycle = obj(m.value.lifecycle) ?? {};
  for (const [event, policy] of Object.entries(lifecycle)) {
    if (obj(policy)?.action === 'deactivate') {
      issues.add(m.pd, ['lifecycle', event, 'action'], 'CONFIG_DEACTIVATE_UNDEFINED', `lifecycle.${event} deactivates, but the mapping has no deactivate.set: ${hint}`);
    }
  }
  const onRemove = m.value.onRemove;
  if (onRemove === undefined) {
    issues.add(m.pd, ['name'], 'CONFIG_DEACTIVATE_UNDEFINED', `mapping '${m.name}' deactivates removed records (onRemove defaults to deactivate) but has no deactivate.set: ${hint}, or set onRemove: ignore`);
  } else if (onRemove === 'deactivate') {
    issues.add(m.pd, ['onRemove'], 'CONFIG_DEACTIVATE_UNDEFINED', `onRemove is deactivate but the mapping has no deactivate.set: ${hint}`);
  }
}

const DEFAULT_GUARDS = ['maxDeactivations', 'minSourceRows', 'maxDrop'];

/** A guard that is on by default and turned off here lets a broken extract through: say so. */
function checkGuardsOff(m: Entry, issues: IssueList): void {
  for (const [name, value] of Object.entries(obj(m.value.guards) ?? {})) {
    // maxChanges has no default: off is what leaving it out means.
    if (value !== 'off' || !DEFAULT_GUARDS.includes(name)) continue;
    issues.add(m.pd, ['guards', name], 'CONFIG_GUARD_OFF', `guards.${name} is off for mapping '${m.name}': this guard, on by default, no longer stops a run whose source looks truncated (mass deactivations); remove the line to use the default`, { severity: 'warning' });
  }
}

/**
 * Source fields the mapping reads that its reader cannot feed, as far as the configuration tells:
 * the canonical columns a query or operation returns (vendor rows carry no contacts, for one).
 */
function checkSourceFed(m: Entry, ps: Entry, entity: SourceEntity, issues: IssueList): void {
  const reader = obj(obj(ps.value.readers)?.[entity]);
  if (reader === undefined || (reader.kind !== 'qas' && reader.kind !== 'rest')) return;
  const norm = obj(ps.value.normalization) ?? {};
  const strings = (v: unknown, fallback: string[]): string[] => (Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : fallback);
  const choices = {
    emailTypes: strings(norm.emailTypes, ['BUSN', 'HOME']),
    phoneTypes: strings(norm.phoneTypes, ['CELL', 'BUSN', 'HOME']),
    cursorField: str(obj(reader.changeDetection)?.cursorField) ?? 'LASTUPDDTTM',
  };
  const present = new Set(canonicalColumns(entity, choices));
  const needs = fieldNeeds(entity, choices);
  const fields = arr(m.value.fields);
  for (const use of sourceFieldUses(m.value)) {
    if (use.path[0] !== 'fields' || typeof use.path[1] !== 'number') continue;
    const to = str(obj(fields[use.path[1]])?.to);
    if (to === undefined) continue;
    for (const gap of findQueryGaps(needs, present, [use.field])) {
      const what = `readers.${entity} of '${ps.name}' (${reader.kind === 'qas' ? `query ${str(reader.query) ?? ''}` : `operation ${str(reader.operation) ?? ''}`})`;
      issues.add(m.pd, use.path, 'CONFIG_SOURCE_UNFED', describeGap(gap, what, { [use.field]: [to] }).message, { severity: 'warning' });
    }
  }
}

/** Static records: keys unique in the mapping (each is an external id). */
function checkStaticRecords(m: Entry, issues: IssueList): void {
  const seen = new Map<string, number>();
  arr(obj(m.value.source)?.static).forEach((r, i) => {
    const key = str(obj(r)?.key)?.trim();
    if (key === undefined) return;
    const first = seen.get(key);
    if (first !== undefined) {
      issues.add(m.pd, ['source', 'static', i, 'key'], 'CONFIG_STATIC_DUPLICATE_KEY', `static record key '${key}' is used twice (first at ${placeOf(m.pd, ['source', 'static', first, 'key'])}): each static record needs its own key, its external id`);
    } else {
      seen.set(key, i);
    }
  });
}

/**
 * `match` rules compare values the mapping writes: every rule field must be one of fields[].to
 * (not a lookup, whose value is another record), and `normalize` may only name the rule's fields.
 */
function checkMatchRules(m: Entry, issues: IssueList): void {
  const written = new Map<string, boolean>();
  for (const f of arr(m.value.fields)) {
    const to = str(obj(f)?.to);
    if (to !== undefined) written.set(to, written.get(to) === true || obj(f)?.lookup !== undefined);
  }
  const plain = [...written].filter(([, lookup]) => !lookup).map(([name]) => name);
  arr(m.value.match).forEach((rule, i) => {
    const fields = arr(obj(rule)?.fields).map(str);
    fields.forEach((field, j) => {
      if (field === undefined || (written.has(field) && !written.get(field))) return;
      const near = suggest(field, plain);
      const why = written.get(field)
        ? 'a lookup (its value is another Zoho record), which a match rule cannot compare'
        : `not written by this mapping${near ? ` (did you mean '${near}'?)` : ''}`;
      issues.add(m.pd, ['match', i, 'fields', j], 'CONFIG_MATCH_FIELD', `match[${i}] uses ${field}, ${why}: a rule compares the values the mapping writes, so use fields from fields[].to (${plain.join(', ')})`);
    });
    for (const key of Object.keys(obj(obj(rule)?.normalize) ?? {})) {
      if (fields.includes(key)) continue;
      issues.add(m.pd, ['match', i, 'normalize', key], 'CONFIG_MATCH_FIELD', `match[${i}].normalize names ${key}, which is not a field of this rule (${fields.filter((f) => f !== undefined).join(', ')})`, { onKey: true });
    }
  });
}

/** Rules of one mapping against the connections. */
export function checkMapping(m: Entry, reg: Registry, issues: IssueList): void {
  const isStatic = obj(m.value.source)?.static !== undefined;
  const ps = isStatic ? undefined : checkConnection(m, 'source', reg, issues);
  const zoho = checkConnection(m, 'target', reg, issues);
  const edition = str(zoho?.value.edition);
  if (obj(m.value.target)?.module === 'Vendors' && (edition === 'free' || edition === 'standard')) {
    issues.add(m.pd, ['target', 'module'], 'CONFIG_MODULE_UNAVAILABLE', `module Vendors exists only from the Professional edition up, and ZohoConnection '${zoho?.name ?? ''}' has edition: ${edition}: write to Accounts instead, or correct the edition`);
  }
  const entity = str(obj(m.value.source)?.entity);
  if (isStatic) {
    checkStaticRecords(m, issues);
    checkSourceFields(m, 'static', issues);
  } else if (entity === 'employees' || entity === 'vendors' || entity === 'departments') {
    if (ps !== undefined && ps.usable && obj(ps.value.readers) !== undefined && obj(ps.value.readers)?.[entity] === undefined) {
      const others = [...reg.peoplesoft.values()].filter((c) => obj(c.value.readers)?.[entity] !== undefined).map((c) => c.name);
      issues.add(m.pd, ['source', 'entity'], 'CONFIG_NO_READER', `PeopleSoftConnection '${ps.name}' has no reader for ${entity}: add readers.${entity} to it${others.length > 0 ? `, or use ${others.join(' or ')}` : ''}`);
    }
    checkSourceFields(m, entity, issues);
    if (ps !== undefined && ps.usable) checkSourceFed(m, ps, entity, issues);
  }
  checkFields(m, issues);
  checkMatchRules(m, issues);
  checkDeactivation(m, issues);
  checkGuardsOff(m, issues);
  arr(m.value.fields).forEach((f, i) => {
    const target = str(obj(obj(f)?.lookup)?.mapping);
    if (target !== undefined && !reg.mappings.has(target)) {
      issues.add(m.pd, ['fields', i, 'lookup', 'mapping'], 'CONFIG_UNKNOWN_MAPPING', `lookup to unknown mapping '${target}'${didYouMean(target, [...reg.mappings.keys()]) || ` (${known(reg.mappings.keys())})`}`);
    }
  });
}

/** Lookups must form no cycle: the mapping looked up is planned first. */
export function checkLookupCycles(reg: Registry, issues: IssueList): void {
  const edges = new Map<string, { to: string; index: number }[]>();
  for (const [name, m] of reg.mappings) {
    const out: { to: string; index: number }[] = [];
    arr(m.value.fields).forEach((f, index) => {
      const to = str(obj(obj(f)?.lookup)?.mapping);
      if (to !== undefined && reg.mappings.has(to)) out.push({ to, index });
    });
    edges.set(name, out);
  }
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'open');
    stack.push(name);
    for (const { to, index } of edges.get(name) ?? []) {
      if (state.get(to) === 'open') {
        const cycle = [...stack.slice(stack.indexOf(to)), to];
        const m = reg.mappings.get(name);
        if (m !== undefined) {
          issues.add(m.pd, ['fields', index, 'lookup', 'mapping'], 'CONFIG_LOOKUP_CYCLE', `lookup cycle ${cycle.join(' → ')}: the mapping looked up is planned first, so lookups must not lead back; remove one of these lookups`);
        }
      } else if (state.get(to) === undefined) {
        visit(to);
      }
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of edges.keys()) if (state.get(name) === undefined) visit(name);
}
