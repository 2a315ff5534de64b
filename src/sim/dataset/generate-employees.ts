import { DAY_MS, addDays, fromPsDate, toPsDateTime } from './dates.js';
import {
  ACTIVE_DEPTIDS, CONTRACTOR_JOBCODES, EMPLOYEE_JOBCODES, FIRM, INACTIVE_DEPTID, MANAGER_JOBCODES,
} from './firm.js';
import { JobHistory } from './job-history.js';
import { generateName, generatePhone, type GeneratedName } from './names.js';
import type { Random } from './random.js';
import type { Email, Employee, JobRow, Phone, PsDate, Vendor } from './types.js';

/** The life story an employee gets; counts are spread so every story appears in small datasets too. */
type Story =
  | 'regular' | 'terminated' | 'rehired' | 'rehiredNewRcd' | 'leaveReturned' | 'onLeave' | 'futureHire'
  | 'futureTerm' | 'transfer' | 'secondJob' | 'contractor' | 'contractorEnded' | 'retired' | 'special'
  | 'inactiveDept';

const STORY_SHARE: Array<[Story, number]> = [
  ['terminated', 0.08], ['rehired', 0.03], ['rehiredNewRcd', 0.01], ['leaveReturned', 0.03], ['onLeave', 0.015],
  ['futureHire', 0.015], ['futureTerm', 0.015], ['transfer', 0.06], ['secondJob', 0.03], ['contractor', 0.05],
  ['contractorEnded', 0.01], ['retired', 0.01], ['special', 0.04], ['inactiveDept', 0.007],
];

/** Rare statuses (W, S, D, U, V, P, Q, X) with the action that sets them. */
const SPECIAL: Array<{ action: string; reason: string; EMPL_STATUS: string; HR_STATUS: 'A' | 'I' }> = [
  { action: 'SWB', reason: 'SWB', EMPL_STATUS: 'W', HR_STATUS: 'A' },
  { action: 'SUS', reason: 'DIS', EMPL_STATUS: 'S', HR_STATUS: 'A' },
  { action: 'TER', reason: 'DEA', EMPL_STATUS: 'D', HR_STATUS: 'I' },
  { action: 'TER', reason: 'SEV', EMPL_STATUS: 'U', HR_STATUS: 'I' },
  { action: 'TER', reason: 'PEN', EMPL_STATUS: 'V', HR_STATUS: 'I' },
  { action: 'PLA', reason: 'MAT', EMPL_STATUS: 'P', HR_STATUS: 'A' },
  { action: 'RET', reason: 'RWP', EMPL_STATUS: 'Q', HR_STATUS: 'I' },
  { action: 'RET', reason: 'PEN', EMPL_STATUS: 'X', HR_STATUS: 'I' },
];

export interface EmployeeContext {
  rng: Random;
  asOf: PsDate;
  /** Vendors that supply contractors (CWR rows point at them). */
  contractorVendors: Vendor[];
  firstEmplid: number;
  /** Cycles through the rare statuses so each one appears. */
  specialCursor?: number;
}

/** Assign stories: fixed shares (at least one each once there is room), the rest regular, shuffled. */
function assignStories(rng: Random, count: number): Story[] {
  const stories: Story[] = [];
  if (count >= 19) {
    for (const [story, share] of STORY_SHARE) {
      // Enough "special" stories that every rare status appears once there is room.
      const n = Math.max(story === 'special' && count >= 100 ? SPECIAL.length : 1, Math.round(count * share));
      for (let i = 0; i < n; i++) stories.push(story);
    }
  }
  while (stories.length < count) stories.push('regular');
  stories.length = count;
  for (let i = stories.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [stories[i], stories[j]] = [stories[j] as Story, stories[i] as Story];
  }
  return stories;
}

