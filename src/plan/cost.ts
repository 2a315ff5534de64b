import type { CreditEstimator, PlanCost, PlanAction } from './types.js';

/** Zoho takes at most 100 records per write call. */
export const BATCH_SIZE = 100;

/**
 * Zoho's published figure, used when the Zoho connector's estimator is not passed in: writes cost
 * 1 credit per 10 records (at least 1 per call), deletes 1 per call of up to 100, reads 1 per call.
 */
export const defaultCreditEstimator: CreditEstimator = (kind, records) => {
  if (records <= 0) return 0;
  if (kind === 'upsert') return Math.max(1, Math.ceil(records / 10));
  return 1;
};

function batchCredits(estimate: CreditEstimator, kind: 'upsert' | 'delete', n: number): number {
  let credits = 0;
  for (let left = n; left > 0; left -= BATCH_SIZE) credits += estimate(kind, Math.min(BATCH_SIZE, left));
  return credits;
}

/** The write calls and credits applying these actions takes: ceil(n/100) upserts, ceil(d/100) deletes. */
export function estimateCost(actions: readonly PlanAction[], estimate: CreditEstimator = defaultCreditEstimator): PlanCost {
  const deletes = actions.filter((a) => a.action === 'delete').length;
  const upserts = actions.length - deletes;
  return {
    calls: { upsert: Math.ceil(upserts / BATCH_SIZE), delete: Math.ceil(deletes / BATCH_SIZE) },
    credits: batchCredits(estimate, 'upsert', upserts) + batchCredits(estimate, 'delete', deletes),
  };
}
