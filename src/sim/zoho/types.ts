import type { Clock } from '../../support/clock.js';

/** Zoho editions; they set the default concurrency limit (5/10/15/20/25). */
export type ZohoEdition = 'free' | 'standard' | 'professional' | 'enterprise' | 'ultimate';

/**
 * Switches for behaviour the API reference marks UNCONFIRMED. Defaults pick the
 * documented-most-likely (and usually the stricter) reading; docs/simulator-zoho.md lists them.
 */
export interface ZohoQuirks {
  /** Status of the refresh-throttle "Access Denied" body. Kaizen #43 says 200; one codebase saw 400. Default 200. */
  accessDeniedStatus?: 200 | 400;
  /** Once throttled, refresh stays blocked until this long after the last attempt (reports say 15-30 min). Default 900. */
  accessDeniedCooldownSec?: number;
  /** Grant-code lifetime: 120 s on the Accounts pages, 180 s on the CRM page. Default 120. */
  grantCodeTtlSec?: number;
  /** GET /{module}/{unknown id}: 204 (like an unknown external id) or 400 INVALID_DATA. Default 'invalid-data'. */
  unknownIdAnswer?: 'no-content' | 'invalid-data';
  /** Unknown field API name in a write: 'error' (record fails INVALID_DATA, per the reference) or 'ignore'. */
  unknownFields?: 'error' | 'ignore';
  /** A record with several invalid fields: the 'first' error, or all as MULTIPLE_OR_MULTI_ERRORS `{errors:[…]}`. Default 'first'. */
  multipleErrors?: 'first' | 'combined';
  /** Picklist value not among the declared values: 'error' (INVALID_DATA with supported_values) or 'accept'. */
  picklistValues?: 'error' | 'accept';
  /** Upsert input matching several existing records on a non-unique field (Email): update the 'oldest' or 'newest'. */
  upsertMultipleMatches?: 'oldest' | 'newest';
  /** If-Modified-Since: records modified strictly after (false) or at/after (true) the given second. Default false. */
  ifModifiedSinceInclusive?: boolean;
  /** Records inserted within this many ms are not yet visible to search (search is eventually consistent). Default 0. */
  searchLagMs?: number;
  /** Search results cap. Default 2000. */
  searchMaxResults?: number;
  /** Whether search also needs `ZohoSearch.securesearch.READ` (as v2 did). Default false. */
  searchNeedsSecureSearchScope?: boolean;
  /** List calls with sort_by (or cvid) count against the sub-concurrency limit of 10. Default true. */
  sortByIsHeavy?: boolean;
  /** Version segment in callback `resource_uri` (Zoho's v7 samples still show v2). Default 'v2'. */
  callbackResourceUriVersion?: string;
  /** Extra delivery attempts for a callback answered non-2xx (Zoho's retry policy is unknown). Default 0. */
  notifyRetries?: number;
  /** Send callbacks for changes made through the API by the connected app itself. Default true (echo loops happen). */
  notifyOwnChanges?: boolean;
  /** Send X-API-CREDITS-REMAINING once half the credits are used. Default true. */
  creditsHeader?: boolean;
  /** Status for a module the edition lacks (Vendors switched off): 400 INVALID_MODULE (reference) or 404. Default 400. */
  missingModuleStatus?: 400 | 404;
}

export interface ZohoClientConfig {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  orgId: string;
  scopes?: string[];
  /** Registered redirect URIs; when absent any http://127.0.0.1 or http://localhost URI is accepted. */
  redirectUris?: string[];
}

/** Initial records per module, in the JSON shape the API returns (see docs/simulator-zoho.md). */
export interface ZohoFixture {
  records: Record<string, Array<Record<string, unknown>>>;
}

export interface ZohoSimulatorOptions {
  port?: number;
  clock?: Clock;
  edition?: ZohoEdition;
  concurrencyLimit?: number;
  /** Default: true from the Professional edition up (so true for the default 'enterprise'). */
  vendorsModule?: boolean;
  dailyCredits?: number;
  latencyMs?: number;
  jitterMs?: number;
  errorRate?: number;
  seed?: number;
  client?: ZohoClientConfig;
  fixture?: ZohoFixture;
  /**
   * Records typed in by a person before ml-connector came (added after `fixture`): owned and
   * created by the UI user, usually without an external id, typed the way people type. The
   * `firm` story's dozen is `firmHandMadeRecords(dataset)` (src/sim/firm-zoho.ts).
   */
  handMade?: ZohoFixture['records'];
  quirks?: ZohoQuirks;
  /** Show a consent page on /oauth/v2/auth instead of redirecting at once. Default true (auto-approve). */
  autoApprove?: boolean;
  /** Org time-zone offset used in every datetime the simulator writes, in minutes. Default -420 (UTC-07:00). */
  utcOffsetMinutes?: number;
  /** The token endpoint answers 429 or a 5xx from the start (see `failTokenEndpoint`). */
  tokenEndpointFailure?: TokenEndpointFailure;
  /**
   * The PeopleSoft custom fields (PeopleSoft_Employee_ID, Employment_Status, ...) exist, as after
   * an admin's setup. Default true; false is a fresh org (create them with `check --create-fields`).
   */
  customFields?: boolean;
}

