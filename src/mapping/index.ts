/** The pure field-mapping engine: source records → the Zoho records they should become. */
export { mapRecord, managedFields, externalIdSource, lifecyclePolicy, setValues, sourceFieldsUsed } from './map-record.js';
export type { DesiredRecord, MapOutcome, MapOptions, LookupResolver } from './map-record.js';
export { applyTransforms } from './transforms.js';
export type { TransformResult } from './transforms.js';
export { matchCondition, renderTemplate, templateFields } from './conditions.js';
export { orderMappings, lookupTargets } from './order.js';
export { fromZohoValue, toZohoValue, valueKey, sameValue, isLookupValue, isEmpty } from './values.js';
export type { FieldValue, LookupValue, ScalarValue } from './values.js';
export { readStaticRecords } from './static-records.js';
export { compileMatchRules, defaultNormalizer, normalizeMatchValue } from './match.js';
export type { MatchRule } from './match.js';
export { siblingMappings, inScope, externalIdOf, ownerOfOrphans, otherExternalIdFields } from './siblings.js';
