/**
 * Data that crosses layer boundaries: what the PeopleSoft connector produces, what the mapping
 * engine and planner consume, and what the Zoho connector returns. Types only, no behaviour, so
 * every layer can import it without importing another layer.
 */
import type { LifecycleEvent as ConfigLifecycleEvent } from '../config/types.generated.js';

export type LifecycleEvent = NonNullable<ConfigLifecycleEvent>;
/** What a PeopleSoft reader reads. */
export type SourceEntity = 'employees' | 'vendors' | 'departments';
export type SourceValue = string | number | boolean | null;

/** One PeopleSoft employee (per EMPLID) or vendor (per SETID+VENDOR_ID) as of a date, normalized. */
export interface SourceRecord {
  /** `static` for records written in the configuration (`source.static`). */
  entity: SourceEntity | 'static';
  /** EMPLID for employees; `SETID-VENDOR_ID` for vendors; `SETID-DEPTID` for departments; the `key` of a static record. */
  key: string;
  /** Normalized fields, named as in src/config/source-fields.ts. Strings are trimmed; blanks are null. */
  fields: Record<string, SourceValue>;
  /** active / leave / inactive, from the code tables. */
  status: 'active' | 'leave' | 'inactive';
  /** The lifecycle event of the current row (e.g. its ACTION), when one applies. */
  event?: LifecycleEvent;
  /** Date the current row took effect (YYYY-MM-DD). */
  effectiveDate?: string;
  /** Future-dated changes known today, in date order (not applied until effective). */
  scheduled?: ScheduledChange[];
  /** Highest last-update datetime seen on the record's rows (ISO 8601), for watermarks. */
  cursor?: string;
  /** Content hash of the normalized fields (sha256 hex), for hash-based change detection. */
  hash: string;
  /**
   * The person's whole history to store after apply (`putHistories`), present only when it differs
   * from the one loaded for this read: readers with `history: changed-rows` (docs/peoplesoft.md).
   */
  history?: StoredHistory;
}

/**
 * A source record's complete history as the state keeps it (one row per person in `histories`):
 * an opaque, compact text the PeopleSoft connector writes and reads, and a short hash of it.
 */
export interface StoredHistory {
  hash: string;
  data: string;
}

/** Loads the stored histories of some keys (one call per page of a read, never per record). */
export type HistoryLoader = (keys: string[]) => Promise<ReadonlyMap<string, StoredHistory>>;

export interface ScheduledChange {
  effectiveDate: string;
  event?: LifecycleEvent;
  status: 'active' | 'leave' | 'inactive';
}

/** A record that could not be read, normalized, mapped or written: reported and skipped, retried next run. */
export interface RecordProblem {
  /** Mapping name when known. */
  mapping?: string;
  /** Record key (EMPLID, SETID-VENDOR_ID) when known, or a row number. */
  key: string;
  /** Stable code, e.g. `SOURCE_BAD_DATE`, `MAP_UNKNOWN_CODE`, `ZOHO_INVALID_DATA`. */
  code: string;
  message: string;
  /** Zoho or source field concerned, if any. */
  field?: string;
  /** The call that failed for this record, as method and URL path (no host, no query, no secret). */
  call?: string;
  severity: 'error' | 'warning';
}

/** A Zoho record as read: id, Modified_Time and the fields asked for. IDs are strings, always. */
export interface ZohoRecord {
  id: string;
  Modified_Time: string;
  [field: string]: unknown;
}

/** A lookup value as Zoho writes it. */
export interface ZohoLookup {
  id: string;
  name?: string;
}

/** One line of `ml-connector check`: a connection or reader probed with one cheap call. */
export interface CheckResult {
  /** What was checked, e.g. `peoplesoft-hcm/employees` or `zoho/Contacts`. */
  target: string;
  status: 'ok' | 'warning' | 'error';
  /** One line for people, e.g. "reachable, basic auth, 212 ms, 150 rows visible". */
  summary: string;
  /** What to do when status is not ok, e.g. "check the node name: PSFT_HR is the delivered default". */
  diagnosis?: string;
  /** Facts for --json (latency, auth mode, rows, module names...). Never secrets. */
  details: Record<string, unknown>;
}