/** `POST /oauth/v2/token` failing: this status for the next `times` requests (default: until switched off). */
export interface TokenEndpointFailure {
  status: 429 | 500 | 502 | 503;
  times?: number;
  /** With 429: send `Retry-After` (seconds). */
  retryAfterSec?: number;
}

export type ZohoRequestKind =
  | 'token'
  | 'auth'
  | 'revoke'
  | 'list'
  | 'get'
  | 'upsert'
  | 'insert'
  | 'update'
  | 'delete'
  | 'search'
  | 'coql'
  | 'count'
  | 'deleted'
  | 'fields'
  | 'modules'
  | 'users'
  | 'org'
  | 'watch'
  | 'notify'
  /** The simulator's own control routes (`POST /sim/hand-made`). */
  | 'sim'
  | 'unknown';

export interface ZohoRequestLogEntry {
  /** 1-based position among all requests since start or the last clear(). */
  seq: number;
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** Wall time including injected latency. */
  durationMs: number;
  /** Time spent in the simulator's own handler, without injected latency or delays. */
  serverMs: number;
  /** CPU time of the process during the handler: a fairer cost figure on a busy machine. */
  serverCpuMs: number;
  kind: ZohoRequestKind;
  module?: string;
  records?: number;
  credits?: number;
  /** Other API requests in flight when this one arrived. */
  inFlightAtStart: number;
  /** Other requests of the same kind in flight when this one arrived. */
  inFlightSameKindAtStart: number;
  /** Simulator-clock time at arrival (epoch ms). */
  startedAt: number;
  /** Fault injected into this request, if any. */
  fault?: string;
}

export interface ZohoRequestFilter {
  method: string;
  kind: string;
  module: string;
  status: number;
}

export interface ZohoRequestLog {
  entries: ZohoRequestLogEntry[];
  count(filter?: Partial<ZohoRequestFilter>): number;
  maxConcurrent(kind?: string): number;
  clear(): void;
}

/** Which request a fault hits: the next one, the Nth (1-based seq), or the next of a kind (and module). */
export type ZohoFaultTarget = 'next' | number | { kind: ZohoRequestKind; module?: string };

export interface ZohoFault {
  at?: ZohoFaultTarget;
  /** How many matching requests it hits (consecutive). Default 1. */
  times?: number;
  /** Answer with this status and Zoho's envelope, without processing the request. */
  status?: number;
  /** With status 429: send Retry-After (Zoho documents none). */
  retryAfterSec?: number;
  /** Destroy the socket without answering. */
  reset?: boolean;
  /** Process the request, then send only the first half of the JSON body. */
  truncatedJson?: boolean;
  /** Process the request, then hold the answer this long (past a client's timeout). */
  delayMs?: number;
  /** Revoke the refresh token (and its access tokens) before handling the request. */
  revokeRefreshToken?: boolean;
}

/** One outbound notification callback. */
export interface ZohoDelivery {
  channelId: string;
  url: string;
  payload: Record<string, unknown>;
  status?: number;
  error?: string;
  at: number;
}

export interface ZohoSimulator {
  url: string;
  accountsUrl: string;
  apiDomain: string;
  credentials: { clientId: string; clientSecret: string; refreshToken: string; orgId: string };
  clock: Clock;
  requests: ZohoRequestLog;
  inject(fault: ZohoFault): void;
  records(module: string): ReadonlyArray<Record<string, unknown>>;
  editRecord(module: string, id: string, changes: Record<string, unknown>, by?: 'user'): void;
  deleteRecord(module: string, id: string, by?: 'user'): void;
  seed(fixture: ZohoFixture): void;
  /** Add records as a person in the Zoho UI would (see `handMade`); returns their ids per module. */
  addHandMade(records: ZohoFixture['records']): Record<string, string[]>;
  dump(): ZohoFixture;
  creditsUsed(): number;
  /** Callbacks sent so far (and their outcome). */
  deliveries: ZohoDelivery[];
  /** Wait until every callback started so far has finished. */
  flushNotifications(): Promise<void>;
  /** Revoke a refresh token (default: the configured one) and every access token minted from it. */
  revokeRefreshToken(token?: string): void;
  /**
   * A Self Client grant code, as Zoho's API console generates it (no redirect URI; exchanged
   * without `redirect_uri`); it yields a refresh token. Counts against the grant throttle.
   */
  issueSelfClientCode(scopes?: string[]): string;
  /** Switch the token endpoint's failure on (429 or a 5xx, for `times` requests or until switched off) or off (`undefined`). */
  failTokenEndpoint(failure: TokenEndpointFailure | undefined): void;
  close(): Promise<void>;
}
