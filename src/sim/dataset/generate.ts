import { MlError } from '../../support/errors.js';
import { isPsDate, toPsDate } from './dates.js';
import { generateEmployees } from './generate-employees.js';
import { generateVendors } from './generate-vendors.js';
import { FIRM, JOBCODES, buildDepartments } from './firm.js';
import { Random, deriveSeed } from './random.js';
import { DATASET_VERSION, type PeopleSoftDataset } from './types.js';

export interface GenerateOptions {
  /** The firm from the product description: 150 employees, 220 vendors. The only preset today. */
  preset?: 'firm';
  employees?: number;
  vendors?: number;
  /** Same seed (and asOf), same dataset. Default 1. */
  seed?: number;
  /** "Today" for the data (`YYYY-MM-DD`): history before, future-dated rows after. Default: today (UTC). */
  asOf?: string;
}

const MAX_EMPLOYEES = 1_000_000;
const MAX_VENDORS = 200_000;

/** First EMPLID handed out; new hires in scenarios continue after the highest one. */
export const FIRST_EMPLID = 100001;

/**
 * Generate a PeopleSoft dataset deterministically from a seed. Employees and vendors draw from
 * separate random streams, so changing the vendor count leaves employees unchanged except for
 * which contractor vendor a contingent worker points to.
 */
export function generateDataset(options: GenerateOptions = {}): PeopleSoftDataset {
  const seed = options.seed ?? 1;
  const asOf = options.asOf ?? toPsDate(Date.now());
  const employeeCount = options.employees ?? FIRM.employees;
  const vendorCount = options.vendors ?? FIRM.vendors;
  if (options.preset !== undefined && options.preset !== 'firm') {
    throw new MlError('SIM_DATASET_INVALID', `Unknown dataset preset "${String(options.preset)}".`, { hint: 'The only preset is "firm".' });
  }
  if (!Number.isSafeInteger(seed)) throw invalid('seed must be an integer', { seed });
  if (!isPsDate(asOf)) throw invalid('asOf must be a date YYYY-MM-DD', { asOf });
  if (!Number.isInteger(employeeCount) || employeeCount < 0 || employeeCount > MAX_EMPLOYEES) {
    throw invalid(`employees must be an integer from 0 to ${MAX_EMPLOYEES}`, { employees: employeeCount });
  }
  if (!Number.isInteger(vendorCount) || vendorCount < 0 || vendorCount > MAX_VENDORS) {
    throw invalid(`vendors must be an integer from 0 to ${MAX_VENDORS}`, { vendors: vendorCount });
  }
  const { vendors, contractorVendors } = generateVendors(new Random(deriveSeed(seed, 'vendors')), asOf, vendorCount);
  const employees = generateEmployees(
    { rng: new Random(deriveSeed(seed, 'employees')), asOf, contractorVendors, firstEmplid: FIRST_EMPLID },
    employeeCount,
  );
  return {
    version: DATASET_VERSION,
    asOf,
    seed,
    scenarioDay: 0,
    departments: buildDepartments(asOf),
    jobcodes: JOBCODES.map((j) => ({ ...j })),
    employees,
    vendors,
  };
}

function invalid(message: string, meta: Record<string, unknown>): MlError {
  return new MlError('SIM_DATASET_INVALID', `Cannot generate the dataset: ${message}.`, {
    meta,
    hint: 'Check the --employees, --vendors, --seed options (or generateDataset arguments).',
  });
}
