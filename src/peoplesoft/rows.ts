/**
 * What PeopleSoft answers, turned into clean rows: QAS JSON or XMLP, REST JSON, and the error shapes
 * (a QAS `status` other than success, `<IBResponse type="error">`, SOAP faults). Cleaning follows
 * reference §7: drop `attr:rownumber`, strip `A.`-style alias prefixes, trim strings, blanks → null,
 * never rely on `queryname` (some systems send `queryname=`).
 */
import { MlError } from '../support/errors.js';
import { parseXml, readIbResponseError, readSoapFault, readXmlpRows, rootElementName } from './xml.js';

export type PsValue = string | number | boolean | null;
/** One cleaned row: bare column names, trimmed strings, null for blanks. */
export type PsRow = Record<string, PsValue>;

const ALIAS = /^[A-Za-z][A-Za-z0-9_]*\.(?=[A-Za-z_])/;

/** Clean one raw row. A column name seen twice after stripping its alias keeps its prefixed form. */
export function cleanRow(raw: Record<string, unknown>): PsRow {
  const out: PsRow = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith('attr:')) continue;
    let name = key.replace(ALIAS, '');
    if (name in out) name = key;
    out[name] = cleanValue(value);
  }
  return out;
}

function cleanValue(value: unknown): PsValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') {
    const t = value.trim();
    return t === '' ? null : t;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  // Nested values only appear in CI answers, which are read by their own code; keep text of the rest.
  return JSON.stringify(value);
}

const ERROR_ROOTS = new Set(['IBResponse', 'Envelope', 'Fault']);

/**
 * The error text an answer carries (`<IBResponse type="error">`, a SOAP fault), or undefined when
 * it is not an error shape. Only documents whose root is such a shape are parsed, so a large
 * XMLP page costs one short regex here. A broken error document throws PS_BAD_ANSWER.
 */
export function readErrorBody(body: string, where: string): string | undefined {
  const root = rootElementName(body);
  if (root === undefined || !ERROR_ROOTS.has(root)) return undefined;
  const doc = parseXml(body, where);
  return readIbResponseError(doc) ?? readSoapFault(doc);
}

/** Best-effort message from a non-success QAS JSON body; the shape is UNCONFIRMED (reference §2.3). */
function jsonMessage(doc: Record<string, unknown>): string {
  const pick = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  const data = (doc.data ?? {}) as Record<string, unknown>;
  const found = pick(doc.message) ?? pick(doc.error) ?? pick(doc.errorMessage) ?? pick(doc.detail) ??
    pick(data.message) ?? pick(data.error) ?? pick((doc.error as Record<string, unknown> | undefined)?.message);
  return found ?? JSON.stringify(doc).slice(0, 300);
}

export interface QasPage {
  rows: PsRow[];
  /** Rows the server says it returned (`numrows`), or the row count when it does not say. */
  numrows: number;
}

/** Parse a QAS ExecuteQuery answer (JSON, with XMLP fallback). Throws PS_QUERY_FAILED for error shapes. */
export function parseQasAnswer(body: string, where: string): QasPage {
  const t = body.trimStart();
  if (t.startsWith('<')) {
    const err = readErrorBody(t, where);
    if (err !== undefined) throw queryFailed(err, where);
    const answer = readXmlpRows(t, where);
    if (answer.rows.length === 0) {
      // A non-success XMLP answer carries a <status> (shape UNCONFIRMED); success has none or says so.
      const status = answer.status;
      if (status !== undefined && status !== '' && status.toLowerCase() !== 'success') {
        throw queryFailed(`status "${status}"${answer.message ? `: ${answer.message}` : ''}`, where);
      }
      // An HTML login page or proxy error must not read as "no rows": that would look like everyone left.
      if (!answer.hasQuery) throw badAnswer(t, where);
    }
    return { rows: answer.rows.map(cleanRow), numrows: answer.numrows ?? answer.rows.length };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(t);
  } catch (cause) {
    throw badAnswer(t, where, cause);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw badAnswer(t, where);
  const d = doc as Record<string, unknown>;
  if (d.status !== 'success') throw queryFailed(`status "${String(d.status)}": ${jsonMessage(d)}`, where);
  const query = (d.data as Record<string, unknown> | undefined)?.query;
  if (query === null || typeof query !== 'object') throw badAnswer(t, where);
  const q = query as Record<string, unknown>;
  const numrows = typeof q.numrows === 'number' ? q.numrows : Number(q.numrows ?? NaN);
  const raw = q.rows;
  // A missing or odd `rows` is not "no rows" (that would look like everyone left), unless numrows says 0.
  if (raw === undefined && numrows === 0) return { rows: [], numrows: 0 };
  const list = Array.isArray(raw) ? raw : raw !== null && typeof raw === 'object' ? [raw] : undefined;
  if (list === undefined || list.some((r) => r === null || typeof r !== 'object' || Array.isArray(r))) throw badAnswer(t, where);
  const rows = list.map((r) => cleanRow(r as Record<string, unknown>));
  return { rows, numrows: Number.isFinite(numrows) ? numrows : rows.length };
}

function badAnswer(body: string, where: string, cause?: unknown): MlError {
  return new MlError('PS_BAD_ANSWER', `${where}: the answer is not a query result (${body.slice(0, 80).replace(/\s+/g, ' ')}…)`, {
    meta: { where },
    hint: 'Check that the URL reaches the Integration Gateway (/PSIGW/RESTListeningConnector) and not a login page or proxy.',
    ...(cause === undefined ? {} : { cause }),
  });
}

function queryFailed(message: string, where: string): MlError {
  return new MlError('PS_QUERY_FAILED', `${where}: PeopleSoft reported an error: ${message}`, {
    meta: { where },
    hint: 'Check the query exists and is public, the prompts match its unique prompt names in order, and the user has query access to its records.',
  });
}

/** Parse a JSON answer of a REST service operation or CI REST call; IB error shapes throw. */
export function parseJsonAnswer(body: string, where: string): unknown {
  const t = body.trimStart();
  if (t.startsWith('<')) {
    const err = readErrorBody(t, where);
    throw new MlError('PS_OPERATION_FAILED', `${where}: ${err !== undefined ? `PeopleSoft reported an error: ${err}` : 'expected JSON, got XML'}`, {
      meta: { where },
      hint: err !== undefined ? 'See the PeopleSoft message; the Integration Broker monitor has details.' : 'Check the service operation returns JSON (Accept: application/json).',
    });
  }
  try {
    return JSON.parse(t);
  } catch (cause) {
    throw new MlError('PS_BAD_ANSWER', `${where}: the answer is not JSON (${t.slice(0, 80).replace(/\s+/g, ' ')}…)`, { meta: { where }, cause });
  }
}

/** Follow a dot path (`a.b.c`) into a JSON value. */
export function pickPath(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
