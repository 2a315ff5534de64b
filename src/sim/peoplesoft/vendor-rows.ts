import { currentRow } from '../dataset/effective.js';
import type { PeopleSoftDataset, PsDate, Vendor, VendorLocation } from '../dataset/types.js';
import { columns, type Cell, type QueryResult } from './query-result.js';

/** ML_VENDORS: one row per VENDOR_ADDR row (A = VENDOR, B = VENDOR_ADDR, C = VENDOR_LOC). */
export const VENDOR_COLUMNS = columns(`
  A:SETID A:VENDOR_ID A:NAME1 A:NAME2 A:VENDOR_STATUS A:VENDOR_CLASS A:VENDOR_PERSISTENCE B:ADDRESS_SEQ_NUM#n
  B:ADDR_EFFDT#d B:ADDR_EFF_STATUS B:ADDRESS1 B:ADDRESS2 B:CITY B:STATE B:POSTAL B:COUNTRY B:EMAILID B:PHONE
  C:PYMNT_TERMS_CD A:LAST_ACTIVITY_DT#d
`);

export interface VendorSelection {
  /** '' or undefined = every SETID. */
  setid?: string | undefined;
  /** Keyset paging: only VENDOR_IDs greater than this. */
  afterVendorId?: string | undefined;
  /** Effective date for the payment terms join. */
  today: PsDate;
  limit?: number | undefined;
  /** Control characters in some names (quirks.controlCharsInNames). */
  dirtyNames?: boolean;
}

/** quirks.controlCharsInNames: an ESC inside NAME1 of vendors whose VENDOR_ID ends in 3. */
function nameOf(v: Vendor, dirty: boolean | undefined): string {
  return dirty && v.VENDOR_ID.endsWith('3') && v.NAME1.length > 1 ? `${v.NAME1.slice(0, 1)}\u001b${v.NAME1.slice(1)}` : v.NAME1;
}

/** Rows ordered SETID, VENDOR_ID, ADDRESS_SEQ_NUM, ADDR_EFFDT (every address row, history and future included). */
export function selectVendorRows(data: PeopleSoftDataset, sel: VendorSelection): QueryResult {
  const rows: Cell[][] = [];
  const limit = sel.limit ?? Infinity;
  for (const v of sortedVendors(data)) {
    if (rows.length >= limit) break;
    if (sel.setid && v.SETID !== sel.setid) continue;
    if (sel.afterVendorId && v.VENDOR_ID <= sel.afterVendorId) continue;
    const terms = paymentTerms(v, sel.today);
    for (const a of v.addresses) {
      if (rows.length >= limit) break;
      rows.push([
        v.SETID, v.VENDOR_ID, nameOf(v, sel.dirtyNames), v.NAME2, v.VENDOR_STATUS, v.VENDOR_CLASS, v.VENDOR_PERSISTENCE, a.ADDRESS_SEQ_NUM,
        a.EFFDT, a.EFF_STATUS, a.ADDRESS1, a.ADDRESS2, a.CITY, a.STATE, a.POSTAL, a.COUNTRY, a.EMAILID, a.PHONE,
        terms, v.LAST_ACTIVITY_DT,
      ]);
    }
  }
  return { columns: VENDOR_COLUMNS, rows };
}

/** Payment terms of the vendor's first location in force today (blank when none is). */
export function paymentTerms(v: Vendor, today: PsDate): string {
  const byLoc = new Map<string, VendorLocation[]>();
  for (const l of v.locations) byLoc.set(l.VNDR_LOC, [...(byLoc.get(l.VNDR_LOC) ?? []), l]);
  for (const loc of [...byLoc.keys()].sort()) {
    const row = currentRow(byLoc.get(loc) ?? [], today);
    if (row !== undefined && row.EFF_STATUS === 'A') return row.PYMNT_TERMS_CD;
  }
  return '';
}

export function sortedVendors(data: PeopleSoftDataset): Vendor[] {
  const list = data.vendors;
  for (let i = 1; i < list.length; i++) {
    const a = list[i - 1] as Vendor;
    const b = list[i] as Vendor;
    if (a.SETID > b.SETID || (a.SETID === b.SETID && a.VENDOR_ID > b.VENDOR_ID)) {
      list.sort((x, y) => (x.SETID < y.SETID ? -1 : x.SETID > y.SETID ? 1 : x.VENDOR_ID < y.VENDOR_ID ? -1 : x.VENDOR_ID > y.VENDOR_ID ? 1 : 0));
      break;
    }
  }
  return list;
}

/**
 * VENDOR_CI Get buffer. Effective-dated scrolls hold the current and future rows per key, like a
 * CI with GETHISTORYITEMS False (the default); `history` adds the older rows too.
 */
export function vendorCiBuffer(v: Vendor, today: PsDate, history: boolean, dirtyNames = false): Record<string, unknown> {
  const effective = <T extends { EFFDT: PsDate }>(rows: T[], key: (r: T) => string | number): T[] => {
    if (history) return rows;
    const groups = new Map<string | number, T[]>();
    for (const r of rows) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
    const out: T[] = [];
    for (const group of groups.values()) {
      const current = currentRow(group, today);
      out.push(...group.filter((r) => current === undefined || r.EFFDT >= current.EFFDT));
    }
    return out;
  };
  return {
    SETID: v.SETID,
    VENDOR_ID: v.VENDOR_ID,
    NAME1: nameOf(v, dirtyNames),
    NAME2: v.NAME2,
    VENDOR_STATUS: v.VENDOR_STATUS,
    VENDOR_CLASS: v.VENDOR_CLASS,
    VENDOR_PERSISTENCE: v.VENDOR_PERSISTENCE,
    LAST_ACTIVITY_DT: v.LAST_ACTIVITY_DT,
    VENDOR_ADDR: effective(v.addresses, (a) => a.ADDRESS_SEQ_NUM).map((a) => ({
      ADDRESS_SEQ_NUM: a.ADDRESS_SEQ_NUM, EFFDT: a.EFFDT, EFF_STATUS: a.EFF_STATUS, ADDRESS1: a.ADDRESS1,
      ADDRESS2: a.ADDRESS2, ADDRESS3: a.ADDRESS3, ADDRESS4: a.ADDRESS4, CITY: a.CITY, STATE: a.STATE,
      POSTAL: a.POSTAL, COUNTRY: a.COUNTRY, EMAILID: a.EMAILID, PHONE: a.PHONE,
    })),
    VENDOR_LOC: effective(v.locations, (l) => l.VNDR_LOC).map((l) => ({
      VNDR_LOC: l.VNDR_LOC, EFFDT: l.EFFDT, EFF_STATUS: l.EFF_STATUS, PYMNT_TERMS_CD: l.PYMNT_TERMS_CD,
    })),
    VENDOR_CNTCT: effective(v.contacts, (c) => c.CNTCT_SEQ_NUM).map((c) => ({
      CNTCT_SEQ_NUM: c.CNTCT_SEQ_NUM, EFFDT: c.EFFDT, EFF_STATUS: c.EFF_STATUS, CONTACT_NAME: c.CONTACT_NAME,
      CONTACT_TITLE: c.CONTACT_TITLE, EMAILID: c.EMAILID, PHONE: c.PHONE,
    })),
  };
}
