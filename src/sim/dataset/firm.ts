import { addDays } from './dates.js';
import type { Department, Jobcode } from './types.js';

/**
 * The firm from the product description (../shared/seeds): a mid-sized professional services
 * firm, 150 employees in two business units, a vendor directory of 200+ contractors and
 * subcontractors, everything under SETID SHARE.
 */
export const FIRM = {
  name: 'Meridian & Lowe Partners',
  emailDomain: 'meridianlowe.com',
  setid: 'SHARE',
  company: 'MLP',
  employees: 150,
  vendors: 220,
  businessUnits: [
    { BUSINESS_UNIT: 'US001', LOCATION: 'NYC01', area: '212' },
    { BUSINESS_UNIT: 'US002', LOCATION: 'CHI01', area: '312' },
  ],
} as const;

/** Departments that are active today (a hire or transfer may land in any of these). */
export const ACTIVE_DEPTIDS = ['10000', '11000', '12000', '13000', '14000', '20000', '21000', '30000', '31000', '32000', '33000', '34000'];
/** A department that closed two years before as-of; old JOB rows still point to it. */
export const INACTIVE_DEPTID = '19000';

/** PS_DEPT_TBL rows, effective-dated relative to as-of: one renamed, one inactivated. */
export function buildDepartments(asOf: string): Department[] {
  const since = '2005-01-01';
  const row = (DEPTID: string, DESCR: string, EFFDT = since, EFF_STATUS: 'A' | 'I' = 'A'): Department => ({
    SETID: FIRM.setid, DEPTID, EFFDT, EFF_STATUS, DESCR, COMPANY: FIRM.company,
  });
  const closed = addDays(asOf, -730);
  const renamed = addDays(asOf, -400);
  return [
    row('10000', 'Executive Office'),
    row('11000', 'Strategy Consulting'),
    row('12000', 'Technology Consulting'),
    row('13000', 'Advisory & Risk'),
    row('14000', 'Business Intelligence'),
    row('14000', 'Data & Analytics', renamed),
    row('19000', 'Audit Services'),
    row('19000', 'Audit Services (closed)', closed, 'I'),
    row('20000', 'Sales & Business Development'),
    row('21000', 'Marketing'),
    row('30000', 'Finance & Accounting'),
    row('31000', 'Human Resources'),
    row('32000', 'Information Technology'),
    row('33000', 'Legal & Compliance'),
    row('34000', 'Facilities & Operations'),
  ];
}

export const JOBCODES: Jobcode[] = [
  ['100100', 'Managing Partner'], ['100200', 'Partner'], ['110100', 'Senior Manager'], ['110200', 'Manager'],
  ['120100', 'Senior Consultant'], ['120200', 'Consultant'], ['120300', 'Analyst'], ['200100', 'Account Executive'],
  ['200200', 'Sales Development Rep'], ['210100', 'Marketing Specialist'], ['300100', 'Controller'],
  ['300200', 'Accountant'], ['310100', 'HR Business Partner'], ['310200', 'Recruiter'], ['320100', 'Systems Engineer'],
  ['320200', 'Service Desk Analyst'], ['330100', 'Counsel'], ['340100', 'Office Manager'],
  ['900100', 'Contractor - Consultant'], ['900200', 'Contractor - Developer'],
].map(([JOBCODE, DESCR]) => ({ SETID: FIRM.setid, JOBCODE: JOBCODE as string, DESCR: DESCR as string }));

export const EMPLOYEE_JOBCODES = JOBCODES.filter((j) => !j.JOBCODE.startsWith('9')).map((j) => j.JOBCODE);
export const CONTRACTOR_JOBCODES = ['900100', '900200'];
export const MANAGER_JOBCODES = ['100100', '100200', '110100', '110200'];

export const PAYMENT_TERMS: Array<readonly [string, number]> = [
  ['N30', 10], ['N45', 3], ['N60', 2], ['N15', 1], ['DUE', 2], ['N90', 1],
];