export function generateEmployees(ctx: EmployeeContext, count: number): Employee[] {
  const { rng } = ctx;
  const managerCount = Math.min(count, Math.max(1, Math.round(count * 0.06)));
  // Managers keep plain histories; every other story goes to someone who is not a manager.
  const stories = assignStories(rng, count - managerCount);
  const managers: string[] = [];
  const employees: Employee[] = new Array(count);
  let lastBusnEmail = '';
  for (let i = 0; i < count; i++) {
    const emplid = String(ctx.firstEmplid + i);
    const isManager = i < managerCount;
    const story: Story = isManager ? 'regular' : (stories[i - managerCount] as Story);
    const supervisor = i === 0 ? '' : rng.pick(managers.length > 0 ? managers : ['']);
    const name = generateName(rng);
    const history = buildJobs(ctx, story, isManager, supervisor);
    const contractor = history.rows[0]?.PER_ORG === 'CWR';
    const { emails, busn } = generateEmails(rng, name, contractor, lastBusnEmail);
    if (busn) lastBusnEmail = busn;
    employees[i] = {
      EMPLID: emplid,
      FIRST_NAME: name.FIRST_NAME,
      LAST_NAME: name.LAST_NAME,
      NAME_DISPLAY: name.NAME_DISPLAY,
      PREF_FIRST_NAME: name.PREF_FIRST_NAME,
      LASTUPDDTTM: personUpdated(rng, ctx.asOf, history.rows),
      emails,
      phones: generatePhones(rng, history.rows[0]),
      jobs: sortJobs(history.rows),
    };
    if (isManager) managers.push(emplid);
  }
  return employees;
}

export function sortJobs(rows: JobRow[]): JobRow[] {
  return rows.sort((a, b) => a.EMPL_RCD - b.EMPL_RCD || (a.EFFDT < b.EFFDT ? -1 : a.EFFDT > b.EFFDT ? 1 : 0) || a.EFFSEQ - b.EFFSEQ);
}

