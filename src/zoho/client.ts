import type { Dispatcher } from 'undici';
import type { ZohoConnection } from '../config/types.generated.js';
import type { ZohoRecord } from '../model/index.js';
import { systemClock, type Clock } from '../support/clock.js';
import { MlError } from '../support/errors.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../support/http.js';
import { silentLogger, type Logger } from '../support/log.js';
import { registerSecret } from '../support/redact.js';
import { concurrencyOf, SUB_CONCURRENCY } from './credits.js';
import { readField, type ZohoField } from './fields.js';
import { createCustomFields, type FieldCreation } from './field-create.js';
import type { NeededField } from './field-plan.js';
import { getByExternalId, getRecord, getRecords, listRecords, searchByField, type ListOptions } from './records.js';
import { DEFAULT_SCOPES } from './scopes.js';
import { resolveZohoUrls } from './regions.js';
import { TokenManager, type TokenGrant } from './token.js';
import { createFileTokenCache, type TokenCache } from './token-cache.js';
import { ZohoTransport, type ClientStats } from './transport.js';
import { deleteRecords, deleteSender, updateSender, upsertRecords, upsertSender, writeStream, type UpsertOptions, type WriteItem, type WriteOptions, type WriteResult } from './writes.js';
import { changedSince, withEmptyField } from './coql.js';
import { createChannelApi, type ChannelApi } from './channels.js';

export interface ZohoCredentials {
  clientId: string;
  clientSecret: string;
  refreshToken?: string;
  /** `ZohoCRM.{org_id}`, for the client-credentials grant. */
  soid?: string;
}

export interface ZohoClientOptions {
  credentials: ZohoCredentials;
  clock?: Clock;
  logger?: Logger;
  /** Overrides the edition's concurrency. */
  concurrency?: number;
  /**
   * Where access tokens (and a throttle Zoho imposed) are kept between processes, since Zoho
   * issues only 10 tokens per refresh token per 10 minutes. Default: an encrypted file per grant in
   * the user's cache directory (token-cache.ts); `false` keeps tokens in this process only.
   */
  tokenCache?: TokenCache | false;
  dispatcher?: Dispatcher;
}

export interface WriteStreamOptions<T> extends WriteOptions {
  /** upsert: the fields Zoho matches on (the mapping's external-id field). */
  duplicateCheckFields?: string[];
  /** Stop pulling records: what is in flight finishes and is reported. */
  stop?: () => boolean;
  onBatch: (results: Array<{ tag: T; result: WriteResult }>) => Promise<void>;
}

export interface ZohoModule {
  apiName: string;
  label: string;
  apiSupported: boolean;
  generatedType?: string;
}

export interface ZohoUser {
  id: string;
  email?: string;
  fullName?: string;
  role?: string;
  profile?: string;
}

export interface ZohoOrg {
  id: string;
  companyName?: string;
  edition?: string;
  timeZone?: string;
  raw: Record<string, unknown>;
}

/** A record this client wrote: its Modified_Time as Zoho returned it (for echo suppression). */
export interface OwnWrite {
  module: string;
  id: string;
  modifiedTime?: string;
  at: number;
}

