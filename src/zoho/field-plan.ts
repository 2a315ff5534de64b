import { suggest } from '../config/suggest.js';
import type { Mapping } from '../config/types.generated.js';
import { suggestField, type ZohoField } from './fields.js';

export { suggestField };

/**
 * The custom fields a mapping needs and the module lacks, with what Zoho's field API (and a
 * person in Setup) needs to create each: label, API name, type, length, unique, picklist values,
 * lookup module. Pure: derived from the mapping alone, so `check` can print it as a checklist
 * and `check --create-fields` can send it.
 */

export interface NeededField {
  module: string;
  /** The API name the mapping writes. Zoho derives it from the label (spaces become `_`). */
  apiName: string;
  label: string;
  /** Zoho `data_type`: text, email, phone, date, datetime, picklist, lookup, boolean, integer, double. */
  dataType: string;
  length?: number;
  /** "Do not allow duplicate values": the external id must be. */
  unique?: boolean;
  picklist?: string[];
  lookupModule?: string;
  /** Which mappings write it, and as what. */
  usedBy: string[];
}

/** Single-line text in Zoho holds at most 255 characters. */
const TEXT_LENGTH = 255;
/** External ids: EMPLID (11), SETID-VENDOR_ID (16); room for a customer's longer keys. */
const EXTERNAL_ID_LENGTH = 50;

/** A near API name among the module's fields, for "did you mean" (the same rule as the config's keys). */

const labelOf = (apiName: string): string => apiName.replace(/_+/g, ' ').trim();

type Constant = string | number | boolean | null | undefined;

/** What one mapping writes into one field, from its field spec and lifecycle/deactivate sets. */
interface Writes {
  transforms: unknown[];
  values: Constant[];
  /** A source value is copied (from, template), not only constants. */
  copied: boolean;
  lookup?: string;
}

function collectWrites(mapping: Mapping): Map<string, Writes> {
  const out = new Map<string, Writes>();
  const at = (name: string): Writes => {
    let w = out.get(name);
    if (!w) out.set(name, (w = { transforms: [], values: [], copied: false }));
    return w;
  };
  for (const f of mapping.fields) {
    const w = at(f.to);
    w.transforms.push(...(f.transforms ?? []));
    if (f.lookup) w.lookup = f.lookup.mapping;
    else if (f.map) {
      w.values.push(...Object.values(f.map.values));
      if (f.map.default !== undefined) w.values.push(f.map.default);
    } else if ('value' in f) w.values.push(f.value);
    else w.copied = true;
  }
  const sets = [mapping.deactivate?.set, ...Object.values(mapping.lifecycle ?? {}).map((p) => p?.set)];
  for (const set of sets) for (const [name, value] of Object.entries(set ?? {})) at(name).values.push(value);
  return out;
}

function typeOf(w: Writes, targetOfMapping: (name: string) => string | undefined): Pick<NeededField, 'dataType' | 'length' | 'picklist' | 'lookupModule'> {
  if (w.lookup) {
    const module = targetOfMapping(w.lookup);
    return { dataType: 'lookup', ...(module ? { lookupModule: module } : {}) };
  }
  const names = w.transforms.map((t) => (typeof t === 'string' ? t : Object.keys(t as object)[0]));
  if (names.includes('email')) return { dataType: 'email' };
  if (names.includes('phone')) return { dataType: 'phone' };
  const date = w.transforms.find((t): t is { date: { format?: string } } => typeof t === 'object' && t !== null && 'date' in t);
  if (date) return { dataType: date.date.format === 'datetime' ? 'datetime' : 'date' };
  const constants = w.values.filter((v): v is string | number | boolean => v !== null && v !== undefined);
  if (!w.copied && constants.length > 0) {
    if (constants.every((v) => typeof v === 'boolean')) return { dataType: 'boolean' };
    if (constants.every((v) => typeof v === 'number')) return { dataType: constants.every(Number.isInteger) ? 'integer' : 'double' };
    // Values from a code table or lifecycle states: a picklist keeps the sales team's filters clean.
    return { dataType: 'picklist', picklist: [...new Set(constants.map(String))] };
  }
  const truncate = w.transforms.find((t): t is { truncate: number } => typeof t === 'object' && t !== null && 'truncate' in t);
  return { dataType: 'text', length: Math.min(TEXT_LENGTH, truncate?.truncate ?? TEXT_LENGTH) };
}

/**
 * Fields the mappings of one module write that `fields` lacks. A missing name close to an existing
 * one is a typo, not a field to create: it is left out (the check says "did you mean").
 */
export function planMissingFields(module: string, mappings: readonly Mapping[], fields: readonly ZohoField[], allMappings: readonly Mapping[] = mappings): NeededField[] {
  const existing = new Set(fields.map((f) => f.apiName));
  const targetOf = (name: string): string | undefined => allMappings.find((m) => m.name === name)?.target.module;
  const needed = new Map<string, NeededField>();
  for (const mapping of mappings.filter((m) => m.target.module === module)) {
    const ext = mapping.externalId.field;
    if (!existing.has(ext) && !suggestField(ext, fields)) {
      needed.set(ext, { module, apiName: ext, label: labelOf(ext), dataType: 'text', length: EXTERNAL_ID_LENGTH, unique: true, usedBy: [`${mapping.name} (external id)`] });
    }
    for (const [name, writes] of collectWrites(mapping)) {
      if (existing.has(name) || name === ext || suggestField(name, fields)) continue;
      const prev = needed.get(name);
      const type = typeOf(writes, targetOf);
      if (prev) {
        prev.usedBy.push(mapping.name);
        if (prev.picklist && type.picklist) prev.picklist = [...new Set([...prev.picklist, ...type.picklist])];
        continue;
      }
      needed.set(name, { module, apiName: name, label: labelOf(name), ...type, usedBy: [mapping.name] });
    }
  }
  return [...needed.values()];
}

/** One checklist line per field, as a person would create it in Setup > Modules and Fields. */
export function describeNeededField(f: NeededField): string {
  const type = f.dataType === 'text' ? `Single Line, ${f.length ?? TEXT_LENGTH} characters` : f.dataType === 'picklist' ? `Pick List (${(f.picklist ?? []).join(', ')})` : f.dataType === 'lookup' ? `Lookup to ${f.lookupModule ?? '?'}` : f.dataType;
  return `${f.module}: "${f.label}" (API name ${f.apiName}): ${type}${f.unique ? ', Do not allow duplicate values' : ''}; written by ${f.usedBy.join(', ')}`;
}
