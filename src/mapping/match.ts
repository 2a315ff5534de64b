/**
 * Match rules (`match:` in a mapping): how a source record recognises a Zoho record that has no
 * external id yet, typed in by hand before ml-connector. A rule is a list of Zoho fields the
 * mapping writes; its key is built from the DESIRED values the mapping produces on one side and
 * from the values a Zoho record holds on the other, each field through the same normaliser, so
 * `Jane.Doe@MeridianLowe.com ` and `jane.doe@meridianlowe.com` give one key. Pure; the planner
 * indexes both sides by these keys and decides (adopt, or MATCH_AMBIGUOUS).
 */
import type { Field, Mapping, Normalizer, Transform } from '../config/types.generated.js';
import { ConfigError } from '../support/errors.js';
import { phoneToE164 } from './transforms.js';
import { isLookupValue, type FieldValue } from './values.js';

export interface MatchRule {
  /** The fields joined by `+`, e.g. `Email` or `First_Name+Last_Name+Phone`. */
  name: string;
  fields: readonly string[];
  /** The rule's key for these Zoho-side values, or undefined when any field is empty. */
  key(values: Readonly<Record<string, FieldValue | undefined>>): string | undefined;
}

type Normalize = (text: string) => string | undefined;

/** Letters that Unicode decomposition leaves alone but people type without their stroke. */
const FOLD: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i' };
const FOLDABLE = /[ßæœøłđðþı]/g;

/**
 * Case, accents and punctuation removed: `José O'Brien-Smith` → `jose obrien smith`. Apostrophes
 * and dots join (`O'Brien`, `J.`), other punctuation separates; letters of any script stay.
 */
