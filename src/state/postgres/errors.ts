import { MlError } from '../../support/errors.js';
import { scrub } from '../../support/redact.js';
import { StateError } from '../errors.js';

/** SQLSTATEs worth running the whole transaction again for: nothing of it was committed. */
export const RETRYABLE_SQLSTATE = new Set(['40001', '40P01']);

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
const TLS_CODES = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']);

function codeOf(err: unknown): string {
  return String((err as { code?: unknown }).code ?? '');
}

/** The connection broke or never came up: the statement may be tried again on a new connection. */
export function isConnectionError(err: unknown): boolean {
  const code = codeOf(err);
  if (CONNECTION_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') return true;
  const message = err instanceof Error ? err.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONN/i.test(message);
}

/**
 * Turn a `pg` or socket failure into a StateError a person can act on. `where` is the URL
 * without its password (describeTarget).
 */
export function mapPgError(err: unknown, where: string, doing: string): unknown {
  if (err instanceof MlError) return err;
  const code = codeOf(err);
  const message = scrub(err instanceof Error ? err.message : String(err));
  const meta = { path: where, operation: doing, cause: message, ...(code ? { sqlstate: code } : {}) };
  const make = (c: string, text: string, hint: string): StateError => new StateError(c, text, { meta, hint, cause: err });
  if (code === '28P01' || code === '28000') {
    return make('STATE_AUTH_FAILED', `PostgreSQL refused the login to ${where} (${message}) while ${doing}.`,
      'Check the user and password in the state URL (state.postgres.url, often ML_CONNECTOR_STATE_URL) and the server\'s pg_hba.conf.');
  }
  if (code === '3D000') {
    return make('STATE_DATABASE_NOT_FOUND', `The PostgreSQL database of ${where} does not exist (${message}).`,
      'Create it once (`createdb NAME`, or your provider\'s console) or fix the database name in the state URL; ml-connector creates its schema and tables itself.');
  }
  if (code === '42501' || code === '25006') {
    return make('STATE_READONLY', `The state schema on ${where} cannot be written (${message}) while ${doing}.`,
      'The state role needs USAGE and CREATE on the schema (or CREATE on the database, to create the schema) and write access to its tables; a read replica cannot hold the state.');
  }
  if (code === '53100') {
    return make('STATE_DISK_FULL', `The PostgreSQL server of ${where} is out of disk space while ${doing}.`,
      'Free space on the database server; the failed batch was rolled back and will be retried.');
  }
  if (RETRYABLE_SQLSTATE.has(code) || code === '55P03' || code === '57014') {
    return make('STATE_BUSY', `The state database ${where} stayed busy (${message}) while ${doing}.`,
      'Another ml-connector process (or a long statement) held the rows too long; retry. A statement cut by statement_timeout is reported here too.');
  }
  if (code.startsWith('23')) {
    return make('STATE_INVALID_INPUT', `A row was refused by the state database ${where} (${message}) while ${doing}.`,
      'This is a bug in the caller (for example an audit row for a run that was never started); report it with this message.');
  }
  if (code === 'XX001' || code === 'XX002') {
    return make('STATE_CORRUPT', `PostgreSQL reports damaged data in ${where} (${message}).`,
      'Ask the database administrator to check the server; the state is a cache (links are rebuilt from Zoho by external id), but secrets stored in it would be lost.');
  }
  if (TLS_CODES.has(code) || /SSL|TLS|certificate/i.test(message)) {
    return make('STATE_TLS', `The TLS connection to ${where} failed (${message}).`,
      'Set state.postgres.tls: mode verify-full with caFile (your provider\'s CA bundle), mode require to encrypt without checking the certificate, or mode disable for a server without TLS.');
  }
  if (isConnectionError(err)) {
    return make('STATE_UNAVAILABLE', `The PostgreSQL server of ${where} cannot be reached (${message}) while ${doing}.`,
      'Check that the server runs and that host, port and firewall allow this machine; ml-connector retried with backoff before giving up.');
  }
  return new StateError('STATE_ERROR', `State database ${where}: ${message} (while ${doing}).`, { meta, cause: err });
}
