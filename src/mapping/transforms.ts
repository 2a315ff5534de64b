import { createRequire } from 'node:module';
import { Metadata, parsePhoneNumberFromString, type CountryCode, type MetadataJson } from 'libphonenumber-js';
import type { Transform } from '../config/types.generated.js';
import type { ScalarValue } from './values.js';

/** The outcome of one transform chain: a value, or a reason the record cannot be written. */
export type TransformResult =
  | { ok: true; value: ScalarValue; warning?: { code: string; message: string } }
  | { ok: false; code: string; message: string };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const blank = (v: ScalarValue): boolean => v === null || v === '';

function titleCase(text: string): string {
  return text.toLowerCase().replace(/(^|[\s\-'’])(\p{L})/gu, (_, sep: string, ch: string) => sep + ch.toUpperCase());
}

/** PeopleSoft datetimes are `YYYY-MM-DD-HH.MM.SS.ffffff`; dates `YYYY-MM-DD`; ISO passes through. */
function parseDate(text: string): { date: string; iso: string } | undefined {
  const ps = /^(\d{4}-\d{2}-\d{2})-(\d{2})\.(\d{2})\.(\d{2})(?:\.\d+)?$/.exec(text);
  if (ps) return { date: ps[1] ?? '', iso: `${ps[1]}T${ps[2]}:${ps[3]}:${ps[4]}+00:00` };
  const day = /^(\d{4}-\d{2}-\d{2})$/.exec(text);
  if (day) return { date: text, iso: `${text}T00:00:00+00:00` };
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return undefined;
  const iso = new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
  return { date: iso.slice(0, 10), iso };
}

/** Plain North American numbers (the bulk of the data): the same E.164 as libphonenumber, 50× faster. */
const NANP_TEXT = /^[\s().+\-/0-9]+$/;
const NANP_NUMBER = /^1?([2-9][0-9]{2}[2-9][0-9]{6})$/;

const EXTENSION = /^(.*?)\s*(?:x|ext\.?|extension)\s*([0-9]{1,7})$/i;

function formatNanp(text: string, country: string): string | undefined {
  if (country !== 'US' && country !== 'CA') return undefined;
  let main = text;
  let ext = '';
  const e = EXTENSION.exec(text);
  if (e) {
    main = e[1] ?? '';
    ext = ` x${e[2]}`;
  }
  if (!NANP_TEXT.test(main)) return undefined;
  const digits = main.replace(/[^0-9]/g, '');
  if (main.trimStart().startsWith('+') && !digits.startsWith('1')) return undefined;
  const m = NANP_NUMBER.exec(digits);
  // Anything else (seven-digit local numbers included: libphonenumber accepts some) is its call.
  return m ? `+1${m[1]}${ext}` : undefined;
}

/** Country calling code → possible national lengths of its main country, from libphonenumber's own metadata. */
let callingCodeLengths: Map<string, readonly number[]> | undefined;
function lengthsOf(callingCode: string): readonly number[] | undefined {
  if (!callingCodeLengths) {
    const json = createRequire(import.meta.url)('libphonenumber-js/metadata.min.json') as MetadataJson;
    const metadata = new Metadata(); // the bundled metadata, the same file as `json`
    callingCodeLengths = new Map();
    for (const [code, countries] of Object.entries(json.country_calling_codes)) {
      const main = countries[0];
      if (!main || code === '1') continue;
      metadata.selectNumberingPlan(main as CountryCode);
      const lengths = metadata.numberingPlan?.possibleLengths();
      if (lengths) callingCodeLengths.set(code, lengths);
    }
  }
  return callingCodeLengths.get(callingCode);
}

const INTERNATIONAL_TEXT = /^\+[\s().\-0-9]+$/;

/**
 * `+CC …` numbers outside North America whose national part has a possible length for that
 * calling code: E.164 is `+` and the digits. Anything else (a trunk `(0)`, an odd length) goes
 * to libphonenumber, which stays the authority; this only skips its slow path for the easy case.
 */
function formatInternational(text: string): string | undefined {
  const main = text.trim();
  if (!INTERNATIONAL_TEXT.test(main) || main.includes('(0)')) return undefined;
  const digits = main.replace(/[^0-9]/g, '');
  for (let n = 1; n <= 3; n++) {
    const lengths = lengthsOf(digits.slice(0, n));
    if (!lengths) continue;
    const national = digits.slice(n);
    return national[0] !== '0' && lengths.includes(national.length) ? `+${digits}` : undefined;
  }
  return undefined;
}

function formatPhone(text: string, country: string, onInvalid: 'keep' | 'empty' | 'error'): TransformResult {
  const fast = formatNanp(text, country) ?? formatInternational(text);
  if (fast !== undefined) return { ok: true, value: fast };
  const parsed = parsePhoneNumberFromString(text, country as CountryCode);
  if (parsed?.isPossible()) {
    // Extensions are kept the way Zoho shows them; E.164 has no room for them.
    return { ok: true, value: parsed.ext ? `${parsed.number} x${parsed.ext}` : parsed.number };
  }
  if (onInvalid === 'error') return { ok: false, code: 'MAP_INVALID_PHONE', message: `"${text}" is not a phone number` };
  if (onInvalid === 'empty') return { ok: true, value: null, warning: { code: 'MAP_INVALID_PHONE', message: 'unreadable phone number left empty' } };
  return { ok: true, value: text, warning: { code: 'MAP_INVALID_PHONE', message: 'unreadable phone number kept as is' } };
}

/**
 * The E.164 number of a phone as people type it (`(212) 555-0142`, `212.555.0142 ext 12`), without
 * its extension, or undefined when it cannot be read: the same fast paths and libphonenumber as
 * the `phone` transform, so a matched value and a written value normalise alike.
 */
export function phoneToE164(text: string, country: string): string | undefined {
  const r = formatPhone(text, country, 'empty');
  if (!r.ok || typeof r.value !== 'string') return undefined;
  const x = r.value.indexOf(' x');
  return x < 0 ? r.value : r.value.slice(0, x);
}

/** Apply one transform. Empty values pass through every transform except `default`. */
function applyOne(value: ScalarValue, t: Transform): TransformResult {
  if (typeof t === 'object' && 'default' in t) return { ok: true, value: blank(value) ? t.default : value };
  if (t === 'empty-to-null') return { ok: true, value: blank(value) ? null : value };
  if (blank(value)) return { ok: true, value };
  const text = String(value);
  if (typeof t === 'string') {
    switch (t) {
      case 'trim': return { ok: true, value: text.trim() };
      case 'upper': return { ok: true, value: text.toUpperCase() };
      case 'lower': return { ok: true, value: text.toLowerCase() };
      case 'title': return { ok: true, value: titleCase(text) };
      case 'collapse-spaces': return { ok: true, value: text.replace(/\s+/g, ' ') };
      case 'email': {
        const email = text.trim().toLowerCase();
        return EMAIL.test(email) ? { ok: true, value: email } : { ok: true, value: null, warning: { code: 'MAP_INVALID_EMAIL', message: 'invalid email address left empty' } };
      }
      case 'phone': return formatPhone(text, 'US', 'keep');
    }
  }
  if ('phone' in t) return formatPhone(text, t.phone.defaultCountry ?? 'US', t.phone.onInvalid ?? 'keep');
  if ('date' in t) {
    const d = parseDate(text.trim());
    if (!d) return { ok: false, code: 'MAP_INVALID_DATE', message: `"${text}" is not a date` };
    return { ok: true, value: (t.date.format ?? 'date') === 'date' ? d.date : d.iso };
  }
  if ('truncate' in t) {
    const chars = [...text];
    return chars.length > t.truncate ? { ok: true, value: chars.slice(0, t.truncate).join('') } : { ok: true, value };
  }
  return { ok: false, code: 'MAP_UNKNOWN_TRANSFORM', message: `unknown transform ${JSON.stringify(t)}` };
}

/** Apply transforms in order; the first failure stops the chain. Warnings are collected. */
export function applyTransforms(value: ScalarValue, transforms: readonly Transform[] | undefined): TransformResult {
  let current: ScalarValue = value;
  let warning: { code: string; message: string } | undefined;
  for (const t of transforms ?? []) {
    const r = applyOne(current, t);
    if (!r.ok) return r;
    current = r.value;
    if (r.warning) warning = r.warning;
  }
  return warning ? { ok: true, value: current, warning } : { ok: true, value: current };
}