export interface ZohoClient {
  listRecords(module: string, fields: string[], o?: ListOptions): AsyncIterable<ZohoRecord>;
  /** Records by Zoho id (100 per call); ids that do not exist are left out. */
  getRecords(module: string, ids: string[], fields: string[]): Promise<ZohoRecord[]>;
  getRecord(module: string, id: string, fields?: string[]): Promise<ZohoRecord | undefined>;
  getByExternalId(module: string, externalField: string, value: string, fields?: string[]): Promise<ZohoRecord | undefined>;
  searchByField(module: string, field: string, values: string[], fields: string[]): Promise<ZohoRecord[]>;
  upsert(module: string, records: Record<string, unknown>[], o: UpsertOptions): Promise<WriteResult[]>;
  deleteRecords(module: string, ids: string[], o?: { signal?: AbortSignal }): Promise<WriteResult[]>;
  /**
   * Write records as they come, in batches of 100 at the connection's concurrency, each batch's
   * results to `onBatch` as it returns: the one place writes are batched and limited.
   * `upsert` matches on `duplicateCheckFields`; `update` and `delete` take records with an `id`.
   */
  write<T>(kind: 'upsert' | 'update' | 'delete', module: string, items: AsyncIterable<WriteItem<T>> | Iterable<WriteItem<T>>, o: WriteStreamOptions<T>): Promise<void>;
  /** Records modified at or after a Zoho time (COQL): id, Modified_Time and `fields`, oldest first, in pages. */
  changedSince(module: string, fields: string[], since: string, o?: { signal?: AbortSignal }): AsyncIterable<ZohoRecord[]>;
  /** Records whose `field` is empty (COQL `is null`), in pages. */
  withEmptyField(module: string, field: string, fields: string[], o?: { signal?: AbortSignal }): AsyncIterable<ZohoRecord[]>;
  getFields(module: string): Promise<ZohoField[]>;
  /** Create custom fields (needs ZohoCRM.settings.fields.CREATE); the module's fields are read anew next time. */
  createFields(module: string, fields: readonly NeededField[]): Promise<FieldCreation[]>;
  getModules(): Promise<ZohoModule[]>;
  getCurrentUser(): Promise<ZohoUser>;
  getOrg(): Promise<ZohoOrg>;
  /** Notification channels (`/actions/watch`). */
  channels: ChannelApi;
  /** Writes this client made recently (the last 10,000), newest last. */
  recentWrites(): readonly OwnWrite[];
  /**
   * Get a token now (fails early on bad credentials): the API domain in use, whether the token was
   * kept from an earlier run (`reused`) and when it expires (epoch ms).
   */
  connect(): Promise<{ apiDomain: string; reused: boolean; expiresAt: number }>;
  stats(): ClientStats;
  close(): Promise<void>;
}

function grantOf(conn: ZohoConnection, c: ZohoCredentials): TokenGrant {
  if (conn.auth.type === 'client_credentials') {
    const soid = c.soid ?? conn.auth.soid;
    if (!soid) throw new MlError('ZOHO_SOID_MISSING', 'The client-credentials grant needs the organisation (soid)', { hint: 'set auth.soid to ZohoCRM.<org id>' });
    return { type: 'client_credentials', soid, scopes: conn.auth.scopes ?? DEFAULT_SCOPES };
  }
  if (!c.refreshToken) {
    throw new MlError('ZOHO_REAUTH_REQUIRED', `No Zoho refresh token for connection ${conn.name}`, {
      meta: { connection: conn.name },
      hint: 're-run ml-connector auth zoho and set auth.refreshToken to the secret it names',
    });
  }
  return { type: 'refresh_token', refreshToken: c.refreshToken };
}

function retryOf(conn: ZohoConnection): RetryPolicy {
  return {
    maxAttempts: conn.retry?.maxAttempts ?? DEFAULT_RETRY.maxAttempts,
    baseDelayMs: conn.retry?.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
    maxDelayMs: conn.retry?.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
    ...(DEFAULT_RETRY.maxRetryAfterMs !== undefined ? { maxRetryAfterMs: DEFAULT_RETRY.maxRetryAfterMs } : {}),
  };
}

/** Lookups go to Zoho as `{"id": ...}`; a bare id string for a lookup field is wrapped. */
function wrapLookups(records: Record<string, unknown>[], fields: ZohoField[] | undefined): Record<string, unknown>[] {
  if (!fields) return records;
  const lookups = fields.filter((f) => f.dataType === 'lookup').map((f) => f.apiName);
  if (lookups.length === 0) return records;
  return records.map((r) => {
    let out = r;
    for (const name of lookups) {
      const v = r[name];
      if (typeof v === 'string') out = { ...out, [name]: { id: v } };
    }
    return out;
  });
}

