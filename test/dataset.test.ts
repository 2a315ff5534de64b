import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MlError } from '../src/support/errors.js';
import { currentJob, dumpFixture, generateDataset, loadFixture, type Employee, type PeopleSoftDataset } from '../src/sim/dataset/index.js';

/** The dataset generator and the JSON fixture format: deterministic, messy where real data is messy. */

const AS_OF = '2026-03-02';
const firm = generateDataset({ preset: 'firm', seed: 1, asOf: AS_OF });
const allJobs = firm.employees.flatMap((e) => e.jobs.map((j) => ({ e, j })));
const someone = (test: (e: Employee) => boolean): boolean => firm.employees.some(test);

describe('generateDataset', () => {
  it('is deterministic by seed and as-of date', () => {
    expect(JSON.stringify(generateDataset({ seed: 1, asOf: AS_OF }))).toBe(JSON.stringify(firm));
    expect(JSON.stringify(generateDataset({ seed: 2, asOf: AS_OF }))).not.toBe(JSON.stringify(firm));
  });

  it('builds the firm: 150 employees incl. contractors linked to vendors, 220 vendors, SETID SHARE, US001/US002', () => {
    expect(firm.employees).toHaveLength(150);
    expect(firm.vendors).toHaveLength(220);
    expect(new Set(firm.vendors.map((v) => v.SETID))).toEqual(new Set(['SHARE']));
    expect(new Set(allJobs.map(({ j }) => j.BUSINESS_UNIT))).toEqual(new Set(['US001', 'US002']));
    const vendorIds = new Set(firm.vendors.map((v) => v.VENDOR_ID));
    const contractors = allJobs.filter(({ j }) => j.PER_ORG === 'CWR');
    expect(new Set(contractors.map(({ e }) => e.EMPLID)).size).toBeGreaterThanOrEqual(5);
    expect(contractors.every(({ j }) => j.VENDOR_SETID === 'SHARE' && vendorIds.has(j.VENDOR_ID))).toBe(true);
    expect(allJobs.filter(({ j }) => j.PER_ORG === 'EMP').every(({ j }) => j.VENDOR_ID === '')).toBe(true);
    expect(firm.employees.map((e) => e.EMPLID)).toEqual([...firm.employees.map((e) => e.EMPLID)].sort());
  });

  it('has the HR histories a connector must handle', () => {
    const statuses = new Set(allJobs.map(({ j }) => j.EMPL_STATUS));
    for (const s of ['A', 'D', 'L', 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X']) expect(statuses, `EMPL_STATUS ${s}`).toContain(s);
    expect(someone((e) => e.jobs.some((j) => j.EMPL_RCD === 1))).toBe(true); // second jobs
    expect(someone((e) => e.jobs.some((j) => j.ACTION === 'REH' && j.EMPL_RCD === 0))).toBe(true); // rehire, later row
    expect(someone((e) => e.jobs.some((j) => j.ACTION === 'REH' && j.EMPL_RCD === 1))).toBe(true); // rehire on a new record
    expect(someone((e) => e.jobs.some((j) => j.ACTION === 'LOA') && e.jobs.some((j) => j.ACTION === 'RFL'))).toBe(true);
    expect(someone((e) => e.jobs.every((j) => j.EFFDT > AS_OF) && e.jobs[0]?.ACTION === 'HIR')).toBe(true); // future hire
    expect(someone((e) => e.jobs.some((j) => j.ACTION === 'TER' && j.EFFDT > AS_OF))).toBe(true); // future termination
    expect(someone((e) => e.jobs.some((j, i) => j.ACTION === 'XFR' && e.jobs[i - 1]?.DEPTID !== j.DEPTID))).toBe(true);
    expect(someone((e) => e.jobs.some((j) => j.EFFSEQ > 0))).toBe(true);
    expect(allJobs.some(({ j }) => j.DEPTID === '19000')).toBe(true); // a department that is inactive today
    expect(firm.departments.find((d) => d.DEPTID === '19000' && d.EFF_STATUS === 'I')).toBeDefined();
    // Rows are keyed before the as-of day, future-dated ones included.
    expect(allJobs.every(({ j }) => j.LASTUPDDTTM < `${AS_OF}-00.00.00.000000`)).toBe(true);
    // Some changes are recent, so a changed-since poll finds them.
    expect(allJobs.some(({ j }) => j.LASTUPDDTTM > '2026-02-26')).toBe(true);
    const current = firm.employees.map((e) => currentJob(e, AS_OF)).filter((j) => j !== undefined);
    expect(current.filter((j) => j.HR_STATUS === 'A').length).toBeGreaterThan(100);
  });

  it("has the firm's first-week cases: future hires, a future termination, people who left before the first sync", () => {
    const days = (a: string, b: string): number => (Date.parse(b) - Date.parse(a)) / 86_400_000;
    const futureHires = firm.employees.filter((e) => e.jobs.every((j) => j.EFFDT > AS_OF));
    expect(futureHires).toHaveLength(2);
    for (const e of futureHires) {
      // Starts in one to three weeks; keyed the day before as-of, so the first sync reads it at once.
      expect(days(AS_OF, e.jobs[0]!.EFFDT)).toBeGreaterThanOrEqual(7);
      expect(days(AS_OF, e.jobs[0]!.EFFDT)).toBeLessThanOrEqual(21);
      expect(e.jobs[0]!.LASTUPDDTTM.slice(0, 10)).toBe('2026-03-01');
    }
    const futureTerms = firm.employees.filter((e) => e.jobs.some((j) => j.ACTION === 'TER' && j.EFFDT > AS_OF) && currentJob(e, AS_OF)?.HR_STATUS === 'A');
    expect(futureTerms.length).toBeGreaterThanOrEqual(1);
    // Realistic, not a graveyard: of 150 people, 18 left before the first sync (12%), 130 work here.
    const inactive = firm.employees.filter((e) => {
      const jobs = [...new Set(e.jobs.map((j) => j.EMPL_RCD))].map((rcd) => currentJob(e, AS_OF, rcd)).filter((j) => j !== undefined);
      return jobs.length > 0 && jobs.every((j) => j.HR_STATUS === 'I');
    });
    expect(inactive).toHaveLength(18);
  });

  it('has messy names, emails and phones', () => {
    const names = firm.employees.map((e) => e.NAME_DISPLAY).join('\n');
    expect(names).toMatch(/'/); // apostrophes
    expect(names).toMatch(/[A-Za-z]-[A-Z]/); // hyphens
    expect(names).toMatch(/[éëèñüöøłçš]/i); // accents
    expect(names).toMatch(/[\u4e00-\u9fff\uac00-\ud7af]/); // CJK
    expect(names).toMatch(/[\u0590-\u06ff]/); // right-to-left
    expect(someone((e) => e.emails.length === 0)).toBe(true);
    const busn = firm.employees.flatMap((e) => e.emails.filter((m) => m.E_ADDR_TYPE === 'BUSN').map((m) => m.EMAIL_ADDR.trim().toLowerCase()));
    expect(new Set(busn).size).toBeLessThan(busn.length); // duplicates
    expect(someone((e) => e.emails.length > 0 && e.emails.every((m) => m.PREF_EMAIL_FLAG === 'N'))).toBe(true);
    const phones = firm.employees.flatMap((e) => e.phones.map((p) => p.PHONE));
    expect(phones.some((p) => p.includes('/'))).toBe(true);
    expect(phones.some((p) => p.startsWith('('))).toBe(true);
    expect(phones.some((p) => p.startsWith('+'))).toBe(true);
  });

  it('has vendors with every status, class and persistence, effective-dated addresses, terms and contacts', () => {
    expect(new Set(firm.vendors.map((v) => v.VENDOR_STATUS))).toEqual(new Set(['A', 'D', 'E', 'I', 'X']));
    expect(new Set(firm.vendors.map((v) => v.VENDOR_CLASS))).toEqual(new Set(['A', 'E', 'H', 'R']));
    expect(new Set(firm.vendors.map((v) => v.VENDOR_PERSISTENCE))).toEqual(new Set(['O', 'P', 'R', 'S']));
    const addresses = firm.vendors.flatMap((v) => v.addresses);
    expect(addresses.some((a) => a.EFF_STATUS === 'I')).toBe(true);
    expect(addresses.some((a) => a.EFFDT > AS_OF)).toBe(true);
    expect(firm.vendors.some((v) => v.addresses.filter((a) => a.ADDRESS_SEQ_NUM === 1).length > 1)).toBe(true);
    expect(new Set(firm.vendors.flatMap((v) => v.locations.map((l) => l.PYMNT_TERMS_CD)))).toEqual(new Set(['N30', 'N45', 'N60', 'N15', 'DUE', 'N90']));
    expect(firm.vendors.some((v) => v.contacts.length > 1)).toBe(true);
    expect(firm.vendors.map((v) => v.NAME1).join('\n')).toMatch(/[^\x00-\x7f]/);
  });

  it('scales: 5,000 employees and 1,000 vendors in well under a second', () => {
    const started = performance.now();
    const d = generateDataset({ employees: 5000, vendors: 1000, seed: 9, asOf: AS_OF });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(d.employees).toHaveLength(5000);
    expect(d.employees.at(-1)?.EMPLID).toBe('105000');
  });

  it('rejects impossible options with a coded error', () => {
    expect(() => generateDataset({ employees: -1 })).toThrow(MlError);
    expect(() => generateDataset({ asOf: '2026-02-30' })).toThrowError(/asOf/);
  });
});

describe('fixtures', () => {
  it('round-trips through JSON unchanged', () => {
    const json = JSON.parse(JSON.stringify(dumpFixture(firm))) as unknown;
    expect(loadFixture(json)).toEqual(firm);
  });

  it('dumps a copy: later changes to the live data do not leak into a dump', () => {
    const copy = loadFixture(dumpFixture(firm));
    const dumped = dumpFixture(copy) as PeopleSoftDataset;
    copy.employees[0]!.FIRST_NAME = 'Changed';
    expect(dumped.employees[0]?.FIRST_NAME).not.toBe('Changed');
  });

  it('fills defaults for omitted columns and sorts, so a test states only what it cares about', () => {
    const d = loadFixture({
      asOf: '2026-01-01',
      employees: [
        { EMPLID: 'B2', FIRST_NAME: 'Bo', jobs: [{ EFFDT: '2025-01-01', ACTION: 'XFR' }, { EFFDT: '2020-01-01' }] },
        { EMPLID: 'A1', jobs: [] },
      ],
      vendors: [{ VENDOR_ID: 'V1', addresses: [{ ADDRESS_SEQ_NUM: 1, EFFDT: '2020-02-02' }] }],
    });
    expect(d.employees.map((e) => e.EMPLID)).toEqual(['A1', 'B2']);
    const bo = d.employees[1] as Employee;
    expect(bo.NAME_DISPLAY).toBe('Bo');
    expect(bo.jobs.map((j) => [j.EFFDT, j.ACTION, j.EMPL_RCD, j.EFFSEQ, j.LASTUPDDTTM])).toEqual([
      ['2020-01-01', 'HIR', 0, 0, '2020-01-01-00.00.00.000000'],
      ['2025-01-01', 'XFR', 0, 0, '2025-01-01-00.00.00.000000'],
    ]);
    expect(d.vendors[0]).toMatchObject({ SETID: 'SHARE', VENDOR_STATUS: 'A', LAST_ACTIVITY_DT: '2020-02-02' });
    expect(d.departments.length).toBeGreaterThan(5);
  });

  it('loads the example fixture documented in docs/simulators.md', () => {
    const doc = readFileSync(new URL('../docs/simulators.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('### Fixture format'));
    const block = /```json\n([\s\S]*?)```/.exec(section)?.[1] as string;
    const d = loadFixture(JSON.parse(block));
    expect(d.employees[0]?.jobs[0]).toMatchObject({ ACTION: 'HIR', DEPTID: '11000' });
    expect(d.vendors[0]?.locations[0]?.PYMNT_TERMS_CD).toBe('N30');
  });

  it('rejects unknown fields, wrong types and bad dates, naming the path', () => {
    const bad = (json: unknown): MlError => {
      try {
        loadFixture(json);
      } catch (err) {
        return err as MlError;
      }
      throw new Error('expected an error');
    };
    expect(bad({ employees: [{ EMPLID: 'X', jobs: [{ EFFDT: '2020-01-01', EMPLSTATUS: 'A' }] }] })).toMatchObject({
      code: 'SIM_FIXTURE_INVALID', meta: { path: '$.employees[0].jobs[0].EMPLSTATUS' },
    });
    expect(bad({ employees: [{ EMPLID: 'X', jobs: [{ EFFDT: '2020-13-01' }] }] }).meta.path).toBe('$.employees[0].jobs[0].EFFDT');
    expect(bad({ vendors: [{ VENDOR_ID: 'V', addresses: [{ ADDRESS_SEQ_NUM: '1', EFFDT: '2020-01-01' }] }] }).meta.path).toBe(
      '$.vendors[0].addresses[0].ADDRESS_SEQ_NUM',
    );
    expect(bad({ employees: [{ EMPLID: 'X' }, { EMPLID: 'X' }] }).message).toMatch(/twice/);
  });
});
