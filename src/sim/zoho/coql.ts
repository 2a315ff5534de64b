import { empty, json, zohoError, type Reply } from './http-io.js';
import { parseZohoTime } from './ids.js';
import type { Org } from './org.js';
import type { FieldDef } from './schema.js';
import type { ModuleStore, StoredRecord } from './store.js';
import { smallest } from './top-k.js';

/**
 * A subset of COQL (`POST /crm/v8/coql`, reference §2.6):
 * `select f1, f2 from Module [where …] [order by f [asc|desc], …] [limit [offset,] n] [offset n]`.
 * Conditions: `= != > >= < <= like in not in between is null is not null`, `and`/`or`, parentheses.
 * Limits: 50 selected fields, 25 conditions, LIMIT 2,000 (default 200), offset + limit ≤ 100,000.
 */

export const COQL_MAX_FIELDS = 50;
export const COQL_MAX_CRITERIA = 25;
export const COQL_MAX_LIMIT = 2000;
export const COQL_MAX_REACH = 100_000;

type Token = { t: 'word' | 'str' | 'num' | 'op' | 'punct'; v: string; at: number };
type Pred = (r: StoredRecord) => boolean;

class CoqlError extends Error {
  constructor(
    readonly code: string,
    readonly details: Record<string, unknown>,
    message: string,
  ) {
    super(message);
  }
}

const syntax = (clause: string, near?: string): CoqlError =>
  new CoqlError('SYNTAX_ERROR', { clause, ...(near === undefined ? {} : { near }) }, 'error occurred while parsing the query');

function tokenize(q: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let v = '';
      i++;
      while (i < q.length && !(q[i] === "'" && q[i + 1] !== "'")) {
        if (q[i] === "'" && q[i + 1] === "'") i++;
        v += q[i++];
      }
      if (i >= q.length) throw syntax('where', 'unterminated string');
      i++;
      out.push({ t: 'str', v, at: i });
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(q.slice(i))!;
      out.push({ t: 'num', v: m[0], at: i });
      i += m[0].length;
    } else if (/[<>!=]/.test(c)) {
      const m = /^(<=|>=|!=|=|<|>)/.exec(q.slice(i));
      if (!m) throw syntax('where', c);
      out.push({ t: 'op', v: m[0], at: i });
      i += m[0].length;
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ t: 'punct', v: c, at: i++ });
    } else {
      const m = /^[A-Za-z_$][A-Za-z0-9_.$]*/.exec(q.slice(i));
      if (!m) throw syntax('select', c);
      out.push({ t: 'word', v: m[0], at: i });
      i += m[0].length;
    }
  }
  return out;
}

export function runCoql(org: Org, body: unknown): Reply {
  const query = (body as { select_query?: unknown } | undefined)?.select_query;
  if (typeof query !== 'string' || query.trim() === '') {
    return zohoError(400, 'REQUIRED_PARAM_MISSING', 'One of the expected parameter is missing', { param_name: 'select_query' });
  }
  try {
    return execute(org, query);
  } catch (err) {
    if (err instanceof CoqlError) return zohoError(400, err.code, err.message, err.details);
    throw err;
  }
}

