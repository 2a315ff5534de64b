import { MlError } from '../support/errors.js';
import { scrub } from '../support/redact.js';

/** Thrown for anything the state store cannot do; `code` says what (STATE_CORRUPT, STATE_LOCKED, ...). */
export class StateError extends MlError {
  override name = 'StateError';
}

/** Thrown for secret and master-key problems (MASTER_KEY_MISSING, SECRET_DECRYPT_FAILED, ...). */
export class SecretError extends MlError {
  override name = 'SecretError';
}

const LOSES_SECRETS =
  'Secrets stored in it would be lost with it: set them again with `ml-connector secrets set NAME`.';

/**
 * Turn a sqlite3 or file-system failure into a StateError a person can act on. The state is a
 * cache (links, snapshots and watermarks are rebuilt from Zoho and PeopleSoft on the next run),
 * which is why "move it aside" is a safe hint for corruption.
 */
export function mapStateError(err: unknown, path: string, doing: string): unknown {
  if (err instanceof MlError) return err;
  const code = String((err as { code?: unknown }).code ?? '');
  const message = scrub(err instanceof Error ? err.message : String(err));
  const meta = { path, operation: doing, cause: message };
  switch (code) {
    case 'SQLITE_FULL':
    case 'ENOSPC':
      return new StateError('STATE_DISK_FULL', `The state database ${path} could not grow: the disk (or its size limit) is full while ${doing}.`, {
        meta,
        hint: 'Free disk space where the state lives (or point state.path elsewhere) and rerun; the failed batch was rolled back and will be retried.',
        cause: err,
      });
    case 'SQLITE_CORRUPT':
    case 'SQLITE_NOTADB':
      return new StateError('STATE_CORRUPT', `The state database ${path} is damaged or not an SQLite file (${message}).`, {
        meta,
        hint: `It is a cache: move it aside (mv "${path}" "${path}.broken") and rerun; links are rebuilt from Zoho by external id. ${LOSES_SECRETS}`,
        cause: err,
      });
    case 'SQLITE_READONLY':
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_PERM':
    case 'SQLITE_AUTH':
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new StateError('STATE_READONLY', `The state database ${path} cannot be written (${message}) while ${doing}.`, {
        meta,
        hint: 'ml-connector needs write access to the state file and its directory (SQLite also creates -wal and -shm files next to it). Fix the permissions or set state.path to a writable place.',
        cause: err,
      });
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return new StateError('STATE_BUSY', `The state database ${path} stayed busy (another process is writing) while ${doing}.`, {
        meta,
        hint: 'Another ml-connector process holds a long write; retry, or look at `ml-connector state show`.',
        cause: err,
      });
    case 'SQLITE_CONSTRAINT':
      return new StateError('STATE_INVALID_INPUT', `A row was refused by the state database ${path} (${message}) while ${doing}.`, {
        meta,
        hint: 'This is a bug in the caller (for example an audit row for a run that was never started); report it with this message.',
        cause: err,
      });
    case 'SQLITE_IOERR':
      return new StateError('STATE_IO', `Reading or writing the state database ${path} failed (${message}) while ${doing}.`, {
        meta,
        hint: 'Check the disk and the file system (network file systems are not supported by SQLite WAL mode).',
        cause: err,
      });
    default:
      return new StateError('STATE_ERROR', `State database ${path}: ${message} (while ${doing}).`, { meta, cause: err });
  }
}
