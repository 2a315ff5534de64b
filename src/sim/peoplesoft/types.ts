import type { Clock } from '../../support/clock.js';
import type { PeopleSoftDataset, ScenarioDayReport } from '../dataset/index.js';

/** A PeopleSoft user (PSOPRDEFN row plus what its roles grant). */
export interface PsUser {
  oprid: string;
  password: string;
  /** Permission lists. PTPT2200 grants the QAS service operations (ExecuteQuery). */
  permissionLists: string[];
  /** Other service operations this user may call ('*' = all), e.g. ML_EMPL_CHANGES, CIRT_VENDOR_CI_G_GET. */
  operations: '*' | string[];
  /** Queries in the user's query access trees ('*' = all). */
  queries: '*' | string[];
  /** Row-level security on HCM data: only JOB rows of these business units are visible. */
  businessUnits?: string[];
  /** A locked account fails sign-on like a wrong password. */
  locked?: boolean;
}

/**
 * Behaviours the reference marks UNCONFIRMED, or that differ between PeopleTools releases.
 * Each is a switch so the client can be tested against either answer.
 */
export interface PeopleSoftQuirks {
  /** Render blank character values as a single space, as PeopleSoft stores them (default true). */
  blankAsSpace?: boolean;
  /** Prefix QAS column keys with the record alias (`A.EMPLID`), as multi-record queries do (default false). */
  aliasPrefixes?: boolean;
  /** Emit the key `queryname=` instead of `queryname`, as seen behind one proxy (default false). */
  querynameWithEquals?: boolean;
  /** HTTP status for a QAS request error such as a prompt count mismatch (default 200, with status "failure"). */
  queryErrorStatus?: number;
  /** Treat %2C in prompt lists as a separator too (default false: only literal commas separate). */
  splitEncodedCommas?: boolean;
  /** Answer JSON only when json_resp=true (default true); false: the JSON result type alone is enough. */
  jsonRequiresJsonResp?: boolean;
  /** HTTP status for a CI Get whose keys match nothing (default 404). */
  ciNotFoundStatus?: number;
  /** CI Get returns effective-dated history rows too (GETHISTORYITEMS=True); default false: current and future only. */
  ciHistoryItems?: boolean;
  /** Accept gateway URLs without the node segment, as one public client uses (default false). */
  allowMissingNode?: boolean;
  /** The query profile's "max rows fetched": caps every QAS result (default: no cap). */
  maxRowsCap?: number;
  /**
   * A customer's query that filters JOB rows instead of selecting people (default false): ML_EMPLOYEES
   * and ML_EMPL_CHANGES return only the rows whose LASTUPDDTTM or EFFDT falls in the prompts'
   * bounds (all rows of a person whose PERSON row changed), not every row of each person selected.
   */
  changedRowsOnly?: boolean;
  /** Columns a customer's query does not return, per query or operation, e.g. `{ ML_VENDORS: ['ADDRESS_SEQ_NUM'] }`. */
  omitColumns?: Record<string, string[]>;
  /**
   * Control characters in names, as pasted or converted into PeopleSoft (default false): employees
   * whose EMPLID ends in 3 get a NUL after FIRST_NAME, an ESC inside LAST_NAME and half an emoji (a
   * lone surrogate) after NAME_DISPLAY; vendors whose VENDOR_ID ends in 3 an ESC inside NAME1.
   * JSON escapes them; XMLP writes them raw, which makes the document ill-formed, as a real server would.
   */
  controlCharsInNames?: boolean;
}

export type RequestKind =
  | 'qas' | 'employee-changes' | 'ci-find' | 'ci-get' | 'oauth-token' | 'oauth-keys' | 'oauth-metadata' | 'scenario' | 'unknown';

export interface RequestEntry {
  /** 1-based order of arrival since the simulator started (faults can target it). */
  seq: number;
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** Server time from arrival to the last byte written, injected delays included. */
  durationMs: number;
  /** CPU time of the simulator process while it served the request (meaningful when requests do not overlap). */
  cpuMs: number;
  kind: RequestKind;
  /** Rows returned by a query or listing. */
  rows?: number;
  /** The OPRID the request ran as, once authenticated. */
  user?: string;
}

export interface RequestFilter {
  kind?: RequestKind;
  status?: number;
  method?: string;
  path?: string;
}

