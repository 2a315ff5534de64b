/** The state store: everything others import from src/state goes through here. */
export { openStateStore, backendOf, DEFAULT_STALE_MS, type StateStore, type StateStoreOptions, type StateStats } from './store.js';
export { copyState, COPIED_TABLES, type CopyReport } from './copy.js';
export { resolveSecretRef, checkSecretName } from './secrets.js';
export { generateMasterKey, keyId, loadMasterKey, parseMasterKey, MASTER_KEY_ENV, MASTER_KEY_FILE_ENV, type MasterKeySource } from './master-key.js';
export { StateError, SecretError } from './errors.js';
export { SCHEMA_VERSION } from './migrations.js';
export { PG_SCHEMA_VERSION } from './postgres/migrations.js';
export { DEFAULT_STATE_PATH, resolveStatePath } from './path.js';
export { DEFAULT_POSTGRES_SCHEMA, describeTarget, isPostgresUrl, parseStateTarget, postgresTarget, type PostgresTarget, type PostgresTls, type SqliteTarget, type StateTarget } from './target.js';
export type { BackendKind } from './sql.js';
export { parseSince } from './audit.js';
export type { MappingRunHistory } from './runs.js';
export { EXPORT_FORMAT, EXPORT_FORMAT_VERSION, type StateExport } from './export.js';
export type * from './types.js';
