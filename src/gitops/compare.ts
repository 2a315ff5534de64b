import type { Field, Mapping } from '../config/types.generated.js';

/** How one managed field differs between the base and head configuration. */
export interface FieldDiff {
  /** Zoho field API name. */
  field: string;
  /** `added`/`removed`: managed or no longer managed; `remapped`: its source changed; `changed`: transforms, condition or drift policy. */
  kind: 'added' | 'removed' | 'remapped' | 'changed';
  /** Where the value comes from, in a few words (`from LAST_NAME`, `value "Vendor"`). */
  before?: string;
  after?: string;
  /** For `changed`: which parts (`transforms`, `when`, `drift`, `map values`). */
  parts?: string[];
}

/** A mapping-level setting that differs (lifecycle policy, guard, external id...). */
export interface SettingDiff {
  /** Dotted path, e.g. `lifecycle.termination`, `guards.maxDeactivations`. */
  path: string;
  before: string;
  after: string;
}

export interface MappingDiff {
  mapping: string;
  change: 'added' | 'removed' | 'changed' | 'unchanged';
  /** Zoho module written (head's, or base's for a removed mapping). */
  module: string;
  fields: FieldDiff[];
  settings: SettingDiff[];
}

/** What kinds of config expose mappings; the loader's Config and plain lists both fit. */
export type MappingSource =
  | readonly Mapping[]
  | { mappings: readonly Mapping[] | ReadonlyMap<string, Mapping> | Readonly<Record<string, Mapping>> };

export function listMappings(source: MappingSource): Mapping[] {
  const m = Array.isArray(source) ? source : (source as { mappings: unknown }).mappings;
  if (Array.isArray(m)) return [...(m as Mapping[])];
  if (m instanceof Map) return [...(m as Map<string, Mapping>).values()];
  return Object.values(m as Record<string, Mapping>);
}

/** Describe a field's source in a few words, for people reading a pull-request comment. */
export function describeFieldSource(f: Field): string {
  if (f.from !== undefined) return `from ${f.from}`;
  if (f.value !== undefined) return `value ${JSON.stringify(f.value)}`;
  if (f.template !== undefined) return `template ${JSON.stringify(f.template)}`;
  if (f.map !== undefined) return `map ${f.map.from}`;
  if (f.lookup !== undefined) return `lookup ${f.lookup.mapping} by ${f.lookup.key}`;
  return 'no source';
}

/** Stable JSON: key order does not make two equal settings look different. */
export function stableJson(value: unknown): string {
  if (value === undefined) return '(not set)';
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value as object).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

function same(a: unknown, b: unknown): boolean {
  return stableJson(a) === stableJson(b);
}

function compareField(before: Field, after: Field): FieldDiff | undefined {
  const b = describeFieldSource(before);
  const a = describeFieldSource(after);
  if (b !== a || (before.lookup && !same(before.lookup, after.lookup))) {
    return { field: after.to, kind: 'remapped', before: b, after: a };
  }
  const parts: string[] = [];
  if (before.map && after.map) {
    if (!same(before.map.values, after.map.values)) parts.push('map values');
    if (!same(before.map.default, after.map.default) || !same(before.map.onUnknown, after.map.onUnknown)) parts.push('map default');
  }
  if (!same(before.transforms, after.transforms)) parts.push('transforms');
  if (!same(before.when, after.when)) parts.push('when');
  if (!same(before.drift, after.drift)) parts.push('drift');
  if (parts.length === 0) return undefined;
  return { field: after.to, kind: 'changed', before: b, after: a, parts };
}

/** Mapping-level keys compared as settings; `fields` is compared field by field, names and docs are not compared. */
const SETTING_KEYS = ['source', 'target', 'externalId', 'lifecycle', 'deactivate', 'onRemove', 'drift', 'guards', 'options'] as const;
/** Keys whose children are reported one by one (a guard, an event), the rest as a whole. */
const NESTED_KEYS = new Set(['lifecycle', 'guards', 'source', 'externalId', 'options']);

function compareSettings(base: Mapping, head: Mapping): SettingDiff[] {
  const out: SettingDiff[] = [];
  for (const key of SETTING_KEYS) {
    const b = base[key] as unknown;
    const h = head[key] as unknown;
    if (same(b, h)) continue;
    if (NESTED_KEYS.has(key) && isObject(b ?? {}) && isObject(h ?? {})) {
      const bo = (b ?? {}) as Record<string, unknown>;
      const ho = (h ?? {}) as Record<string, unknown>;
      for (const child of [...new Set([...Object.keys(bo), ...Object.keys(ho)])].sort()) {
        if (!same(bo[child], ho[child])) out.push({ path: `${key}.${child}`, before: stableJson(bo[child]), after: stableJson(ho[child]) });
      }
    } else {
      out.push({ path: key, before: stableJson(b), after: stableJson(h) });
    }
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function diffMapping(base: Mapping | undefined, head: Mapping | undefined): MappingDiff {
  const name = (head ?? base)!.name;
  const module = (head ?? base)!.target.module;
  if (base === undefined) {
    return { mapping: name, change: 'added', module, fields: head!.fields.map((f) => ({ field: f.to, kind: 'added', after: describeFieldSource(f) })), settings: [] };
  }
  if (head === undefined) {
    return { mapping: name, change: 'removed', module, fields: base.fields.map((f) => ({ field: f.to, kind: 'removed', before: describeFieldSource(f) })), settings: [] };
  }
  const fields: FieldDiff[] = [];
  const baseFields = new Map(base.fields.map((f) => [f.to, f]));
  const headFields = new Map(head.fields.map((f) => [f.to, f]));
  for (const f of head.fields) {
    const old = baseFields.get(f.to);
    if (old === undefined) fields.push({ field: f.to, kind: 'added', after: describeFieldSource(f) });
    else {
      const d = compareField(old, f);
      if (d) fields.push(d);
    }
  }
  for (const f of base.fields) {
    if (!headFields.has(f.to)) fields.push({ field: f.to, kind: 'removed', before: describeFieldSource(f) });
  }
  const settings = compareSettings(base, head);
  const change = fields.length === 0 && settings.length === 0 ? 'unchanged' : 'changed';
  return { mapping: name, change, module, fields, settings };
}

/**
 * What a configuration change does to each mapping: mappings added or removed, managed fields
 * added, removed or re-mapped, and other settings (lifecycle, guards, ...) changed. Pure; mappings
 * in name order.
 */
export function compareMappings(base: MappingSource, head: MappingSource): MappingDiff[] {
  const b = new Map(listMappings(base).map((m) => [m.name, m]));
  const h = new Map(listMappings(head).map((m) => [m.name, m]));
  const names = [...new Set([...b.keys(), ...h.keys()])].sort();
  return names.map((name) => diffMapping(b.get(name), h.get(name)));
}
