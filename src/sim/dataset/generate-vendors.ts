import { addDays } from './dates.js';
import { FIRM, PAYMENT_TERMS } from './firm.js';
import { generateAddress, generateCompanyName, generateName, generatePhone } from './names.js';
import type { Random } from './random.js';
import type { PsDate, Vendor, VendorAddress, VendorContact, VendorLocation } from './types.js';

/** Spread codes by share, at least one of each once there is room, then shuffle. */
function spread<T>(rng: Random, count: number, shares: Array<readonly [T, number]>): T[] {
  const out: T[] = [];
  const [fallback] = shares[0] as readonly [T, number];
  if (count >= shares.length * 4) {
    for (const [code, share] of shares.slice(1)) {
      const n = Math.max(1, Math.round(count * share));
      for (let i = 0; i < n; i++) out.push(code);
    }
  }
  while (out.length < count) out.push(fallback);
  out.length = count;
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

export interface GeneratedVendors {
  vendors: Vendor[];
  /** Approved vendors that supply contingent workers. */
  contractorVendors: Vendor[];
}

export function generateVendors(rng: Random, asOf: PsDate, count: number): GeneratedVendors {
  const statuses = spread<Vendor['VENDOR_STATUS']>(rng, count, [['A', 0], ['E', 0.06], ['I', 0.07], ['D', 0.03], ['X', 0.04]]);
  const classes = spread<Vendor['VENDOR_CLASS']>(rng, count, [['R', 0], ['A', 0.05], ['E', 0.06], ['H', 0.04]]);
  const persistence = spread<Vendor['VENDOR_PERSISTENCE']>(rng, count, [['R', 0], ['P', 0.1], ['O', 0.06], ['S', 0.04]]);
  // Address quirks the reference asks for: an inactive address row and a future-dated one.
  const quirks = spread<'none' | 'inactive' | 'future' | 'moved'>(rng, count, [['none', 0], ['inactive', 0.04], ['future', 0.03], ['moved', 0.2]]);
  const contractorCount = count >= 10 ? Math.max(1, Math.round(count * 0.07)) : 0;
  const vendors: Vendor[] = new Array(count);
  const contractorVendors: Vendor[] = [];
  for (let i = 0; i < count; i++) {
    const contractor = i % Math.max(1, Math.floor(count / Math.max(1, contractorCount))) === 0 && contractorVendors.length < contractorCount;
    const created = addDays(asOf, -rng.int(30, 12 * 365));
    const vendor: Vendor = {
      SETID: FIRM.setid,
      VENDOR_ID: String(i + 1).padStart(10, '0'),
      NAME1: contractor ? contractorName(rng) : generateCompanyName(rng),
      NAME2: rng.chance(0.1) ? rng.pick(['DBA Quick Print', 'c/o Accounts Payable', 'Remit Division', 'Attn: Billing']) : '',
      VENDOR_STATUS: contractor ? 'A' : (statuses[i] as Vendor['VENDOR_STATUS']),
      VENDOR_CLASS: contractor ? 'R' : (classes[i] as Vendor['VENDOR_CLASS']),
      VENDOR_PERSISTENCE: contractor ? 'R' : (persistence[i] as Vendor['VENDOR_PERSISTENCE']),
      LAST_ACTIVITY_DT: created,
      addresses: generateAddresses(rng, asOf, created, quirks[i] ?? 'none'),
      locations: generateLocations(rng, asOf, created),
      contacts: generateContacts(rng, asOf, created),
    };
    vendor.LAST_ACTIVITY_DT = lastActivity(rng, asOf, vendor);
    vendors[i] = vendor;
    if (contractor) contractorVendors.push(vendor);
  }
  return { vendors, contractorVendors };
}

function contractorName(rng: Random): string {
  if (rng.chance(0.5)) {
    const n = generateName(rng);
    return `${n.LAST_NAME}, ${n.FIRST_NAME}`.slice(0, 40);
  }
  return `${rng.pick(['Apex', 'Bridge', 'Talent', 'Velocity', 'Insight', 'Northstar'])} ${rng.pick(['Staffing', 'Contractors', 'Consulting', 'Resources'])} ${rng.pick(['LLC', 'Inc.', 'Group'])}`;
}

function addressRow(rng: Random, seq: number, effdt: PsDate, status: 'A' | 'I'): VendorAddress {
  const a = generateAddress(rng);
  return {
    ADDRESS_SEQ_NUM: seq,
    EFFDT: effdt,
    EFF_STATUS: status,
    ADDRESS1: a.ADDRESS1,
    ADDRESS2: a.ADDRESS2,
    ADDRESS3: '',
    ADDRESS4: '',
    CITY: a.CITY,
    STATE: a.STATE,
    POSTAL: a.POSTAL,
    COUNTRY: a.COUNTRY,
    EMAILID: rng.chance(0.75) ? `${rng.pick(['ap', 'billing', 'info', 'orders', 'accounts'])}@${rng.pick(['example.com', 'example.net', 'example.org'])}` : '',
    PHONE: rng.chance(0.85) ? generatePhone(rng, a.COUNTRY === 'USA' ? String(rng.int(201, 989)) : '020') : '',
  };
}

function generateAddresses(rng: Random, asOf: PsDate, created: PsDate, quirk: 'none' | 'inactive' | 'future' | 'moved'): VendorAddress[] {
  const rows: VendorAddress[] = [addressRow(rng, 1, created, 'A')];
  if (quirk === 'moved') {
    const moved = addDays(created, rng.int(30, 300));
    if (moved < asOf) rows.push(addressRow(rng, 1, moved, 'A'));
  }
  if (quirk === 'future') rows.push(addressRow(rng, 1, addDays(asOf, rng.int(5, 60)), 'A'));
  if (quirk === 'inactive' || rng.chance(0.25)) {
    rows.push(addressRow(rng, 2, created, 'A'));
    if (quirk === 'inactive') rows.push({ ...addressRow(rng, 2, addDays(asOf, -rng.int(1, 25)), 'I') });
  }
  return dedupeByKey(rows, (r) => `${r.ADDRESS_SEQ_NUM}|${r.EFFDT}`).sort(
    (a, b) => a.ADDRESS_SEQ_NUM - b.ADDRESS_SEQ_NUM || (a.EFFDT < b.EFFDT ? -1 : a.EFFDT > b.EFFDT ? 1 : 0),
  );
}

function generateLocations(rng: Random, asOf: PsDate, created: PsDate): VendorLocation[] {
  const terms = (): string => rng.weighted(PAYMENT_TERMS);
  const rows: VendorLocation[] = [{ VNDR_LOC: '1', EFFDT: created, EFF_STATUS: 'A', PYMNT_TERMS_CD: terms() }];
  if (rng.chance(0.15)) {
    const at = addDays(created, rng.int(30, 900));
    if (at < asOf) rows.push({ VNDR_LOC: '1', EFFDT: at, EFF_STATUS: 'A', PYMNT_TERMS_CD: terms() });
  }
  if (rng.chance(0.1)) rows.push({ VNDR_LOC: '2', EFFDT: created, EFF_STATUS: rng.chance(0.3) ? 'I' : 'A', PYMNT_TERMS_CD: terms() });
  return rows;
}

function generateContacts(rng: Random, asOf: PsDate, created: PsDate): VendorContact[] {
  const n = rng.weighted<number>([[0, 2], [1, 5], [2, 2], [3, 1]]);
  const rows: VendorContact[] = [];
  for (let k = 1; k <= n; k++) {
    const name = generateName(rng);
    rows.push({
      CNTCT_SEQ_NUM: k,
      EFFDT: created,
      EFF_STATUS: rng.chance(0.1) ? 'I' : 'A',
      CONTACT_NAME: name.NAME_DISPLAY,
      CONTACT_TITLE: rng.pick(['Account Manager', 'Billing Contact', 'Owner', 'Sales Rep', '', 'AP Clerk']),
      EMAILID: rng.chance(0.7) ? `${name.ascii[0]}@example.com` : '',
      PHONE: rng.chance(0.7) ? generatePhone(rng, String(rng.int(201, 989))) : '',
    });
  }
  if (n > 0 && rng.chance(0.1)) {
    const first = rows[0] as VendorContact;
    const at = addDays(asOf, -rng.int(10, 300));
    if (at > first.EFFDT) rows.splice(1, 0, { ...first, EFFDT: at, CONTACT_TITLE: 'Former contact', EFF_STATUS: 'I' });
  }
  return rows;
}

function lastActivity(rng: Random, asOf: PsDate, v: Vendor): PsDate {
  let latest = v.LAST_ACTIVITY_DT;
  for (const a of v.addresses) if (a.EFFDT <= asOf && a.EFFDT > latest) latest = a.EFFDT;
  if (v.VENDOR_STATUS === 'A' && rng.chance(0.5)) {
    const recent = addDays(asOf, -rng.int(1, 180));
    if (recent > latest) latest = recent;
  }
  return latest;
}

function dedupeByKey<T>(rows: T[], key: (row: T) => string): T[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const k = key(r);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
