import type { Cell, Column, QueryResult } from './query-result.js';

export interface RenderOptions {
  blankAsSpace: boolean;
  aliasPrefixes: boolean;
  querynameWithEquals: boolean;
}

const XMLP_MSG_NS = 'http://xmlns.oracle.com/Enterprise/Tools/schemas/QAS_GETQUERYRESULTS_RESP_MSG.VERSION_1';
const XMLP_QUERY_NS = 'http://xmlns.oracle.com/Enterprise/Tools/schemas/QAS_QUERYRESULTS_XMLP_RESP.VERSION_1';

function keyOf(c: Column, o: RenderOptions): string {
  return o.aliasPrefixes ? `${c.alias}.${c.name}` : c.name;
}

/** PeopleSoft stores an empty character field as one space; whether QAS shows it so is a switch. */
function text(value: string, o: RenderOptions): string {
  return value === '' && o.blankAsSpace ? ' ' : value;
}

/** Rows as objects with keys in column order (one hidden class: JSON.stringify's fast path). */
function rowObjects(result: QueryResult, keys: string[], o: RenderOptions, rowNumbers: boolean): Array<Record<string, Cell>> {
  return result.rows.map((row, i) => {
    const obj: Record<string, Cell> = rowNumbers ? { 'attr:rownumber': i + 1 } : {};
    for (let k = 0; k < keys.length; k++) {
      const v = row[k] as Cell;
      obj[keys[k] as string] = typeof v === 'number' ? v : text(v, o);
    }
    return obj;
  });
}

/**
 * QAS JSON (json_resp=true): `attr:rownumber` first (1-based), numbers as JSON numbers.
 * Objects and one JSON.stringify measured fastest for 5,000-row pages (docs/simulators.md).
 */
export function renderQasJson(queryName: string, result: QueryResult, o: RenderOptions, numrows = result.rows.length): string {
  const rows = rowObjects(result, result.columns.map((c) => keyOf(c, o)), o, true);
  const query: Record<string, unknown> = { numrows };
  query[o.querynameWithEquals ? 'queryname=' : 'queryname'] = queryName;
  query.rows = rows;
  return JSON.stringify({ status: 'success', data: { query } });
}

function cdata(value: string): string {
  return value.includes(']]>') ? `<![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]>` : `<![CDATA[${value}]]>`;
}

export function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/** QAS XMLP (the default without json_resp=true): character values in CDATA, numbers plain. */
export function renderQasXml(queryName: string, result: QueryResult, o: RenderOptions, numrows = result.rows.length): string {
  const head = `<?xml version="1.0"?>\n<QAS_GETQUERYRESULTS_RESP_MSG xmlns="${XMLP_MSG_NS}">`;
  const open = `<query numrows="${numrows}" queryname="${escapeXml(queryName)}" xmlns="${XMLP_QUERY_NS}"`;
  if (result.rows.length === 0) return `${head}${open}/></QAS_GETQUERYRESULTS_RESP_MSG>`;
  const tags = result.columns.map((c) => keyOf(c, o));
  const opens = tags.map((t) => `<${t}>`);
  const closes = tags.map((t) => `</${t}>`);
  const parts: string[] = [head, open, '>'];
  result.rows.forEach((row, i) => {
    parts.push(`<row rownumber="${i + 1}">`);
    for (let k = 0; k < tags.length; k++) {
      const v = row[k] as Cell;
      parts.push(opens[k] as string, typeof v === 'number' ? String(v) : cdata(text(v, o)), closes[k] as string);
    }
    parts.push('</row>');
  });
  parts.push('</query></QAS_GETQUERYRESULTS_RESP_MSG>');
  return parts.join('');
}

/** Rows as a JSON array of plain objects (a custom REST operation's own format: no row numbers, no aliases). */
export function renderRowObjects(result: QueryResult, o: RenderOptions): string {
  return JSON.stringify(rowObjects(result, result.columns.map((c) => c.name), o, false));
}

/** Apply the blank rule to every string inside a JSON-able value (CI buffers). */
export function blankDeep<T>(value: T, o: RenderOptions): T {
  if (typeof value === 'string') return text(value, o) as T;
  if (Array.isArray(value)) return value.map((v) => blankDeep(v, o)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = blankDeep(v, o);
    return out as T;
  }
  return value;
}

/**
 * A QAS request error (prompt mismatch, bad prompt value). The real non-success shape is
 * UNCONFIRMED; clients only rely on `status` not being "success".
 */
export function renderQasFailure(message: string, json: boolean): string {
  if (json) return JSON.stringify({ status: 'failure', data: { error: message } });
  return `<?xml version="1.0"?>\n<QAS_GETQUERYRESULTS_RESP_MSG xmlns="${XMLP_MSG_NS}"><status>failure</status><error>${escapeXml(message)}</error></QAS_GETQUERYRESULTS_RESP_MSG>`;
}

/** The HttpListeningConnector's 200-with-error body (Cedar Hills' OnError example). */
export function renderIbError(message: string): string {
  return `<?xml version="1.0"?>
<IBResponse type="error">
  <DefaultTitle>Integration Broker Response</DefaultTitle>
  <StatusCode>20</StatusCode>
  <MessageSet>158</MessageSet>
  <MessageID>10001</MessageID>
  <DefaultMessage>${escapeXml(message)}</DefaultMessage>
  <MessageParameters></MessageParameters>
</IBResponse>
`;
}

/** The short HTML page the gateway's web server answers with for 401/404/5xx. */
export function renderErrorPage(status: number, title: string, detail: string): string {
  return `<html><head><title>${status} ${escapeXml(title)}</title></head><body><h1>${status} ${escapeXml(title)}</h1><p>${escapeXml(detail)}</p></body></html>\n`;
}
