import { isLookupValue, type FieldValue } from '../mapping/index.js';

/** Which Zoho fields hold personal data, by API name. */
export type PersonalKind = 'email' | 'phone' | 'name';

export function personalKind(field: string): PersonalKind | undefined {
  if (/email/i.test(field)) return 'email';
  if (/(phone|mobile|fax)/i.test(field)) return 'phone';
  if (/(^|_)(First|Last|Full|Middle|Preferred)_Name$/i.test(field) || /^Name$/i.test(field)) return 'name';
  return undefined;
}

const DOTS = '•••';

/** `jane.doe@example.com` → `j•••@example.com`. */
export function maskEmail(text: string): string {
  const at = text.lastIndexOf('@');
  if (at <= 0) return DOTS;
  return `${text[0]}${DOTS}${text.slice(at)}`;
}

/** `+15551234567` → `••• ••• 4567`. */
export function maskPhone(text: string): string {
  const digits = text.replace(/\D/g, '');
  return digits.length >= 4 ? `${DOTS} ${DOTS} ${digits.slice(-4)}` : DOTS;
}

/** `Mary Ann` → `M. A.` */
export function maskName(text: string): string {
  return text.split(/\s+/).filter(Boolean).map((w) => `${[...w][0] ?? ''}.`).join(' ');
}

/** A value as it may be shown when personal data is masked. Non-personal fields pass through. */
export function maskValue(field: string, value: FieldValue): FieldValue {
  if (value === null || typeof value !== 'string' || isLookupValue(value)) return value;
  const kind = personalKind(field) ?? (value.includes('@') ? 'email' : undefined);
  if (kind === 'email') return maskEmail(value);
  if (kind === 'phone') return maskPhone(value);
  if (kind === 'name') return maskName(value);
  return value;
}
