/**
 * The firm's Zoho org before ml-connector: for years the sales team typed new employees in as
 * contacts and copied vendors into accounts by hand. A dozen such records, derived from the
 * PeopleSoft dataset so they match real people and vendors the way hand-typed data does (e-mail
 * in another case, phones as people type them, "Orion Staffing, Inc" for "Orion Staffing Inc."),
 * with the hard cases a first sync must get right: a duplicate pair for one employee (ambiguous),
 * a record carrying a foreign external id, a former employee, and customers PeopleSoft knows
 * nothing about. Deterministic: the same dataset gives the same records.
 */
import { currentJob } from './dataset/effective.js';
import { Random, deriveSeed } from './dataset/random.js';
import type { Employee, PeopleSoftDataset, Vendor } from './dataset/types.js';
import type { ZohoFixture } from './zoho/types.js';

/** What each hand-made record is there to test, and what a first sync should do with it. */
export interface HandMadeNote {
  module: 'Contacts' | 'Accounts';
  /** Position in `records[module]`. */
  index: number;
  case: 'email-case' | 'name-phone' | 'ambiguous' | 'foreign-id' | 'former-employee' | 'contractor' | 'customer' | 'vendor-name' | 'vendor-name-postal';
  /** The EMPLID or SETID-VENDOR_ID the record is about, when PeopleSoft has it. */
  sourceKey?: string;
  /** adopt it; hold the source record (MATCH_AMBIGUOUS); never adopt it; leave it alone. */
  expect: 'adopt' | 'ambiguous' | 'never-adopt' | 'untouched';
}

export interface HandMadeOrg {
  records: ZohoFixture['records'];
  notes: HandMadeNote[];
}

const FOREIGN_ID = '00471';

/** The e-mail the firm's mapping writes: PeopleSoft's preferred one, else business, else home. */
function mappedEmail(e: Employee): string | undefined {
  const pick = e.emails.find((m) => m.PREF_EMAIL_FLAG === 'Y') ?? e.emails.find((m) => m.E_ADDR_TYPE === 'BUSN') ?? e.emails.find((m) => m.E_ADDR_TYPE === 'HOME');
  return pick?.EMAIL_ADDR.trim().toLowerCase();
}

