import { randomBytes } from 'node:crypto';
import { CriteriaError, parseCriteria, type Predicate } from './criteria.js';
import { empty, json, zohoError, type Reply } from './http-io.js';
import type { Org } from './org.js';
import { parseSinceHeader } from './records-write.js';
import type { ModuleStore, SortField, StoredRecord } from './store.js';

/**
 * List (page / page_token), get by id or external value, and search. Nothing found is 204 with
 * an empty body; nothing changed since If-Modified-Since is 304.
 */

export const MAX_FIELDS = 50;
export const MAX_PER_PAGE = 200;
/** `page` reaches only the first 2,000 records; `page_token` up to 100,000 (Kaizen #60). */
export const PAGE_LIMIT = 2000;
export const TOKEN_LIMIT = 100_000;
const TOKEN_TTL_MS = 24 * 3600_000;

interface PageToken {
  module: string;
  sortBy: SortField;
  order: 'asc' | 'desc';
  since: number | undefined;
  offset: number;
  expiresAt: number;
}

export interface ReadRequest {
  query: URLSearchParams;
  ifModifiedSince?: string;
  externalField?: string;
}

const param = (name: string): Reply => zohoError(400, 'REQUIRED_PARAM_MISSING', 'One of the expected parameter is missing', { param_name: name });
const badParam = (name: string, extra: Record<string, unknown> = {}): Reply =>
  zohoError(400, 'INVALID_DATA', 'invalid data', { param_name: name, ...extra });

export class RecordReader {
  private readonly tokens = new Map<string, PageToken>();

  constructor(private readonly org: Org) {}

  /** `fields=` checked against the module: ≤50 known API names. */
  private readFields(store: ModuleStore, raw: string | null, required: boolean): string[] | Reply | undefined {
    if (raw === null || raw.trim() === '') return required ? param('fields') : undefined;
    const names = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (names.length > MAX_FIELDS) return zohoError(400, 'LIMIT_EXCEEDED', 'limit exceeded', { param_name: 'fields', limit: MAX_FIELDS });
    for (const n of names) {
      if (n !== 'id' && !store.def.byName.has(n)) return badParam('fields', { api_name: n });
    }
    return names.filter((n) => n !== 'id');
  }

