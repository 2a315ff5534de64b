/**
 * Code tables: PeopleSoft codes → lifecycle events and statuses. The defaults are the delivered
 * values (reference §3.2, §4.1; the ACTION set is UNCONFIRMED code by code, so every table is
 * merged with the connection's `normalization` overrides), and the rest of the choices a customer
 * makes (time zone, primary job rule, email/phone preference, strictness).
 */
import type { PeopleSoftConnection } from '../config/types.generated.js';
import type { LifecycleEvent } from '../model/index.js';

export type PersonStatus = 'active' | 'leave' | 'inactive';

export const DEFAULT_ACTIONS: Readonly<Record<string, LifecycleEvent>> = {
  HIR: 'hire', REH: 'rehire', XFR: 'transfer', TER: 'termination', LOA: 'leave', PLA: 'leave',
  RFL: 'return', RET: 'retirement', DTA: 'data-change', PRO: 'data-change', DEM: 'data-change',
  POS: 'data-change', PAY: 'data-change',
};

/** EMPL_STATUS ("payroll status"): A active; L, P, W, S leave; D, Q, R, T, U, V, X inactive. */
export const DEFAULT_EMPL_STATUS: Readonly<Record<string, PersonStatus>> = {
  A: 'active', L: 'leave', P: 'leave', W: 'leave', S: 'leave',
  D: 'inactive', Q: 'inactive', R: 'inactive', T: 'inactive', U: 'inactive', V: 'inactive', X: 'inactive',
};

/** HR_STATUS: A active, I inactive. Used when EMPL_STATUS is blank. */
export const DEFAULT_HR_STATUS: Readonly<Record<string, PersonStatus>> = { A: 'active', I: 'inactive' };

/** VENDOR_STATUS: A approved → active; D denied, E unapproved, I inactive, X to be archived → inactive. */
export const DEFAULT_VENDOR_STATUS: Readonly<Record<string, 'active' | 'inactive'>> = {
  A: 'active', D: 'inactive', E: 'inactive', I: 'inactive', X: 'inactive',
};

export interface NormalizeOptions {
  /** The date the record is computed for (`YYYY-MM-DD`): the current row is the last one effective on it. */
  asOf: string;
  /** Zone of zone-less PeopleSoft datetimes. */
  timeZone: string;
  primaryJob: 'record-zero' | 'active-first';
  emailTypes: string[];
  phoneTypes: string[];
  actions: Record<string, LifecycleEvent>;
  emplStatus: Record<string, PersonStatus>;
  vendorStatus: Record<string, 'active' | 'inactive'>;
  strictCodes: boolean;
  /** Column whose highest value becomes the record's cursor (watermark candidate). */
  cursorField: string;
}

function defined<T>(table: Record<string, T | undefined> | undefined): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(table ?? {})) if (v !== undefined) out[k] = v;
  return out;
}

/** The normalization settings of a connection, defaults filled in. */
export function resolveNormalization(conn: Pick<PeopleSoftConnection, 'normalization'>, asOf: string, cursorField = 'LASTUPDDTTM'): NormalizeOptions {
  const n = conn.normalization ?? {};
  return {
    asOf,
    timeZone: n.serverTimezone ?? 'UTC',
    primaryJob: n.primaryJob ?? 'active-first',
    emailTypes: n.emailTypes ?? ['BUSN', 'HOME'],
    phoneTypes: n.phoneTypes ?? ['CELL', 'BUSN', 'HOME'],
    actions: { ...DEFAULT_ACTIONS, ...defined(n.actions) },
    emplStatus: { ...DEFAULT_EMPL_STATUS, ...defined(n.emplStatus) },
    vendorStatus: { ...DEFAULT_VENDOR_STATUS, ...defined(n.vendorStatus) },
    strictCodes: n.strictCodes ?? false,
    cursorField,
  };
}
