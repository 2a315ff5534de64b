/**
 * One vendor (PS_VENDOR with its effective-dated addresses, locations and contacts) → one source
 * record as of a date. Whatever the reader (QAS rows, one per address; or a CI Get answer), the
 * vendor first becomes a VendorInput, then is normalized here. Pure.
 */
import type { RecordProblem, ScheduledChange, SourceRecord, SourceValue } from '../model/index.js';
import type { NormalizeOptions } from './codes.js';
import { parsePsDate } from './dates.js';
import { hashRecord } from './hash.js';
import { maxCursor } from './normalize-employee.js';
import type { PsRow, PsValue } from './rows.js';

/** A vendor as read: header fields and child rows (each child row with EFFDT and EFF_STATUS). */
export interface VendorInput {
  header: PsRow;
  addresses: PsRow[];
  locations: PsRow[];
  contacts: PsRow[];
  /** Rows the vendor came from, for the cursor (QAS: one per address). */
  rows?: PsRow[];
}

const str = (v: PsValue | undefined): string | null => (v === null || v === undefined ? null : String(v).trim() || null);

interface Dated { seq: string; effdt: string; active: boolean; row: PsRow }

type Bad = { problem: string };

function readDated(rows: PsRow[], seqField: string, what: string): Dated[] | Bad {
  const out: Dated[] = [];
  for (const row of rows) {
    const text = str(row.EFFDT);
    const effdt = text === null ? '1900-01-01' : parsePsDate(text);
    if (effdt === undefined) return { problem: `${what} ${String(row[seqField])} has EFFDT "${text}", which is not a date` };
    out.push({ seq: String(row[seqField] ?? ''), effdt, active: (str(row.EFF_STATUS) ?? 'A') === 'A', row });
  }
  return out;
}

/** Per sequence number, the row effective on `asOf`; the active ones, lowest sequence first. */
function currentActive(list: Dated[], asOf: string): Dated[] {
  const bySeq = new Map<string, Dated>();
  for (const d of list) {
    if (d.effdt > asOf) continue;
    const cur = bySeq.get(d.seq);
    if (!cur || d.effdt >= cur.effdt) bySeq.set(d.seq, d);
  }
  return [...bySeq.values()].filter((d) => d.active).sort((a, b) => compareSeq(a.seq, b.seq));
}

function compareSeq(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb) && a !== '' && b !== '') return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function normalizeVendor(input: VendorInput, o: NormalizeOptions): SourceRecord | RecordProblem {
  const h = input.header;
  const setid = str(h.SETID);
  const vendorId = str(h.VENDOR_ID);
  const key = setid !== null && vendorId !== null ? `${setid}-${vendorId}` : (setid ?? vendorId ?? '');
  const problem = (code: string, message: string, field?: string): RecordProblem => ({ key, code, message, severity: 'error', ...(field ? { field } : {}) });
  if (setid === null || vendorId === null) return problem('SOURCE_NO_KEY', 'vendor row without SETID or VENDOR_ID');

  const code = str(h.VENDOR_STATUS);
  let status = code === null ? undefined : o.vendorStatus[code];
  if (status === undefined) {
    if (o.strictCodes) return problem('SOURCE_UNKNOWN_CODE', `unknown VENDOR_STATUS "${code ?? ''}"; add it to normalization.vendorStatus`, 'VENDOR_STATUS');
    // Reference §4.1: treat unknown codes as "not approved".
    status = 'inactive';
  }

  const addresses = readDated(input.addresses, 'ADDRESS_SEQ_NUM', 'address');
  const locations = readDated(input.locations, 'VNDR_LOC', 'location');
  const contacts = readDated(input.contacts, 'CNTCT_SEQ_NUM', 'contact');
  for (const list of [addresses, locations, contacts]) if ('problem' in list) return problem('SOURCE_BAD_DATE', list.problem, 'EFFDT');
  const addr = currentActive(addresses as Dated[], o.asOf)[0]?.row ?? {};
  const loc = currentActive(locations as Dated[], o.asOf)[0]?.row;
  const contact = currentActive(contacts as Dated[], o.asOf)[0]?.row ?? {};

  const scheduledDates = new Set((addresses as Dated[]).filter((d) => d.effdt > o.asOf).map((d) => d.effdt));
  for (const d of locations as Dated[]) if (d.effdt > o.asOf) scheduledDates.add(d.effdt);
  const scheduled: ScheduledChange[] = [...scheduledDates].sort().map((effectiveDate) => ({ effectiveDate, event: 'data-change', status: status! }));

  const lastActivity = str(h.LAST_ACTIVITY_DT);
  const fields: Record<string, SourceValue> = {
    SETID: setid,
    VENDOR_ID: vendorId,
    VENDOR_KEY: key,
    NAME1: str(h.NAME1),
    NAME2: str(h.NAME2),
    VENDOR_STATUS: code,
    STATUS: status,
    VENDOR_CLASS: str(h.VENDOR_CLASS),
    VENDOR_PERSISTENCE: str(h.VENDOR_PERSISTENCE),
    ADDRESS1: str(addr.ADDRESS1),
    ADDRESS2: str(addr.ADDRESS2),
    ADDRESS3: str(addr.ADDRESS3),
    ADDRESS4: str(addr.ADDRESS4),
    CITY: str(addr.CITY),
    STATE: str(addr.STATE),
    POSTAL: str(addr.POSTAL),
    COUNTRY: str(addr.COUNTRY),
    EMAILID: str(addr.EMAILID),
    PHONE: str(addr.PHONE),
    PYMNT_TERMS_CD: str(loc?.PYMNT_TERMS_CD) ?? str(h.PYMNT_TERMS_CD),
    LAST_ACTIVITY_DT: lastActivity === null ? null : (parsePsDate(lastActivity) ?? lastActivity),
    CONTACT_NAME: str(contact.CONTACT_NAME),
    CONTACT_EMAIL: str(contact.EMAILID),
    CONTACT_PHONE: str(contact.PHONE),
    EVENT: null,
  };
  const cursor = maxCursor(input.rows ?? [h], [o.cursorField], o.timeZone);
  const addrEffdt = str(addr.EFFDT);
  const record: SourceRecord = {
    entity: 'vendors',
    key,
    fields,
    status,
    ...(addrEffdt !== null ? { effectiveDate: parsePsDate(addrEffdt) ?? addrEffdt } : {}),
    ...(scheduled.length > 0 ? { scheduled } : {}),
    ...(cursor !== undefined ? { cursor } : {}),
    hash: '',
  };
  record.hash = hashRecord(record);
  return record;
}

/** QAS vendor rows (one per address row, vendor columns repeated) → VendorInput. */
export function vendorFromRows(rows: PsRow[]): VendorInput {
  const header = rows[0] ?? {};
  const addresses = rows
    .filter((r) => r.ADDRESS_SEQ_NUM !== null && r.ADDRESS_SEQ_NUM !== undefined)
    .map((r) => ({ ...r, EFFDT: r.ADDR_EFFDT ?? null, EFF_STATUS: r.ADDR_EFF_STATUS ?? null }));
  return { header, addresses, locations: [], contacts: [], rows };
}