function buildJobs(ctx: EmployeeContext, story: Story, isManager: boolean, supervisor: string): JobHistory {
  const { rng, asOf } = ctx;
  const h = new JobHistory(rng, asOf);
  const yesterday = addDays(asOf, -1);
  const closed = addDays(asOf, -730);
  const bu = rng.chance(0.7) ? FIRM.businessUnits[0] : FIRM.businessUnits[1];
  const contractor = story === 'contractor' || story === 'contractorEnded';
  const vendor = contractor && ctx.contractorVendors.length > 0 ? rng.pick(ctx.contractorVendors) : undefined;
  // A future hire starts in one to three weeks and was keyed just now, before the start date.
  const hireDate = story === 'futureHire'
    ? addDays(asOf, rng.int(7, 21))
    : contractor ? addDays(asOf, -rng.int(120, 3 * 365)) : addDays(asOf, -rng.int(story === 'regular' ? 120 : 400, 15 * 365));
  const startInClosedDept = (story === 'inactiveDept' || (story === 'transfer' && rng.chance(0.4))) && hireDate < closed;
  const start: Omit<JobRow, 'EMPL_RCD' | 'EFFDT' | 'EFFSEQ' | 'ACTION' | 'ACTION_REASON' | 'ACTION_DT' | 'LASTUPDDTTM'> = {
    PER_ORG: contractor ? 'CWR' : 'EMP',
    EMPL_STATUS: 'A',
    HR_STATUS: 'A',
    DEPTID: startInClosedDept ? INACTIVE_DEPTID : rng.pick(ACTIVE_DEPTIDS),
    JOBCODE: isManager ? rng.pick(MANAGER_JOBCODES) : contractor ? rng.pick(CONTRACTOR_JOBCODES) : rng.pick(EMPLOYEE_JOBCODES),
    LOCATION: rng.chance(0.1) ? 'REMOTE' : bu.LOCATION,
    COMPANY: FIRM.company,
    BUSINESS_UNIT: bu.BUSINESS_UNIT,
    SUPERVISOR_ID: supervisor,
    VENDOR_SETID: vendor ? vendor.SETID : '',
    VENDOR_ID: vendor ? vendor.VENDOR_ID : '',
  };
  h.add(0, hireDate, 'HIR', contractor ? 'CWK' : 'NHR', {}, start, story === 'futureHire' ? h.keyedJustBefore() : undefined);
  if (story === 'futureHire') return h;
  if (rng.chance(0.1)) h.add(0, hireDate, 'DTA', 'COR', { LOCATION: rng.pick([bu.LOCATION, 'REMOTE']) });
  // A few ordinary changes over the years keep histories realistic.
  let cursor = hireDate;
  const ordinary = contractor ? 0 : rng.int(0, 2);
  for (let k = 0; k < ordinary; k++) {
    const at = h.between(addDays(cursor, 30), addDays(asOf, -60));
    if (at >= addDays(asOf, -60) || (story === 'transfer' && startInClosedDept && at >= closed)) break;
    if (rng.chance(0.3)) h.add(0, at, 'PRO', 'PRO', { JOBCODE: rng.pick(EMPLOYEE_JOBCODES) });
    else h.add(0, at, 'PAY', 'MER');
    cursor = at;
  }
  const later = (minDays = 30): PsDate => {
    const drawn = h.between(addDays(cursor, minDays), yesterday);
    const at = drawn > yesterday ? yesterday : drawn;
    cursor = at;
    return at;
  };
  switch (story) {
    case 'terminated':
      h.add(0, later(), 'TER', rng.pick(['VOL', 'INV', 'RES']));
      break;
    case 'rehired':
      h.add(0, later(), 'TER', 'VOL');
      h.add(0, later(60), 'REH', 'REH', { DEPTID: rng.pick(ACTIVE_DEPTIDS) });
      break;
    case 'rehiredNewRcd':
      h.add(0, later(), 'TER', 'RES');
      h.add(1, later(60), 'REH', 'REH', {}, { ...start, DEPTID: rng.pick(ACTIVE_DEPTIDS) });
      break;
    case 'leaveReturned':
      h.add(0, later(), 'LOA', rng.pick(['MED', 'FML']));
      h.add(0, later(14), 'RFL', 'RFL');
      break;
    case 'onLeave':
      h.add(0, later(), 'LOA', 'MED');
      break;
    case 'futureTerm':
      h.add(0, addDays(asOf, rng.int(2, 30)), 'TER', rng.pick(['VOL', 'RES']));
      break;
    case 'transfer': {
      const last = h.last(0) as JobRow;
      const at = startInClosedDept ? closed : later();
      const toDept = rng.pick(ACTIVE_DEPTIDS.filter((d) => d !== last.DEPTID));
      const toBu = rng.chance(0.2) ? (last.BUSINESS_UNIT === 'US001' ? FIRM.businessUnits[1] : FIRM.businessUnits[0]) : undefined;
      h.add(0, at, 'XFR', 'DPT', {
        DEPTID: toDept,
        ...(toBu ? { BUSINESS_UNIT: toBu.BUSINESS_UNIT, LOCATION: toBu.LOCATION } : {}),
      });
      break;
    }
    case 'secondJob': {
      const at = later();
      h.add(1, at, 'HIR', 'HCJ', {}, { ...start, DEPTID: rng.pick(ACTIVE_DEPTIDS), JOBCODE: '120300', SUPERVISOR_ID: supervisor });
      if (rng.chance(0.3)) h.add(1, h.between(addDays(at, 30), yesterday), 'TER', 'END');
      break;
    }
    case 'contractorEnded':
      h.add(0, later(), 'TER', 'END');
      break;
    case 'retired':
      h.add(0, later(), 'RET', 'RET');
      break;
    case 'special': {
      const nth = ctx.specialCursor ?? 0;
      ctx.specialCursor = nth + 1;
      const s = SPECIAL[nth % SPECIAL.length] as (typeof SPECIAL)[number];
      h.add(0, later(), s.action, s.reason, { EMPL_STATUS: s.EMPL_STATUS, HR_STATUS: s.HR_STATUS });
      break;
    }
    default:
      break;
  }
  // Some people changed recently, so a changed-since poll over the last days finds something.
  const lastRow = h.last(0) as JobRow;
  if ((story === 'regular' || story === 'transfer') && lastRow.EFFDT < addDays(asOf, -3) && rng.chance(0.04)) {
    const at = addDays(asOf, -rng.int(1, 3));
    h.add(0, at, 'DTA', 'ADR', { LOCATION: rng.pick(['NYC01', 'CHI01', 'REMOTE']) }, undefined, fromPsDate(at) + rng.int(8, 18) * 3_600_000);
  }
  return h;
}