const digits = (phone: string): string => phone.replace(/\D+/g, '').replace(/^1(?=\d{10}$)/, '');
const busnPhone = (e: Employee): string | undefined => {
  const p = e.phones.find((x) => x.PHONE_TYPE === 'BUSN');
  return p && digits(p.PHONE).length === 10 ? digits(p.PHONE) : undefined;
};
const plainLatin = (s: string): boolean => /^[A-Za-z][A-Za-z' -]*$/.test(s.normalize('NFKD').replace(/\p{M}/gu, ''));
/** How a person types a number they read off a business card. */
const typedPhone = (d: string, style: number): string =>
  style % 3 === 0 ? `(${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}` : style % 3 === 1 ? `${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6)}` : `+1 ${d.slice(0, 3)} ${d.slice(3, 6)} ${d.slice(6)}`;
/** `Jane.Doe@Meridianlowe.com`: the same address in the case someone typed it. */
const recased = (email: string): string => {
  const cap = (w: string): string => w.charAt(0).toUpperCase() + w.slice(1);
  const [local = '', domain = ''] = email.split('@');
  const labels = domain.split('.');
  return `${local.split('.').map(cap).join('.')}@${[...labels.slice(0, -1).map(cap), ...labels.slice(-1)].join('.')}`;
};
const stripAccents = (s: string): string => s.normalize('NFKD').replace(/\p{M}/gu, '');

const daysBefore = (asOf: string, days: number, time = '10:15:00'): string =>
  `${new Date(Date.parse(`${asOf}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10)}T${time}+00:00`;

export function firmHandMadeRecords(data: PeopleSoftDataset): HandMadeOrg {
  const asOf = data.asOf;
  const contacts: Array<Record<string, unknown>> = [];
  const accounts: Array<Record<string, unknown>> = [];
  const notes: HandMadeNote[] = [];
  const taken = new Set<string>();

  // Only people a hand-typed record can match unambiguously by accident: unique e-mail, unique name + phone.
  const emailCount = new Map<string, number>();
  const namePhoneCount = new Map<string, number>();
  const namePhone = (e: Employee): string | undefined => {
    const p = busnPhone(e);
    return p === undefined ? undefined : `${stripAccents(e.FIRST_NAME)}|${stripAccents(e.LAST_NAME)}|${p}`.toLowerCase();
  };
  const countIn = (counts: Map<string, number>, key: string | undefined): void => {
    if (key !== undefined) counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  for (const e of data.employees) {
    countIn(emailCount, mappedEmail(e));
    countIn(namePhoneCount, namePhone(e));
  }
  const state = (e: Employee): 'active' | 'inactive' | 'other' => {
    if (e.jobs.some((j) => j.EMPL_RCD !== 0) || e.jobs.some((j) => j.EFFDT > asOf)) return 'other';
    const job = currentJob(e, asOf);
    if (job === undefined) return 'other';
    if (job.HR_STATUS === 'A' && job.EMPL_STATUS === 'A') return 'active';
    return job.HR_STATUS === 'I' && job.EMPL_STATUS === 'T' ? 'inactive' : 'other';
  };
  const pick = (test: (e: Employee) => boolean): Employee | undefined => {
    const e = data.employees.find((x) => !taken.has(x.EMPLID) && plainLatin(x.FIRST_NAME) && plainLatin(x.LAST_NAME) && test(x));
    if (e) taken.add(e.EMPLID);
    return e;
  };
  const uniqueEmail = (e: Employee): boolean => { const m = mappedEmail(e); return m !== undefined && emailCount.get(m) === 1; };
  const org = (e: Employee): string | undefined => currentJob(e, asOf)?.PER_ORG;
  const contact = (n: Omit<HandMadeNote, 'module' | 'index'>, record: Record<string, unknown>): void => {
    notes.push({ module: 'Contacts', index: contacts.length, ...n });
    contacts.push(record);
  };

  const byEmail = pick((e) => state(e) === 'active' && org(e) === 'EMP' && uniqueEmail(e));
  if (byEmail) {
    contact({ case: 'email-case', sourceKey: byEmail.EMPLID, expect: 'adopt' }, {
      First_Name: byEmail.FIRST_NAME, Last_Name: byEmail.LAST_NAME, Email: recased(mappedEmail(byEmail)!), Title: 'Consultant (met at the Chicago summit)',
      Created_Time: daysBefore(asOf, 610), Modified_Time: daysBefore(asOf, 200),
    });
  }
  const byPhone = pick((e) => state(e) === 'active' && org(e) === 'EMP' && namePhone(e) !== undefined && namePhoneCount.get(namePhone(e)!) === 1);
  if (byPhone) {
    contact({ case: 'name-phone', sourceKey: byPhone.EMPLID, expect: 'adopt' }, {
      First_Name: stripAccents(byPhone.FIRST_NAME).toLowerCase(), Last_Name: stripAccents(byPhone.LAST_NAME).toUpperCase(), Phone: typedPhone(busnPhone(byPhone)!, 0),
      Created_Time: daysBefore(asOf, 455), Modified_Time: daysBefore(asOf, 455),
    });
  }
  const twice = pick((e) => state(e) === 'active' && org(e) === 'EMP' && uniqueEmail(e));
  if (twice) {
    const email = mappedEmail(twice)!;
    contact({ case: 'ambiguous', sourceKey: twice.EMPLID, expect: 'ambiguous' }, {
      First_Name: twice.FIRST_NAME, Last_Name: twice.LAST_NAME, Email: email, Created_Time: daysBefore(asOf, 900), Modified_Time: daysBefore(asOf, 900),
    });
    contact({ case: 'ambiguous', sourceKey: twice.EMPLID, expect: 'ambiguous' }, {
      First_Name: twice.FIRST_NAME.charAt(0) + '.', Last_Name: twice.LAST_NAME, Email: email.toUpperCase(), Description: 'Entered again from a business card',
      Created_Time: daysBefore(asOf, 120), Modified_Time: daysBefore(asOf, 120),
    });
  }
  const foreign = pick((e) => state(e) === 'active' && org(e) === 'EMP' && uniqueEmail(e));
  if (foreign) {
    contact({ case: 'foreign-id', sourceKey: foreign.EMPLID, expect: 'never-adopt' }, {
      First_Name: foreign.FIRST_NAME, Last_Name: foreign.LAST_NAME, Email: mappedEmail(foreign), PeopleSoft_Employee_ID: FOREIGN_ID,
      Description: 'Imported from the old HR spreadsheet (its employee number)', Created_Time: daysBefore(asOf, 1500), Modified_Time: daysBefore(asOf, 1500),
    });
  }
  const former = pick((e) => state(e) === 'inactive' && org(e) === 'EMP' && uniqueEmail(e));
  if (former) {
    contact({ case: 'former-employee', sourceKey: former.EMPLID, expect: 'adopt' }, {
      First_Name: former.FIRST_NAME, Last_Name: former.LAST_NAME, Email: recased(mappedEmail(former)!), Created_Time: daysBefore(asOf, 2100), Modified_Time: daysBefore(asOf, 2000),
    });
  }
  const cwr = pick((e) => state(e) === 'active' && org(e) === 'CWR' && uniqueEmail(e));
  if (cwr) {
    contact({ case: 'contractor', sourceKey: cwr.EMPLID, expect: 'adopt' }, {
      First_Name: cwr.FIRST_NAME, Last_Name: cwr.LAST_NAME, Email: mappedEmail(cwr)!.toUpperCase(), Created_Time: daysBefore(asOf, 300), Modified_Time: daysBefore(asOf, 300),
    });
  }

  // Accounts: two vendors typed by hand, and a customer (with its contact) PeopleSoft never heard of.
  const companyKey = (name: string): string => stripAccents(name).toLowerCase().replace(/&/g, ' and ').replace(/[.,']/g, '').replace(/\b(inc|llc|llp|ltd|corp|co|group)\b/g, '').replace(/\s+/g, ' ').trim();
  const nameCount = new Map<string, number>();
  for (const v of data.vendors) nameCount.set(companyKey(v.NAME1), (nameCount.get(companyKey(v.NAME1)) ?? 0) + 1);
  const usedVendors = new Set<string>();
  const vendor = (test: (v: Vendor) => boolean): Vendor | undefined => {
    const v = data.vendors.find((x) => !usedVendors.has(x.VENDOR_ID) && x.VENDOR_STATUS === 'A' && /^[A-Za-z' ]+ (Inc\.|LLC|Corp\.)$/.test(x.NAME1) && nameCount.get(companyKey(x.NAME1)) === 1 && test(x));
    if (v) usedVendors.add(v.VENDOR_ID);
    return v;
  };
  const postal = (v: Vendor): string | undefined => v.addresses.filter((a) => a.ADDRESS_SEQ_NUM === 1 && a.EFFDT <= asOf && a.EFF_STATUS === 'A').at(-1)?.POSTAL;
  const account = (n: Omit<HandMadeNote, 'module' | 'index'>, record: Record<string, unknown>): void => {
    notes.push({ module: 'Accounts', index: accounts.length, ...n });
    accounts.push(record);
  };
  const typedName = vendor((v) => v.NAME1.endsWith(' Inc.'));
  if (typedName) {
    account({ case: 'vendor-name', sourceKey: `${typedName.SETID}-${typedName.VENDOR_ID}`, expect: 'adopt' }, {
      Account_Name: typedName.NAME1.replace(/ Inc\.$/, ', Inc'), Account_Type: 'Vendor', Created_Time: daysBefore(asOf, 700), Modified_Time: daysBefore(asOf, 690),
    });
  }
  const withPostal = vendor((v) => postal(v) !== undefined);
  if (withPostal) {
    account({ case: 'vendor-name-postal', sourceKey: `${withPostal.SETID}-${withPostal.VENDOR_ID}`, expect: 'adopt' }, {
      Account_Name: withPostal.NAME1.replace(/ (Inc\.|LLC|Corp\.)$/, '').toUpperCase(), Billing_Code: postal(withPostal), Account_Type: 'Supplier',
      Created_Time: daysBefore(asOf, 1200), Modified_Time: daysBefore(asOf, 400),
    });
  }
  account({ case: 'customer', expect: 'untouched' }, {
    id: '5725767000000990001', Account_Name: 'Harborview Capital Partners', Account_Type: 'Customer', Website: 'harborview-capital.example', Billing_City: 'Boston', Billing_Code: '02110',
    Created_Time: daysBefore(asOf, 1800), Modified_Time: daysBefore(asOf, 30),
  });
  contact({ case: 'customer', expect: 'untouched' }, {
    First_Name: 'Priya', Last_Name: 'Raman', Email: 'priya.raman@harborview-capital.example', Phone: '617-555-0148', Title: 'CFO',
    Account_Name: { id: '5725767000000990001' }, Created_Time: daysBefore(asOf, 1790), Modified_Time: daysBefore(asOf, 30),
  });
  contact({ case: 'customer', expect: 'untouched' }, {
    First_Name: 'Tom', Last_Name: 'Becker', Email: 'tbecker@lakefront-health.example', Mobile: '(312) 555-0199', Title: 'Head of Procurement',
    Created_Time: daysBefore(asOf, 400), Modified_Time: daysBefore(asOf, 400),
  });
  return { records: { Accounts: accounts, Contacts: contacts }, notes };
}

/**
 * Many hand-made contacts, for measuring a first plan against a well-used org (npm run bench):
 * `count` contacts created by the UI user, a share `matching` of them for employees of the dataset
 * (their e-mail in another case, or their name and business phone as typed), the rest customers
 * PeopleSoft knows nothing about. Deterministic for a dataset and seed.
 */
export function manyHandMadeContacts(data: PeopleSoftDataset, count: number, o: { matching?: number; seed?: number } = {}): Array<Record<string, unknown>> {
  const rng = new Random(deriveSeed(o.seed ?? 1, 'hand-made-contacts'));
  const people = data.employees.filter((e) => mappedEmail(e) !== undefined || busnPhone(e) !== undefined);
  const matching = Math.min(people.length, Math.round(count * (o.matching ?? 0.5)));
  const out: Array<Record<string, unknown>> = [];
  // Every n-th person, so matches spread over the whole EMPLID range.
  const step = Math.max(1, Math.floor(people.length / Math.max(1, matching)));
  for (let i = 0; i < matching; i++) {
    const e = people[(i * step) % people.length]!;
    const email = mappedEmail(e);
    const phone = busnPhone(e);
    out.push(email !== undefined && (phone === undefined || rng.chance(0.8))
      ? { First_Name: e.FIRST_NAME, Last_Name: e.LAST_NAME, Email: rng.chance(0.5) ? recased(email) : email }
      : { First_Name: stripAccents(e.FIRST_NAME).toLowerCase(), Last_Name: e.LAST_NAME, Phone: typedPhone(phone!, i) });
  }
  for (let i = out.length; i < count; i++) {
    out.push({ First_Name: `Customer${i}`, Last_Name: `Contact${i}`, Email: `contact${i}@customer${i % 97}.example`, Phone: typedPhone(String(2125550000 + (i % 10000)), i) });
  }
  return out;
}
