/** The applier only: plan actions in, per-record outcomes out. */
export { applyPlan, MAX_KEPT, type ApplierDeps, type ApplyResult, type MappingOutcome, type RecordOutcome } from './applier.js';
