/** The pure planner, plan documents and renderers. */
export { assembleHeader, hasChanges, type HeaderInput } from './plan.js';
export { MappingPlanner, indexCandidates, emptyCounts, type MatchRule, type CandidateIndex, type PlannerOptions, type SourcePage } from './mapping-planner.js';
export { mappingTables, isDeactivated, diffValues, type MappingTables } from './record-plans.js';
export { checkGuards, resolveLimit } from './guards.js';
export { defaultCreditEstimator, BATCH_SIZE } from './cost.js';
export { PlanSpool, SpoolDir, memoryPlan, encodeEntry, decodeEntry, type PlanSink } from './plan-document.js';
export { savePlan, loadPlan, renderPlanJson, fingerprintAction, valueText } from './plan-file.js';
export { renderPlanText, renderPlanTextString, summaryLine, formatValue, describeAction, actionLines, creditsText } from './render-text.js';
export type { Painter, RenderOptions } from './render-text.js';
export { renderPlanMarkdown, MARKDOWN_LIMIT } from './render-markdown.js';
export { maskValue, maskEmail, maskPhone, maskName, personalKind } from './mask.js';
export { canonicalJson, fingerprintOf, sha256, shortHash } from './canonical.js';
export { parseCursor, formatCursor, laterTime, type SyncCursor } from './cursor.js';
export * from './types.js';
