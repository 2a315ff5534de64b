import type { Condition } from '../config/types.generated.js';
import type { SourceValue } from '../model/index.js';

type Fields = Readonly<Record<string, SourceValue>>;

const isBlank = (v: SourceValue | undefined): boolean => v === undefined || v === null || v === '';

/** Codes in PeopleSoft are text while YAML may hold numbers: compare as text. */
const same = (a: SourceValue | undefined, b: string | number | boolean): boolean => !isBlank(a) && String(a) === String(b);

/** True when the record's fields pass every test the condition gives (`when`, `source.include`). */
export function matchCondition(condition: Condition, fields: Fields): boolean {
  const value = fields[condition.field];
  if (condition.equals !== undefined && !same(value, condition.equals)) return false;
  if (condition.notEquals !== undefined && same(value, condition.notEquals)) return false;
  if (condition.in !== undefined && !condition.in.some((c) => same(value, c))) return false;
  if (condition.notIn !== undefined && condition.notIn.some((c) => same(value, c))) return false;
  if (condition.empty !== undefined && isBlank(value) !== condition.empty) return false;
  return true;
}

const PLACEHOLDER = /\{([A-Z0-9_]+)\}/g;

/** Source fields a template reads, e.g. `{FIRST_NAME} {LAST_NAME}` → [FIRST_NAME, LAST_NAME]. */
export function templateFields(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}

/** Fill `{FIELD}` placeholders; blank fields become empty text. */
export function renderTemplate(template: string, fields: Fields): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const v = fields[name];
    return isBlank(v) ? '' : String(v);
  });
}