/** A client for one Zoho connection: token, queue, retries and counts are per client. */
export function createZohoClient(conn: ZohoConnection, opts: ZohoClientOptions): ZohoClient {
  const { accountsUrl, apiUrl } = resolveZohoUrls(conn);
  const clock = opts.clock ?? systemClock;
  const logger = (opts.logger ?? silentLogger).child({ zoho: conn.name });
  registerSecret(opts.credentials.clientSecret);
  registerSecret(opts.credentials.refreshToken);
  const retry = retryOf(conn);
  const timeoutMs = conn.timeouts?.requestMs ?? 30_000;
  const grant = grantOf(conn, opts.credentials);
  const tokens = new TokenManager({
    accountsUrl,
    clientId: opts.credentials.clientId,
    clientSecret: opts.credentials.clientSecret,
    region: conn.region,
    grant,
    ...(opts.tokenCache !== false
      ? { cache: opts.tokenCache ?? createFileTokenCache({ accountsUrl, clientId: opts.credentials.clientId, clientSecret: opts.credentials.clientSecret, grant }, { logger }) }
      : {}),
    clock,
    fallbackApiUrl: apiUrl,
    refreshAheadMs: (conn.refreshAheadSeconds ?? 300) * 1000,
    timeoutMs,
    retry,
    logger,
    ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
  });
  const t = new ZohoTransport({
    tokens,
    apiVersion: conn.crmApiVersion && /^v\d+$/.test(conn.crmApiVersion) ? conn.crmApiVersion : 'v8',
    concurrency: opts.concurrency ?? concurrencyOf(conn),
    timeoutMs,
    retry,
    region: conn.region,
    accountsUrl,
    logger,
    ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
  });
  const trigger = (o?: WriteOptions): string[] => o?.trigger ?? conn.trigger ?? [];
  const fieldCache = new Map<string, Promise<ZohoField[]>>();
  const resolvedFields = new Map<string, ZohoField[]>();
  const writes: OwnWrite[] = [];
  const remember = (module: string, results: WriteResult[]): WriteResult[] => {
    for (const r of results) if (r.ok && r.id) writes.push({ module, id: r.id, ...(r.modifiedTime ? { modifiedTime: r.modifiedTime } : {}), at: clock.now() });
    if (writes.length > 10_000) writes.splice(0, writes.length - 10_000);
    return results;
  };

  const getFields = (module: string): Promise<ZohoField[]> => {
    let p = fieldCache.get(module);
    if (!p) {
      p = t.call({ method: 'GET', path: '/settings/fields', query: { module }, kind: 'fields' }).then((ans) => {
        const list = ((ans.json ?? {}) as { fields?: Array<Record<string, unknown>> }).fields ?? [];
        const fields = list.map(readField);
        resolvedFields.set(module, fields);
        return fields;
      });
      p.catch(() => fieldCache.delete(module));
      fieldCache.set(module, p);
    }
    return p;
  };

  return {
    listRecords: (module, fields, o) => listRecords(t, module, fields, o),
    getRecords: (module, ids, fields) => getRecords(t, module, ids, fields),
    getRecord: (module, id, fields) => getRecord(t, module, id, fields),
    getByExternalId: (module, field, value, fields) => getByExternalId(t, module, field, value, fields),
    searchByField: (module, field, values, fields) => searchByField(t, module, field, values, fields),
    upsert: async (module, records, o) =>
      remember(module, await upsertRecords(t, module, wrapLookups(records, resolvedFields.get(module)), { ...o, trigger: trigger(o) })),
    deleteRecords: (module, ids, o) => deleteRecords(t, module, ids, o?.signal),
    write: async <T>(kind: 'upsert' | 'update' | 'delete', module: string, items: AsyncIterable<WriteItem<T>> | Iterable<WriteItem<T>>, o: WriteStreamOptions<T>) => {
      const base = { trigger: trigger(o), ...(o.signal ? { signal: o.signal } : {}) };
      const send = kind === 'upsert' ? upsertSender(t, module, { ...base, duplicateCheckFields: o.duplicateCheckFields ?? [] })
        : kind === 'update' ? updateSender(t, module, base) : deleteSender(t, module, o.signal);
      const lookups = kind === 'delete' ? undefined : resolvedFields.get(module);
      async function* prepared(): AsyncGenerator<WriteItem<T>> {
        for await (const item of items) yield lookups ? { tag: item.tag, record: wrapLookups([item.record], lookups)[0]! } : item;
      }
      // Enough batches in flight to keep every allowed call busy, no more (each holds 100 records).
      const window = Math.max(1, Math.min(concurrencyOf(conn), SUB_CONCURRENCY) + 2);
      await writeStream(prepared(), kind, send, {
        ...base, window, ...(o.stop ? { stop: o.stop } : {}),
        onBatch: async (results) => {
          if (kind !== 'delete') remember(module, results.map((r) => r.result));
          await o.onBatch(results);
        },
      });
    },
    changedSince: (module, fields, since, o) => changedSince(t, module, fields, since, o?.signal),
    withEmptyField: (module, field, fields, o) => withEmptyField(t, module, field, fields, o?.signal),
    getFields,
    async createFields(module, fields) {
      try {
        return await createCustomFields(t, module, fields);
      } finally {
        fieldCache.delete(module);
        resolvedFields.delete(module);
      }
    },
    async getModules() {
      const ans = await t.call({ method: 'GET', path: '/settings/modules', kind: 'modules' });
      const list = ((ans.json ?? {}) as { modules?: Array<Record<string, unknown>> }).modules ?? [];
      return list.map((m) => ({
        apiName: String(m.api_name),
        label: String(m.plural_label ?? m.module_name ?? m.api_name),
        apiSupported: m.api_supported !== false,
        ...(typeof m.generated_type === 'string' ? { generatedType: m.generated_type } : {}),
      }));
    },
    async getCurrentUser() {
      const ans = await t.call({ method: 'GET', path: '/users', query: { type: 'CurrentUser' }, kind: 'users' });
      const u = ((ans.json ?? {}) as { users?: Array<Record<string, unknown>> }).users?.[0];
      if (!u) throw new MlError('ZOHO_NO_CURRENT_USER', 'Zoho did not say who the current user is');
      const name = (x: unknown): string | undefined => (x && typeof x === 'object' ? String((x as { name?: unknown }).name ?? '') || undefined : undefined);
      return {
        id: String(u.id),
        ...(typeof u.email === 'string' ? { email: u.email } : {}),
        ...(typeof u.full_name === 'string' ? { fullName: u.full_name } : {}),
        ...(name(u.role) ? { role: name(u.role)! } : {}),
        ...(name(u.profile) ? { profile: name(u.profile)! } : {}),
      };
    },
    async getOrg() {
      const ans = await t.call({ method: 'GET', path: '/org', kind: 'org' });
      const o = ((ans.json ?? {}) as { org?: Array<Record<string, unknown>> }).org?.[0];
      if (!o) throw new MlError('ZOHO_NO_ORG', 'Zoho did not describe the organisation');
      const edition = o.license_details && typeof o.license_details === 'object' ? (o.license_details as { paid_type?: unknown }).paid_type : undefined;
      return {
        id: String(o.id),
        ...(typeof o.company_name === 'string' ? { companyName: o.company_name } : {}),
        ...(typeof edition === 'string' ? { edition } : {}),
        ...(typeof o.time_zone === 'string' ? { timeZone: o.time_zone } : {}),
        raw: o,
      };
    },
    channels: createChannelApi(t),
    recentWrites: () => writes,
    async connect() {
      const tok = await tokens.get();
      return { apiDomain: tok.apiDomain, reused: tokens.reused, expiresAt: tok.expiresAt };
    },
    stats: () => t.stats(),
    async close() {
      await t.drain();
    },
  };
}
