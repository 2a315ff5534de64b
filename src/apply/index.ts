/** The applier, and the reading that feeds the planner: the only layer here with effects. */
export { openSession, type Session, type SessionOptions } from './session.js';
export { makePlan, selectMappings, type MakePlanOptions } from './make-plan.js';
export { readMappingInput, readLookupIndex, readFullSource, chooseMode, toObserved, type ReadOptions } from './read-inputs.js';
export { applyPlan, acquireApplyLock, APPLY_LOCK, type ApplyOptions, type ApplyReport, type MappingApplyReport, type RecordOutcome } from './apply-plan.js';
export { parseCursor, formatCursor, type SyncCursor } from './cursor.js';