export interface RequestLog {
  readonly entries: RequestEntry[];
  /** Requests received so far, answered or not (the `seq` of the latest arrival). */
  readonly received: number;
  count(filter?: RequestFilter | ((e: RequestEntry) => boolean)): number;
  clear(): void;
}

/**
 * Where a fault strikes: the next gateway request, request number n, or the next request matching
 * a kind and/or a path ending (`{ kind: 'ci-get', path: 'SHARE/0000000042' }`), optionally only
 * from the nth such request on (`nth: 2`: the second).
 */
export type FaultTarget = 'next' | number | { kind?: RequestKind; path?: string; nth?: number };

export interface Fault {
  at?: FaultTarget;
  /** How many matching requests it hits (default 1). */
  times?: number;
  /** Answer with this HTTP status (gateway error page). */
  status?: number;
  /** With `status`: a Retry-After header (seconds). */
  retryAfter?: number;
  /** Hold the response this long first (a client timeout shorter than this sees a timeout). */
  delayMs?: number;
  /** Destroy the connection without answering. */
  reset?: boolean;
  /** HTTP 200 with an `<IBResponse type="error">` body, as the HttpListeningConnector answers failures. */
  ibError?: boolean;
  /** The query succeeds but returns no rows (what row-level security or a broken query looks like). */
  zeroRows?: boolean;
  /** The answer holds only its first n rows, and `numrows` says n: a page cut short that looks whole. */
  keepRows?: number;
  /** The answer loses its last n rows while `numrows` still counts them: numrows contradicts the rows. */
  dropRows?: number;
  /** The keyset prompt (AFTER_EMPLID, AFTER_VENDOR_ID) is ignored: the keys go back to the start. */
  rewind?: boolean;
  /** The body is cut in half (Content-Length matching): a broken document. */
  truncateBody?: boolean;
}

/** The faults that change what a query or operation returns, as the route sees them. */
export interface RowEffects {
  zeroRows: boolean;
  keepRows?: number | undefined;
  dropRows?: number | undefined;
  rewind: boolean;
}

export interface StartPeopleSoftOptions {
  port?: number;
  /** Default: a new OffsetClock (real time that scenarios can move forward). */
  clock?: Clock;
  /**
   * IANA time zone of the simulated database server (default UTC). PeopleSoft datetimes carry no
   * zone: LASTUPDDTTM, effective dates and "today" are the server's wall time in this zone, so a
   * configuration whose `normalization.serverTimezone` says the same reads them right.
   */
  serverTimezone?: string;
  /** Default: generateDataset({ preset: 'firm', seed: 1, asOf: the server's today }). */
  dataset?: PeopleSoftDataset;
  /** Default local nodes of the HCM and FSCM databases (default PSFT_HR, PSFT_EP). */
  nodes?: { hcm: string; fscm: string };
  users?: PsUser[];
  /** Added to every gateway answer, plus up to jitterMs more. */
  latencyMs?: number;
  jitterMs?: number;
  /** Share of gateway requests answered with 500 (0..1). */
  errorRate?: number;
  /** Seeds latency jitter and the error rate. */
  seed?: number;
  quirks?: PeopleSoftQuirks;
  oauth?: { clientId?: string; clientSecret?: string; audience?: string; tokenTtlSec?: number; oprid?: string };
}

export interface TokenRequest {
  sub?: string;
  aud?: string;
  /** Lifetime from now on the simulator clock; negative = already expired. */
  expiresInSec?: number;
}

export interface PeopleSoftSimulator {
  url: string;
  nodes: { hcm: string; fscm: string };
  clock: Clock;
  /** The full-access sync user. */
  credentials: { username: string; password: string };
  /** For PeopleTools 8.58+ bearer auth: a client-credentials token endpoint and its JWKS. */
  oauth: {
    tokenUrl: string;
    clientId: string;
    clientSecret: string;
    audience: string;
    issuer: string;
    jwksUrl: string;
    /** Mint a token directly (tests: expired or wrong-audience tokens). */
    issueToken(request?: TokenRequest): Promise<string>;
  };
  requests: RequestLog;
  inject(fault: Fault): void;
  /** The live data the simulator serves; change it and the next request sees the change. */
  data: PeopleSoftDataset;
  scenario: { nextDay(): ScenarioDayReport };
  close(): Promise<void>;
}