function execute(org: Org, query: string): Reply {
  const toks = tokenize(query);
  let p = 0;
  const peekWord = (w: string): boolean => toks[p]?.t === 'word' && toks[p]!.v.toLowerCase() === w;
  const expectWord = (w: string, clause: string): void => {
    if (!peekWord(w)) throw syntax(clause, toks[p]?.v);
    p++;
  };

  expectWord('select', 'select');
  const selected: string[] = [];
  for (;;) {
    const tok = toks[p++];
    if (tok?.t !== 'word') throw syntax('select', tok?.v);
    selected.push(tok.v);
    if (toks[p]?.v === ',') {
      p++;
      continue;
    }
    break;
  }
  expectWord('from', 'from');
  const modTok = toks[p++];
  if (modTok?.t !== 'word') throw syntax('from', modTok?.v);
  const store = org.store(modTok.v);
  if (!store) throw new CoqlError('INVALID_QUERY', { reason: 'invalid module', module: modTok.v }, 'invalid query formed');
  if (selected.length > COQL_MAX_FIELDS) throw new CoqlError('LIMIT_EXCEEDED', { clause: 'select', limit: COQL_MAX_FIELDS }, 'limit exceeded');
  for (const f of selected) {
    if (f !== 'id' && !store.def.byName.has(f)) throw new CoqlError('INVALID_QUERY', { reason: 'invalid column name', column_name: f }, 'invalid query formed');
  }

  let where: Pred = () => true;
  let criteria = 0;
  if (peekWord('where')) {
    p++;
    const parseOr = (): Pred => {
      let left = parseAnd();
      while (peekWord('or')) {
        p++;
        const l = left;
        const r = parseAnd();
        left = (x) => l(x) || r(x);
      }
      return left;
    };
    const parseAnd = (): Pred => {
      let left = parseAtom();
      while (peekWord('and')) {
        p++;
        const l = left;
        const r = parseAtom();
        left = (x) => l(x) && r(x);
      }
      return left;
    };
    const parseAtom = (): Pred => {
      if (toks[p]?.v === '(') {
        p++;
        const inner = parseOr();
        if (toks[p]?.v !== ')') throw syntax('where', toks[p]?.v);
        p++;
        return inner;
      }
      if (++criteria > COQL_MAX_CRITERIA) throw new CoqlError('LIMIT_EXCEEDED', { clause: 'where', limit: COQL_MAX_CRITERIA }, 'limit exceeded');
      return parseCondition();
    };
    const value = (): string | null => {
      const tok = toks[p++];
      if (!tok) throw syntax('where');
      if (tok.t === 'str' || tok.t === 'num') return tok.v;
      if (tok.t === 'word' && tok.v.toLowerCase() === 'null') return null;
      throw syntax('where', tok.v);
    };
    const parseCondition = (): Pred => {
      const fieldTok = toks[p++];
      if (fieldTok?.t !== 'word') throw syntax('where', fieldTok?.v);
      const field = fieldTok.v === 'id' ? 'id' : store.def.byName.get(fieldTok.v);
      if (!field) throw new CoqlError('INVALID_QUERY', { reason: 'invalid column name', column_name: fieldTok.v }, 'invalid query formed');
      const get = (r: StoredRecord): string | undefined => readValue(field, r);
      const cmp = comparator(field);
      const opTok = toks[p];
      if (opTok?.t === 'op') {
        p++;
        const v = value();
        const op = opTok.v;
        if (v === null) throw syntax('where', 'null');
        return (r) => {
          const x = get(r);
          if (x === undefined) return op === '!=';
          const c = cmp(x, v);
          return op === '=' ? c === 0 : op === '!=' ? c !== 0 : op === '>' ? c > 0 : op === '>=' ? c >= 0 : op === '<' ? c < 0 : c <= 0;
        };
      }
      const negate = peekWord('not');
      if (negate) p++;
      if (peekWord('like')) {
        p++;
        const pattern = value();
        if (pattern === null) throw syntax('where', 'null');
        const re = new RegExp(`^${pattern.split('%').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
        return (r) => re.test(get(r) ?? '') !== negate;
      }
      if (peekWord('in')) {
        p++;
        if (toks[p++]?.v !== '(') throw syntax('where', toks[p - 1]?.v);
        const list: string[] = [];
        for (;;) {
          const v = value();
          if (v !== null) list.push(v);
          const sep = toks[p++]?.v;
          if (sep === ')') break;
          if (sep !== ',') throw syntax('where', sep);
        }
        return (r) => {
          const x = get(r);
          return (x !== undefined && list.some((v) => cmp(x, v) === 0)) !== negate;
        };
      }
      if (peekWord('between')) {
        p++;
        const lo = value();
        expectWord('and', 'where');
        const hi = value();
        if (lo === null || hi === null) throw syntax('where', 'null');
        return (r) => {
          const x = get(r);
          return (x !== undefined && cmp(x, lo) >= 0 && cmp(x, hi) <= 0) !== negate;
        };
      }
      if (!negate && peekWord('is')) {
        p++;
        const not = peekWord('not');
        if (not) p++;
        expectWord('null', 'where');
        return (r) => (get(r) === undefined) !== not;
      }
      throw syntax('where', toks[p]?.v);
    };
    where = parseOr();
  } else {
    // Zoho requires a WHERE clause in COQL.
    throw syntax('where', toks[p]?.v);
  }

  const order: Array<{ field: FieldDef | 'id'; desc: boolean }> = [];
  if (peekWord('order')) {
    p++;
    expectWord('by', 'order by');
    for (;;) {
      const tok = toks[p++];
      const field = tok?.v === 'id' ? 'id' : tok ? store.def.byName.get(tok.v) : undefined;
      if (!field) throw syntax('order by', tok?.v);
      let desc = false;
      if (peekWord('asc') || peekWord('desc')) desc = toks[p++]!.v.toLowerCase() === 'desc';
      order.push({ field, desc });
      if (toks[p]?.v !== ',') break;
      p++;
    }
  }
  let limit = 200;
  let offset = 0;
  if (peekWord('limit')) {
    p++;
    const a = toks[p++];
    if (a?.t !== 'num') throw syntax('limit', a?.v);
    limit = Number(a.v);
    if (toks[p]?.v === ',') {
      p++;
      const b = toks[p++];
      if (b?.t !== 'num') throw syntax('limit', b?.v);
      offset = limit;
      limit = Number(b.v);
    }
  }
  if (peekWord('offset')) {
    p++;
    const a = toks[p++];
    if (a?.t !== 'num') throw syntax('offset', a?.v);
    offset = Number(a.v);
  }
  if (p !== toks.length) throw syntax('limit', toks[p]?.v);
  if (limit < 1 || limit > COQL_MAX_LIMIT) throw new CoqlError('LIMIT_EXCEEDED', { clause: 'limit', limit: COQL_MAX_LIMIT }, 'limit exceeded');
  if (offset + limit > COQL_MAX_REACH) throw new CoqlError('LIMIT_EXCEEDED', { clause: 'offset', limit: COQL_MAX_REACH }, 'limit exceeded');

  // Matches in id order; ordered queries keep only the page's reach (offset + limit) in a heap.
  const scanned: ModuleStore = store;
  function* matching(): Generator<StoredRecord> {
    for (const id of scanned.view('id')) {
      const rec = scanned.get(id);
      if (rec && where(rec)) yield rec;
    }
  }
  const compareRecords = (a: StoredRecord, b: StoredRecord): number => {
    for (const o of order) {
      const x = readValue(o.field, a);
      const y = readValue(o.field, b);
      const c = x === undefined ? (y === undefined ? 0 : 1) : y === undefined ? -1 : storedComparator(o.field)(x, y);
      if (c !== 0) return o.desc ? -c : c;
    }
    return 0;
  };
  let reached: StoredRecord[];
  let total: number;
  if (order.length) {
    ({ items: reached, total } = smallest(matching(), offset + limit, compareRecords));
  } else {
    reached = [...matching()];
    total = reached.length;
  }
  const page = reached.slice(offset, offset + limit);
  if (page.length === 0) return empty(204);
  const fields = selected.filter((f) => f !== 'id');
  return json(200, {
    data: page.map((r) => serializeCoql(org, store, r, fields)),
    info: { count: page.length, more_records: offset + page.length < total },
  });
}

/** COQL shows lookups and users as `{id}` only. */
function serializeCoql(org: Org, store: ModuleStore, rec: StoredRecord, fields: string[]): Record<string, unknown> {
  const full = org.serialize(store, rec, fields);
  for (const f of fields) {
    const v = full[f];
    if (v && typeof v === 'object' && 'id' in v) full[f] = { id: (v as { id: unknown }).id };
  }
  return full;
}

/** Two stored values (datetimes are stored as epoch milliseconds). */
function storedComparator(f: FieldDef | 'id'): (a: string, b: string) => number {
  if (f !== 'id' && f.type === 'datetime') return (a, b) => Number(a) - Number(b);
  return comparator(f);
}

function readValue(f: FieldDef | 'id', r: StoredRecord): string | undefined {
  if (f === 'id') return r.id;
  switch (f.apiName) {
    case 'Owner':
      return r.ownerId;
    case 'Created_By':
      return r.createdById;
    case 'Modified_By':
      return r.modifiedById;
    case 'Created_Time':
      return String(r.createdAt);
    case 'Modified_Time':
      return String(r.modifiedAt);
  }
  const v = r.values[f.apiName];
  return typeof v === 'string' ? v : undefined;
}

function comparator(f: FieldDef | 'id'): (stored: string, given: string) => number {
  if (f === 'id' || f.type === 'lookup' || f.type === 'ownerlookup') {
    return (a, b) => (a.length - b.length) || (a < b ? -1 : a > b ? 1 : 0);
  }
  if (f.type === 'datetime') {
    // A condition compares every record with one literal: parse it once, not per record.
    let text: string | undefined;
    let given = 0;
    return (a, b) => {
      if (b !== text) {
        text = b;
        given = parseZohoTime(b) ?? Number(b);
      }
      return Number(a) - given;
    };
  }
  return (a, b) => {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  };
}
