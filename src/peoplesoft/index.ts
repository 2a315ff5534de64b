/**
 * The PeopleSoft connector: connection and auth, readers (QAS, REST service operations, component
 * interfaces), change detection and normalization into source records. docs/peoplesoft.md
 * describes the behaviour and what stays configurable.
 */
export { createPeopleSoftClient, DEFAULT_REQUEST_TIMEOUT_MS, type PeopleSoftClient, type PeopleSoftClientOptions } from './client.js';
export type { PsCredentials, AuthMode } from './auth.js';
export { resolvePeopleSoftCredentials } from './credentials.js';
export { computeReadWindow, nextWatermark, filterUnchanged, type ReadWindow, type WindowInput } from './window.js';
export { readSourceRecords, placeholderValues, queryGapProblems, type ReadOptions } from './read.js';
export { encodeHistory, decodeHistory, mergeHistory, historyScope, HISTORY_COLUMNS } from './history.js';
export { cleanText, cleanRecordText } from './clean-text.js';
export { MAX_REREADS } from './read-qas.js';
export { MAX_CONSECUTIVE_FAILURES } from './read-ci.js';
export { checkPeopleSoftConnection, type CheckContext } from './check.js';
export { normalizeEmployee } from './normalize-employee.js';
export { normalizeVendor, vendorFromRows, type VendorInput } from './normalize-vendor.js';
export { normalizeDepartment } from './normalize-department.js';
export { resolveNormalization, DEFAULT_ACTIONS, DEFAULT_EMPL_STATUS, DEFAULT_VENDOR_STATUS, type NormalizeOptions } from './codes.js';
export { DEFAULT_DEPARTMENT_COLUMNS, DEFAULT_EMPLOYEE_COLUMNS, DEFAULT_VENDOR_COLUMNS, type ColumnMap } from './columns.js';
export { hashRecord, canonicalJson } from './hash.js';
export { qasUrl, restUrl, ciFindUrl, ciGetUrl, gatewayUrl, fillPlaceholders } from './urls.js';
export { parsePsDate, parsePsDateTime, formatPsDateTime } from './dates.js';
