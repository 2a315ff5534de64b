/** The pure planner, plan documents and renderers. */
export { assembleHeader, hasChanges, type HeaderInput } from './plan.js';
export { MappingPlanner, indexCandidates, emptyCounts, type MatchRule, type CandidateIndex, type PlannerOptions, type SourcePage } from './mapping-planner.js';
export { mappingTables, isDeactivated, diffValues, type MappingTables } from './record-plans.js';
export { checkGuards, resolveLimit } from './guards.js';
export { defaultCreditEstimator, BATCH_SIZE } from './cost.js';
export { PlanSpool, SpoolDir, memoryPlan, encodeEntry, decodeEntry, type PlanSink } from './plan-document.js';
export { savePlan, loadPlan, renderPlanJson, fingerprintAction } from './plan-file.js';
export { valueText } from './value-text.js';
export { renderPlanText, renderPlanTextString, summaryLine, type RenderOptions } from './render-text.js';
export { headline, asideLine, describeAction, ValueFormat, textLines, diffLines, ACTION_ORDER, type Painter } from './render-words.js';
export { renderPlanMarkdown, MARKDOWN_LIMIT, COMMENT_RESERVE, type MarkdownOptions } from './render-markdown.js';
export { personalFieldsOf as personalFieldsOfMapping, isPersonalByDefault, maskDigest, maskPlanValue, isMaskedValue, fallbackMaskKey, type MaskedValue, type PlanValue, type FieldFacts } from './mask.js';
export { canonicalJson, fingerprintOf, sha256, shortHash } from './canonical.js';
export { parseCursor, formatCursor, laterTime, type SyncCursor } from './cursor.js';
export * from './types.js';
