import type { FieldDef, ModuleDef } from './schema.js';
import type { StoredRecord } from './store.js';

/**
 * Search `criteria`: `((Email:equals:a@b.com)and(Last_Name:starts_with:Bo))`, with `\(`, `\)`
 * and `\,` escapes, at most 10 conditions, operators checked against the field's data type.
 * Matching is case-insensitive, as Zoho's search is.
 */

export type Predicate = (rec: StoredRecord) => boolean;

export class CriteriaError extends Error {
  constructor(
    readonly details: Record<string, unknown>,
    readonly code = 'INVALID_QUERY',
  ) {
    super(String(details.reason ?? 'invalid query formed'));
  }
}

export const MAX_CRITERIA = 10;

const TEXT_OPS = ['equals', 'not_equal', 'starts_with', 'in'];
const ORDERED_OPS = ['equals', 'not_equal', 'greater_than', 'greater_equal', 'less_than', 'less_equal', 'between', 'in'];
const REF_OPS = ['equals', 'not_equal', 'in'];

function operatorsFor(f: FieldDef | 'id'): string[] {
  if (f === 'id') return REF_OPS;
  if (f.type === 'date' || f.type === 'datetime') return ORDERED_OPS;
  if (f.type === 'lookup' || f.type === 'ownerlookup') return REF_OPS;
  return TEXT_OPS;
}

/** Split on unescaped commas and drop the escapes. */
function splitValues(raw: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\' && i + 1 < raw.length) {
      cur += raw[++i];
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export function parseCriteria(def: ModuleDef, text: string): Predicate {
  let pos = 0;
  let count = 0;
  const peek = (): string | undefined => text[pos];
  const skipSpace = (): void => {
    while (peek() === ' ') pos++;
  };
  const fail = (reason: string, extra: Record<string, unknown> = {}): never => {
    throw new CriteriaError({ reason, ...extra });
  };

  const parseGroup = (): Predicate => {
    skipSpace();
    if (peek() !== '(') fail('invalid criteria format');
    pos++;
    skipSpace();
    let pred: Predicate;
    if (peek() === '(') {
      pred = parseExpr();
    } else {
      pred = parseCondition();
    }
    skipSpace();
    if (peek() !== ')') fail('invalid criteria format');
    pos++;
    return pred;
  };

  const parseExpr = (): Predicate => {
    let left = parseGroup();
    for (;;) {
      skipSpace();
      const rest = text.slice(pos).toLowerCase();
      const op = rest.startsWith('and') ? 'and' : rest.startsWith('or') ? 'or' : undefined;
      if (!op) return left;
      pos += op.length;
      const right = parseGroup();
      const l = left;
      left = op === 'and' ? (r) => l(r) && right(r) : (r) => l(r) || right(r);
    }
  };

  const parseCondition = (): Predicate => {
    let raw = '';
    while (pos < text.length && peek() !== ')') {
      if (peek() === '\\' && pos + 1 < text.length) {
        raw += text[pos]! + text[pos + 1]!;
        pos += 2;
      } else raw += text[pos++];
    }
    if (++count > MAX_CRITERIA) throw new CriteriaError({ reason: 'more than 10 criteria', limit: MAX_CRITERIA }, 'LIMIT_EXCEEDED');
    const first = raw.indexOf(':');
    const second = raw.indexOf(':', first + 1);
    if (first < 0 || second < 0) fail('invalid criteria format');
    const apiName = raw.slice(0, first).trim();
    const operator = raw.slice(first + 1, second).trim();
    const values = splitValues(raw.slice(second + 1));
    const field = apiName === 'id' ? 'id' : def.byName.get(apiName);
    if (!field) fail('invalid field found', { api_name: apiName });
    if (!operatorsFor(field!).includes(operator)) fail('invalid operator found', { api_name: apiName, operator });
    return conditionFor(field!, operator, values);
  };

  const pred = parseExpr();
  skipSpace();
  if (pos !== text.length) fail('invalid criteria format');
  return pred;
}

function valueOf(f: FieldDef | 'id', rec: StoredRecord): string | undefined {
  if (f === 'id') return rec.id;
  switch (f.apiName) {
    case 'Owner':
      return rec.ownerId;
    case 'Created_By':
      return rec.createdById;
    case 'Modified_By':
      return rec.modifiedById;
    case 'Created_Time':
      return String(rec.createdAt);
    case 'Modified_Time':
      return String(rec.modifiedAt);
  }
  const v = rec.values[f.apiName];
  if (f.type === 'datetime' && typeof v === 'string') return String(Date.parse(v));
  return typeof v === 'string' ? v : undefined;
}

function conditionFor(f: FieldDef | 'id', operator: string, values: string[]): Predicate {
  const isTime = f !== 'id' && f.type === 'datetime';
  const norm = (s: string): string => {
    if (isTime) {
      const ms = Date.parse(s);
      if (!Number.isFinite(ms)) throw new CriteriaError({ reason: 'invalid value found', api_name: (f as FieldDef).apiName });
      return String(ms);
    }
    return s.trim().toLowerCase();
  };
  const wanted = values.map(norm);
  const single = wanted[0] ?? '';
  const cmp = (a: string, b: string): number => (isTime ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0);
  const get = (r: StoredRecord): string | undefined => {
    const v = valueOf(f, r);
    return v === undefined ? undefined : isTime ? v : v.toLowerCase();
  };
  switch (operator) {
    case 'equals':
      return wanted.length > 1 ? (r) => wanted.includes(get(r) ?? '\u0000') : (r) => get(r) === single;
    case 'in':
      return (r) => wanted.includes(get(r) ?? '\u0000');
    case 'not_equal':
      return (r) => get(r) !== single;
    case 'starts_with':
      return (r) => (get(r) ?? '\u0000').startsWith(single);
    case 'greater_than':
      return (r) => get(r) !== undefined && cmp(get(r)!, single) > 0;
    case 'greater_equal':
      return (r) => get(r) !== undefined && cmp(get(r)!, single) >= 0;
    case 'less_than':
      return (r) => get(r) !== undefined && cmp(get(r)!, single) < 0;
    case 'less_equal':
      return (r) => get(r) !== undefined && cmp(get(r)!, single) <= 0;
    case 'between': {
      const hi = wanted[1];
      if (hi === undefined) throw new CriteriaError({ reason: 'invalid value found', operator });
      return (r) => get(r) !== undefined && cmp(get(r)!, single) >= 0 && cmp(get(r)!, hi) <= 0;
    }
    default:
      throw new CriteriaError({ reason: 'invalid operator found', operator });
  }
}