function foldName(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(FOLDABLE, (c) => FOLD[c] ?? c)
    .replace(/['’`.]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Legal forms dropped from the end of a company name (after folding, so `L.L.C.` is `llc`). */
const LEGAL_SUFFIXES = new Set([
  'inc', 'incorporated', 'llc', 'ltd', 'limited', 'corp', 'corporation', 'co', 'company', 'plc', 'llp', 'lp', 'pllc',
  'pc', 'gmbh', 'ag', 'kg', 'sa', 'sarl', 'sas', 'bv', 'nv', 'spa', 'srl', 'pty', 'oy', 'ab', 'kk', 'ug',
]);

/** `ACME, Inc.` and `Acme Inc` → `acme`; `Meridian & Lowe Partners, LLP` → `meridian and lowe partners`. */
function foldCompany(text: string): string {
  const words = foldName(text.replace(/&/g, ' and ')).split(' ');
  if (words[0] === 'the' && words.length > 1) words.shift();
  let end = words.length;
  while (end > 1 && LEGAL_SUFFIXES.has(words[end - 1]!)) end--;
  return words.slice(0, end).join(' ');
}

/** `sw1a 1aa` → `SW1A1AA`; a US ZIP+4 compares by its five-digit ZIP. */
function foldPostal(text: string): string {
  const compact = text.toUpperCase().replace(/[\s-]+/g, '');
  return /^\d{9}$/.test(compact) ? compact.slice(0, 5) : compact;
}

function normalizerFor(kind: Normalizer, country: string): Normalize {
  switch (kind) {
    case 'email': return (t) => t.trim().toLowerCase();
    case 'phone': return (t) => phoneToE164(t, country) ?? t.replace(/\D+/g, '');
    case 'person-name': return foldName;
    case 'company-name': return foldCompany;
    case 'postal-code': return foldPostal;
    case 'text': return (t) => t.normalize('NFC').trim().toLowerCase().replace(/\s+/g, ' ');
    case 'exact': return (t) => t;
    default: throw new ConfigError('MATCH_UNKNOWN_NORMALIZER', `Unknown match normaliser "${String(kind)}".`, { hint: 'Use email, phone, person-name, company-name, postal-code, text or exact.' });
  }
}

const hasTransform = (f: Field | undefined, test: (t: Transform) => boolean): boolean => (f?.transforms ?? []).some(test);
const isEmailTransform = (t: Transform): boolean => t === 'email';
const isPhoneTransform = (t: Transform): boolean => t === 'phone' || (typeof t === 'object' && 'phone' in t);

/** The country a field's phone transform reads numbers in; else the mapping's first phone transform's; else US. */
function phoneCountry(mapping: Mapping, field: Field | undefined): string {
  const countryOf = (f: Field | undefined): string | undefined => {
    for (const t of f?.transforms ?? []) {
      if (typeof t === 'object' && 'phone' in t) return t.phone.defaultCountry ?? 'US';
      if (t === 'phone') return 'US';
    }
    return undefined;
  };
  return countryOf(field) ?? mapping.fields.map(countryOf).find((c) => c !== undefined) ?? 'US';
}

const PERSON_NAMES = new Set(['First_Name', 'Last_Name', 'Full_Name', 'Middle_Name']);
const COMPANY_NAMES = new Set(['Account_Name', 'Vendor_Name', 'Company']);

/** The normaliser a field gets unless the rule names one: from its transforms, else from its name. */
export function defaultNormalizer(mapping: Mapping, field: string): Normalizer {
  const f = mapping.fields.find((x) => x.to === field);
  if (hasTransform(f, isEmailTransform) || /email/i.test(field)) return 'email';
  if (hasTransform(f, isPhoneTransform) || /(^|_)(phone|mobile|fax)$/i.test(field)) return 'phone';
  if (PERSON_NAMES.has(field)) return 'person-name';
  if (COMPANY_NAMES.has(field)) return 'company-name';
  if (/(_code|_zip|^zip_code|postal_code)$/i.test(field)) return 'postal-code';
  return 'text';
}

/** One value as a rule compares it; undefined for empty (an empty field never matches). */
function textOf(value: FieldValue | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (isLookupValue(value)) return value.id;
  const text = String(value);
  return text.trim() === '' ? undefined : text;
}

/**
 * The mapping's rules, in order, ready to key records. Throws ConfigError MATCH_FIELD_NOT_WRITTEN
 * for a rule field the mapping does not write (validation reports it earlier, with its line).
 */
export function compileMatchRules(mapping: Mapping): MatchRule[] {
  const written = new Set(mapping.fields.filter((f) => f.lookup === undefined).map((f) => f.to));
  return (mapping.match ?? []).map((rule) => {
    const fields = [...rule.fields];
    const name = fields.join('+');
    const steps = fields.map((field) => {
      if (!written.has(field)) {
        throw new ConfigError('MATCH_FIELD_NOT_WRITTEN', `Mapping ${mapping.name}: match rule ${name} uses ${field}, which the mapping does not write from the source.`, {
          meta: { mapping: mapping.name, rule: name, field },
          hint: 'A rule compares values the mapping writes: use fields listed in fields[].to (lookup fields cannot be matched).',
        });
      }
      const kind = rule.normalize?.[field] ?? defaultNormalizer(mapping, field);
      const f = mapping.fields.find((x) => x.to === field);
      return { field, normalize: normalizerFor(kind, phoneCountry(mapping, f)) };
    });
    return {
      name,
      fields,
      key(values) {
        let key = name;
        for (const { field, normalize } of steps) {
          const text = textOf(values[field]);
          const part = text === undefined ? undefined : normalize(text);
          if (part === undefined || part === '') return undefined;
          // One control separator between parts (and never inside one), so different values never share a key.
          key += `\u001f${part.includes('\u001f') ? part.replaceAll('\u001f', '') : part}`;
        }
        return key;
      },
    };
  });
}

/** A value through one normaliser, for docs and tests; undefined when it normalises to nothing. */
export function normalizeMatchValue(kind: Normalizer, value: string, country = 'US'): string | undefined {
  const out = normalizerFor(kind, country)(value);
  return out === undefined || out === '' ? undefined : out;
}
