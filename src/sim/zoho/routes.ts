import type { ZohoRequestKind } from './types.js';

/** Which endpoint a method and path name: the request kind, the module and the path id. */

export interface Route {
  /** `sim`: the simulator's own control routes (`/sim/...`), never Zoho's. */
  area: 'accounts' | 'api' | 'sim' | 'none';
  kind: ZohoRequestKind;
  module?: string;
  key?: string;
  fieldId?: string;
  /** False when the path exists but not for this method (400 INVALID_REQUEST_METHOD). */
  methodOk: boolean;
}

const RESERVED = new Set(['settings', 'users', 'org', 'actions', 'coql', 'bulk']);

const byMethod = (method: string, table: Partial<Record<string, ZohoRequestKind>>, base: Omit<Route, 'kind' | 'methodOk'>): Route => {
  const kind = table[method];
  return kind ? { ...base, kind, methodOk: true } : { ...base, kind: Object.values(table)[0] ?? 'unknown', methodOk: false };
};

export function classify(method: string, pathname: string): Route {
  if (pathname === '/oauth/v2/auth') return { area: 'accounts', kind: 'auth', methodOk: method === 'GET' };
  if (pathname === '/oauth/v2/token') return { area: 'accounts', kind: 'token', methodOk: method === 'POST' };
  if (pathname === '/oauth/v2/token/revoke') return { area: 'accounts', kind: 'revoke', methodOk: method === 'POST' };
  if (pathname.startsWith('/sim/')) return { area: 'sim', kind: 'sim', methodOk: true };
  if (!pathname.startsWith('/crm/v8/')) return { area: 'none', kind: 'unknown', methodOk: true };
  let seg: string[];
  try {
    seg = pathname.slice('/crm/v8/'.length).split('/').map((s) => decodeURIComponent(s));
  } catch {
    return { area: 'none', kind: 'unknown', methodOk: true }; // malformed percent-encoding
  }
  if (seg.some((s) => s === '')) return { area: 'none', kind: 'unknown', methodOk: true };
  const [a, b, c] = seg;
  const api = { area: 'api' as const };
  if (a === 'settings' && b === 'fields' && seg.length <= 3) {
    // POST creates custom fields (on the collection only, as in the reference).
    return byMethod(method, c === undefined ? { GET: 'fields', POST: 'fields' } : { GET: 'fields' }, c === undefined ? api : { ...api, fieldId: c });
  }
  if (a === 'settings' && b === 'modules' && seg.length === 2) return byMethod(method, { GET: 'modules' }, api);
  if (a === 'coql' && seg.length === 1) return byMethod(method, { POST: 'coql' }, api);
  if (a === 'users' && seg.length === 1) return byMethod(method, { GET: 'users' }, api);
  if (a === 'org' && seg.length === 1) return byMethod(method, { GET: 'org' }, api);
  if (a === 'actions' && b === 'watch' && seg.length === 2) {
    return byMethod(method, { GET: 'watch', POST: 'watch', PUT: 'watch', PATCH: 'watch', DELETE: 'watch' }, api);
  }
  if (a === undefined || RESERVED.has(a) || seg.length > 3) return { area: 'none', kind: 'unknown', methodOk: true };
  const mod = { ...api, module: a };
  if (seg.length === 3) {
    if (b === 'actions' && c === 'count') return byMethod(method, { GET: 'count' }, mod);
    return { area: 'none', kind: 'unknown', methodOk: true };
  }
  if (b === 'deleted') return byMethod(method, { GET: 'deleted' }, mod);
  if (b === undefined) return byMethod(method, { GET: 'list', POST: 'insert', PUT: 'update', DELETE: 'delete' }, mod);
  if (b === 'upsert') return byMethod(method, { POST: 'upsert' }, mod);
  if (b === 'search') return byMethod(method, { GET: 'search' }, mod);
  return byMethod(method, { GET: 'get', PUT: 'update', DELETE: 'delete' }, { ...mod, key: b });
}

/** Scopes (lower-cased) that grant a request; any one suffices. */
export function scopesFor(route: Route, method: string): string[] {
  const m = route.module?.toLowerCase();
  const records = (op: string): string[] => ['zohocrm.modules.all', `zohocrm.modules.${m}.all`, `zohocrm.modules.${m}.${op}`, `zohocrm.modules.${op}`];
  switch (route.kind) {
    case 'list':
    case 'get':
    case 'search':
    case 'count':
    case 'deleted':
      return records('read');
    case 'insert':
      return [...records('create'), ...records('write')];
    case 'update':
      return [...records('update'), ...records('write')];
    case 'upsert':
      return records('write');
    case 'delete':
      return records('delete');
    case 'coql':
      return ['zohocrm.coql.read'];
    case 'fields':
      return method === 'POST'
        ? ['zohocrm.settings.all', 'zohocrm.settings.fields.all', 'zohocrm.settings.fields.create']
        : ['zohocrm.settings.all', 'zohocrm.settings.fields.all', 'zohocrm.settings.fields.read'];
    case 'modules':
      return ['zohocrm.settings.all', 'zohocrm.settings.modules.all', 'zohocrm.settings.modules.read'];
    case 'users':
      return ['zohocrm.users.all', 'zohocrm.users.read'];
    case 'org':
      return ['zohocrm.org.all', 'zohocrm.org.read'];
    case 'watch': {
      const op = method === 'GET' ? 'read' : method === 'POST' ? 'create' : method === 'DELETE' ? 'delete' : 'update';
      return ['zohocrm.notifications.all', `zohocrm.notifications.${op}`, ...(op === 'create' || op === 'update' ? ['zohocrm.notifications.write'] : [])];
    }
    default:
      return [];
  }
}
