/** The pure planner, plan files and renderers. */
export { planChanges, hasChanges } from './plan.js';
export { planMapping, fingerprintAction, emptyCounts, valueText } from './plan-mapping.js';
export { checkGuards, resolveLimit } from './guards.js';
export { estimateCost, defaultCreditEstimator, BATCH_SIZE } from './cost.js';
export { diffValues, isDeactivated, driftPolicy } from './diff.js';
export { serializePlan, parsePlan, toPlanDocument } from './plan-file.js';
export { renderPlanText, summaryLine, formatValue, describeAction } from './render-text.js';
export type { Painter, RenderOptions } from './render-text.js';
export { renderPlanMarkdown, MARKDOWN_LIMIT } from './render-markdown.js';
export { maskValue, maskEmail, maskPhone, maskName, personalKind } from './mask.js';
export { canonicalJson, fingerprintOf, sha256, shortHash } from './canonical.js';
export * from './types.js';
