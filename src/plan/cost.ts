import type { CreditEstimator } from './types.js';

/** Zoho takes at most 100 records per write call. */
export const BATCH_SIZE = 100;

/**
 * Zoho's published figure, used when the Zoho connector's estimator is not passed in: writes cost
 * 1 credit per 10 records (at least 1 per call), deletes 1 per call of up to 100, reads 1 per call.
 */
export const defaultCreditEstimator: CreditEstimator = (kind, records) => {
  if (records <= 0) return 0;
  if (kind === 'upsert' || kind === 'update') return Math.max(1, Math.ceil(records / 10));
  return 1;
};
