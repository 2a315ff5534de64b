/**
 * The configuration layer: YAML files under configs/ → a validated, typed Config.
 * Everything other layers need from it is exported here.
 */
export type { Config } from './config.js';
export { DEFAULT_STATE_PATH, defaultProject } from './config.js';
export type { ConfigIssue, IssueCode } from './issues.js';
export { ISSUE_CODES, formatIssue, sortIssues } from './issues.js';
export type { LoadOptions, LoadResult, LoadValidOptions } from './load.js';
export { DEFAULT_CONFIG_DIR, assertConfigDir, loadConfig, loadValidConfig } from './load.js';
export type { CredentialContext, Env, SecretSource } from './references.js';
export { expandEnv, isCredentialRef, requireResolved, resolveCredential } from './references.js';
export { MAX_FILE_BYTES } from './files.js';
export { MAX_ALIAS_COUNT } from './parse.js';
export { canonicalJson, sha256 } from './digest.js';
export * from './types.generated.js';
export { SOURCE_FIELDS, SOURCE_KEY } from './source-fields.js';
export type { SourceEntity } from './source-fields.js';
export { canonicalColumns, describeGap, fieldNeeds, findQueryGaps, zohoFieldsBySource, type ColumnChoices, type QueryGap } from './source-columns.js';
export { isStaticSource, peopleSoftSource, sourceInclude, sourceKind } from './source.js';
