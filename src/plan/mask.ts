/**
 * Personal data in plans: which fields hold it (declared per mapping field, with defaults from the
 * Zoho field), and how a masked value is shown. A masked value is never shown, not even in part:
 * it is replaced by a short digest keyed with the plan's own random key (`PlanHeader.maskKey`), so
 * a reviewer still sees that a value changes (the digests differ) and that two records get the
 * same value (the digests are equal), while nobody without the plan file can test a guess.
 */
import { createHmac } from 'node:crypto';
import type { Mapping } from '../config/types.generated.js';
import { isLookupValue, managedFields, type FieldValue } from '../mapping/index.js';
import { valueText } from './value-text.js';

/** A value a plan file holds only as its keyed digest (a personal field's `before`). */
export interface MaskedValue {
  masked: string;
}

export function isMaskedValue(v: unknown): v is MaskedValue {
  return v !== null && typeof v === 'object' && typeof (v as MaskedValue).masked === 'string';
}

/** A value in a plan: what Zoho holds or will hold, or (plan files) a personal value's digest. */
export type PlanValue = FieldValue | MaskedValue;

/**
 * Zoho's standard (non-custom) fields that hold a person's name, address or date of birth. Their
 * data type is plain `text` or `date`, so the type alone cannot tell; their API names are fixed
 * by Zoho. Email and phone fields are recognised by their data type (and, without field
 * metadata, by these standard names).
 */
const STANDARD_PERSONAL = new Set([
  'First_Name', 'Last_Name', 'Full_Name', 'Middle_Name', 'Salutation', 'Contact_Name', 'Assistant',
  'Date_of_Birth',
  'Mailing_Street', 'Mailing_City', 'Mailing_State', 'Mailing_Zip', 'Mailing_Code', 'Mailing_Country',
  'Other_Street', 'Other_City', 'Other_State', 'Other_Zip', 'Other_Code', 'Other_Country',
  'Billing_Street', 'Billing_City', 'Billing_State', 'Billing_Code', 'Billing_Country',
  'Shipping_Street', 'Shipping_City', 'Shipping_State', 'Shipping_Code', 'Shipping_Country',
  'Street', 'City', 'State', 'Zip_Code', 'Country',
  'Email', 'Secondary_Email', 'Skype_ID', 'Twitter',
  'Phone', 'Mobile', 'Home_Phone', 'Other_Phone', 'Asst_Phone', 'Fax',
]);

const PERSONAL_TYPES = new Set(['email', 'phone']);

/** What is known of a Zoho field for the default (from `GET /settings/fields`, or nothing offline). */
export interface FieldFacts {
  apiName: string;
  dataType?: string;
  custom?: boolean;
}

/** Whether a field holds personal data when its mapping does not say: by data type, or a standard personal field. */
export function isPersonalByDefault(f: FieldFacts): boolean {
  if (f.dataType !== undefined && PERSONAL_TYPES.has(f.dataType)) return true;
  return f.custom !== true && STANDARD_PERSONAL.has(f.apiName);
}

/**
 * The managed fields of a mapping that hold personal data: `personal: true|false` on the mapping
 * field decides; otherwise the Zoho field's data type and Zoho's standard personal fields. Without
 * field metadata (an offline estimate) only the declarations and the standard fields are known.
 */
export function personalFieldsOf(mapping: Mapping, zohoFields?: readonly FieldFacts[]): string[] {
  const declared = new Map<string, boolean>();
  for (const f of mapping.fields) if (f.personal !== undefined) declared.set(f.to, f.personal);
  const facts = new Map((zohoFields ?? []).map((f) => [f.apiName, f]));
  return managedFields(mapping).filter((name) => declared.get(name) ?? isPersonalByDefault(facts.get(name) ?? { apiName: name }));
}

/** How long a shown digest is: 8 hex characters, so two different values show the same one once in 4 billion. */
const DIGEST_CHARS = 8;

/** The keyed digest of a value, as shown and as saved in plan files. */
export function maskDigest(key: string, value: FieldValue): string {
  return createHmac('sha256', key).update(valueText(value)).digest('hex').slice(0, DIGEST_CHARS);
}

/**
 * A personal value as a plan may hold it: empty stays empty (that a value is cleared is no
 * personal data), a lookup keeps its external id (a PeopleSoft key) but not its name, anything
 * else becomes its digest. An already masked value stays as it is.
 */
export function maskPlanValue(key: string, value: PlanValue): PlanValue {
  if (value === null || value === '' || isMaskedValue(value)) return value;
  if (isLookupValue(value)) {
    if (value.name === undefined) return value;
    const { name: _name, ...rest } = value;
    return rest;
  }
  return { masked: maskDigest(key, value) };
}

/** The digest key of a plan made before plans carried one: derived from the plan (not secret). */
export function fallbackMaskKey(header: { configDigest: string; createdAt: string }): string {
  return `${header.configDigest}|${header.createdAt}`;
}