  private readPerPage(query: URLSearchParams): number | Reply {
    const raw = query.get('per_page');
    if (raw === null) return MAX_PER_PAGE;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > MAX_PER_PAGE) return badParam('per_page', { maximum_value: MAX_PER_PAGE });
    return n;
  }

  list(store: ModuleStore, req: ReadRequest): Reply {
    const q = req.query;
    const fields = this.readFields(store, q.get('fields'), true);
    if (!Array.isArray(fields)) return fields ?? param('fields');
    const perPage = this.readPerPage(q);
    if (typeof perPage !== 'number') return perPage;
    if (q.get('cvid') !== null) return badParam('cvid');

    const ids = q.get('ids');
    if (ids !== null) return this.listByIds(store, ids, fields, req.externalField);

    const since = parseSinceHeader(req.ifModifiedSince);
    if (since === 'invalid') return zohoError(400, 'INVALID_DATA', 'invalid data', { header_name: 'If-Modified-Since' });

    const tokenText = q.get('page_token');
    let sortBy: SortField;
    let order: 'asc' | 'desc';
    let offset: number;
    let page: number;
    if (tokenText !== null) {
      if (q.get('page') !== null) return badParam('page_token', { reason: 'page and page_token cannot be combined' });
      const token = this.tokens.get(tokenText);
      if (!token || token.module !== store.def.apiName || token.expiresAt <= this.org.clock.now()) return badParam('page_token');
      ({ sortBy, order, offset } = token);
      page = Math.floor(offset / perPage) + 1;
      if (offset >= TOKEN_LIMIT) return zohoError(400, 'LIMIT_REACHED', 'maximum limit of records reached', { limit: TOKEN_LIMIT });
    } else {
      const sortParam = q.get('sort_by');
      if (sortParam !== null && !['id', 'Created_Time', 'Modified_Time'].includes(sortParam)) {
        return badParam('sort_by', { supported_values: ['id', 'Created_Time', 'Modified_Time'] });
      }
      const orderParam = q.get('sort_order') ?? 'desc';
      if (orderParam !== 'asc' && orderParam !== 'desc') return badParam('sort_order', { supported_values: ['asc', 'desc'] });
      sortBy = (sortParam ?? 'id') as SortField;
      order = orderParam;
      page = Number(q.get('page') ?? '1');
      if (!Number.isInteger(page) || page < 1) return badParam('page');
      offset = (page - 1) * perPage;
      if (offset >= PAGE_LIMIT) {
        return zohoError(400, 'DISCRETE_PAGINATION_LIMIT_EXCEEDED', 'cannot fetch more than 2000 records using page; use page_token', { limit: PAGE_LIMIT });
      }
    }
    const sinceMs = tokenText !== null ? this.tokens.get(tokenText)?.since : since;
    const view = store.view(sortBy, sinceMs, this.org.quirks.ifModifiedSinceInclusive);
    if (view.length === 0 || offset >= view.length) return sinceMs !== undefined && view.length === 0 ? empty(304) : empty(204);

    // `page` alone never reaches past record 2,000; a page that would cross it is cut there.
    const limit = tokenText === null ? Math.min(perPage, PAGE_LIMIT - offset) : perPage;
    const data: Record<string, unknown>[] = [];
    for (let i = offset; i < Math.min(offset + limit, view.length); i++) {
      const id = order === 'asc' ? view[i] : view[view.length - 1 - i];
      const rec = id === undefined ? undefined : store.get(id);
      if (rec) data.push(this.org.serialize(store, rec, fields));
    }
    const more = offset + data.length < view.length;
    let nextToken: string | null = null;
    let expiry: string | null = null;
    if (more) {
      nextToken = randomBytes(24).toString('hex');
      const expiresAt = this.org.clock.now() + TOKEN_TTL_MS;
      this.tokens.set(nextToken, { module: store.def.apiName, sortBy, order, since: sinceMs, offset: offset + data.length, expiresAt });
      expiry = this.org.time(expiresAt);
      if (this.tokens.size > 10_000) this.pruneTokens();
    }
    return json(200, {
      data,
      info: {
        per_page: perPage,
        next_page_token: nextToken,
        count: data.length,
        sort_by: sortBy,
        page,
        previous_page_token: tokenText,
        page_token_expiry: expiry,
        sort_order: order,
        email: false,
        call: false,
        more_records: more,
      },
    });
  }

  private pruneTokens(): void {
    const now = this.org.clock.now();
    for (const [k, t] of this.tokens) if (t.expiresAt <= now) this.tokens.delete(k);
  }

  private resolve(store: ModuleStore, key: string, externalField?: string): StoredRecord | undefined {
    if (externalField) {
      const id = store.findBy(externalField, key)[0];
      return id === undefined ? undefined : store.get(id);
    }
    return store.get(key);
  }

  private listByIds(store: ModuleStore, idsText: string, fields: string[], externalField?: string): Reply {
    const keys = idsText.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (keys.length > 100) return zohoError(400, 'LIMIT_EXCEEDED', 'limit exceeded', { param_name: 'ids', limit: 100 });
    const data = [];
    for (const key of keys) {
      const rec = this.resolve(store, key, externalField);
      if (rec) data.push(this.org.serialize(store, rec, fields));
    }
    if (data.length === 0) return empty(204);
    return json(200, { data, info: { per_page: MAX_PER_PAGE, count: data.length, page: 1, more_records: false } });
  }

  get(store: ModuleStore, key: string, req: ReadRequest): Reply {
    const fields = this.readFields(store, req.query.get('fields'), false);
    if (fields !== undefined && !Array.isArray(fields)) return fields;
    const rec = this.resolve(store, key, req.externalField);
    if (!rec) {
      if (req.externalField || this.org.quirks.unknownIdAnswer === 'no-content') return empty(204);
      return zohoError(400, 'INVALID_DATA', 'the id given seems to be invalid', { resource_path_index: 1 });
    }
    return json(200, { data: [this.org.serialize(store, rec, fields)] });
  }

  search(store: ModuleStore, req: ReadRequest): Reply {
    const q = req.query;
    const given = ['criteria', 'email', 'phone', 'word'].filter((k) => q.get(k) !== null);
    if (given.length === 0) return param('criteria');
    if (given.length > 1) return badParam(given[1]!, { reason: 'only one of criteria, email, phone, word is allowed' });
    const fields = this.readFields(store, q.get('fields'), false);
    if (fields !== undefined && !Array.isArray(fields)) return fields;
    const perPage = this.readPerPage(q);
    if (typeof perPage !== 'number') return perPage;
    const page = Number(q.get('page') ?? '1');
    if (!Number.isInteger(page) || page < 1) return badParam('page');

    let pred: Predicate;
    try {
      pred = this.searchPredicate(store, given[0]!, q.get(given[0]!)!);
    } catch (err) {
      if (err instanceof CriteriaError) {
        return zohoError(400, err.code, err.code === 'LIMIT_EXCEEDED' ? 'limit exceeded' : 'invalid query formed', err.details);
      }
      throw err;
    }
    const visibleBefore = this.org.clock.now() - this.org.quirks.searchLagMs;
    const matches: StoredRecord[] = [];
    const view = store.view('id');
    for (let i = view.length - 1; i >= 0 && matches.length < this.org.quirks.searchMaxResults; i--) {
      const rec = store.get(view[i]!);
      if (rec && rec.createdAt <= visibleBefore && pred(rec)) matches.push(rec);
    }
    const offset = (page - 1) * perPage;
    const slice = matches.slice(offset, offset + perPage);
    if (slice.length === 0) return empty(204);
    return json(200, {
      data: slice.map((r) => this.org.serialize(store, r, fields)),
      info: { per_page: perPage, count: slice.length, page, more_records: offset + slice.length < matches.length },
    });
  }

  /** `GET /{module}/deleted?type=all|recycle|permanent`: the recycle bin, newest first. */
  deleted(store: ModuleStore, q: URLSearchParams): Reply {
    const type = q.get('type') ?? 'all';
    if (!['all', 'recycle', 'permanent'].includes(type)) return badParam('type', { supported_values: ['all', 'recycle', 'permanent'] });
    const perPage = this.readPerPage(q);
    if (typeof perPage !== 'number') return perPage;
    const page = Number(q.get('page') ?? '1');
    if (!Number.isInteger(page) || page < 1) return badParam('page');
    const all = type === 'permanent' ? [] : [...store.deleted].reverse();
    const slice = all.slice((page - 1) * perPage, page * perPage);
    if (slice.length === 0) return empty(204);
    return json(200, {
      data: slice.map((d) => ({
        deleted_by: this.org.userRef(d.deletedById, false),
        id: d.id,
        display_name: d.displayName,
        type: 'recycle',
        created_by: this.org.userRef(d.createdById, false),
        deleted_time: this.org.time(d.deletedAt),
      })),
      info: { per_page: perPage, count: slice.length, page, more_records: page * perPage < all.length },
    });
  }

  private searchPredicate(store: ModuleStore, kind: string, value: string): Predicate {
    if (kind === 'criteria') return parseCriteria(store.def, value);
    const v = value.trim().toLowerCase();
    if (kind === 'email') {
      const names = store.def.fields.filter((f) => f.type === 'email').map((f) => f.apiName);
      return (r) => names.some((n) => typeof r.values[n] === 'string' && (r.values[n] as string).toLowerCase() === v);
    }
    if (kind === 'phone') {
      const digits = v.replace(/\D/g, '');
      const names = store.def.fields.filter((f) => f.type === 'phone').map((f) => f.apiName);
      return (r) => digits !== '' && names.some((n) => typeof r.values[n] === 'string' && (r.values[n] as string).replace(/\D/g, '') === digits);
    }
    const names = store.def.fields.filter((f) => ['text', 'email', 'phone', 'textarea', 'website'].includes(f.type)).map((f) => f.apiName);
    return (r) => names.some((n) => typeof r.values[n] === 'string' && (r.values[n] as string).toLowerCase().includes(v));
  }
}