/** PERSON's last child update: at hire entry, sometimes later (an email or phone edited). */
function personUpdated(rng: Random, asOf: PsDate, rows: JobRow[]): string {
  const first = rows[0]?.LASTUPDDTTM ?? toPsDateTime(fromPsDate(asOf) - DAY_MS);
  if (rng.chance(0.03)) return toPsDateTime(fromPsDate(asOf) - rng.int(1, 3) * DAY_MS + rng.int(8, 18) * 3_600_000);
  if (rng.chance(0.2)) {
    const start = fromPsDate(first.slice(0, 10));
    const end = fromPsDate(asOf) - 5 * DAY_MS;
    if (end > start) return toPsDateTime(start + Math.floor(rng.next() * (end - start)));
  }
  return first;
}

function asciiLocal(name: GeneratedName): string {
  const clean = (s: string): string => s.normalize('NFKD').replace(/[^a-z0-9-]/g, '');
  return `${clean(name.ascii[0])}.${clean(name.ascii[1])}`;
}

/** Emails: usually a business one flagged preferred; some missing, some duplicated, odd casing. */
function generateEmails(rng: Random, name: GeneratedName, contractor: boolean, previousBusn: string): { emails: Email[]; busn: string } {
  if (rng.chance(0.04)) return { emails: [], busn: '' };
  const emails: Email[] = [];
  const local = asciiLocal(name);
  let busn = '';
  if (rng.chance(0.94)) {
    busn = previousBusn && rng.chance(0.015) ? previousBusn : `${contractor ? 'ext.' : ''}${local}@${FIRM.emailDomain}`;
    if (rng.chance(0.02)) busn = busn.replace(/^./, (c) => c.toUpperCase()).replace(`@${FIRM.emailDomain}`, '@MeridianLowe.com');
    if (rng.chance(0.01)) busn = ` ${busn} `;
    emails.push({ E_ADDR_TYPE: 'BUSN', EMAIL_ADDR: busn, PREF_EMAIL_FLAG: 'N' });
  }
  if (rng.chance(0.5)) {
    const domain = rng.pick(['gmail.com', 'yahoo.com', 'outlook.com', 'icloud.com', 'proton.me']);
    emails.push({ E_ADDR_TYPE: 'HOME', EMAIL_ADDR: `${local.replace('.', '')}${rng.int(1, 99)}@${domain}`, PREF_EMAIL_FLAG: 'N' });
  }
  const flag = rng.weighted<'BUSN' | 'HOME' | 'none'>([['BUSN', 85], ['HOME', 10], ['none', 5]]);
  const preferred = emails.find((e) => e.E_ADDR_TYPE === flag) ?? (flag === 'none' ? undefined : emails[0]);
  if (preferred) preferred.PREF_EMAIL_FLAG = 'Y';
  return { emails, busn };
}

function generatePhones(rng: Random, firstRow: JobRow | undefined): Phone[] {
  const area = firstRow?.BUSINESS_UNIT === 'US002' ? '312' : '212';
  const phones: Phone[] = [];
  const add = (PHONE_TYPE: Phone['PHONE_TYPE'], p: number): void => {
    if (rng.chance(p)) phones.push({ PHONE_TYPE, COUNTRY_CODE: rng.chance(0.2) ? '1' : '', PHONE: generatePhone(rng, area), EXTENSION: rng.chance(0.1) ? String(rng.int(100, 9999)) : '', PREF_PHONE_FLAG: 'N' });
  };
  add('BUSN', 0.8);
  add('CELL', 0.6);
  add('HOME', 0.2);
  if (phones.length > 0 && rng.chance(0.9)) {
    const pref = phones.find((p) => p.PHONE_TYPE === 'CELL' && rng.chance(0.5)) ?? (phones[0] as Phone);
    pref.PREF_PHONE_FLAG = 'Y';
  }
  return phones;
}
