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

function jsonCell(value: Cell, o: RenderOptions): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(text(value, o));
}

/**
 * QAS JSON (json_resp=true): `attr:rownumber` first (1-based), numbers as JSON numbers.
 * Built as text: a 5,000-row page is ~175,000 cells, and this avoids an object per row.
 */
export function renderQasJson(queryName: string, result: QueryResult, o: RenderOptions): string {
  const keys = result.columns.map((c) => JSON.stringify(keyOf(c, o)) + ':');
  const parts: string[] = [];
  result.rows.forEach((row, i) => {
    let s = `{"attr:rownumber":${i + 1}`;
    for (let k = 0; k < keys.length; k++) s += ',' + keys[k] + jsonCell(row[k] as Cell, o);
    parts.push(s + '}');
  });
  const nameKey = o.querynameWithEquals ? 'queryname=' : 'queryname';
  return `{"status":"success","data":{"query":{"numrows":${result.rows.length},${JSON.stringify(nameKey)}:${JSON.stringify(queryName)},"rows":[${parts.join(',')}]}}}`;
}

function cdata(value: string): string {
  return `<![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

export function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/** QAS XMLP (the default without json_resp=true): character values in CDATA, numbers plain. */
export function renderQasXml(queryName: string, result: QueryResult, o: RenderOptions): string {
  const head = `<?xml version="1.0"?>\n<QAS_GETQUERYRESULTS_RESP_MSG xmlns="${XMLP_MSG_NS}">`;
  const open = `<query numrows="${result.rows.length}" queryname="${escapeXml(queryName)}" xmlns="${XMLP_QUERY_NS}"`;
  if (result.rows.length === 0) return `${head}${open}/></QAS_GETQUERYRESULTS_RESP_MSG>`;
  const tags = result.columns.map((c) => keyOf(c, o));
  const parts: string[] = [];
  result.rows.forEach((row, i) => {
    let s = `<row rownumber="${i + 1}">`;
    for (let k = 0; k < tags.length; k++) {
      const v = row[k] as Cell;
      s += `<${tags[k]}>${typeof v === 'number' ? String(v) : cdata(text(v, o))}</${tags[k]}>`;
    }
    parts.push(s + '</row>');
  });
  return `${head}${open}>${parts.join('')}</query></QAS_GETQUERYRESULTS_RESP_MSG>`;
}

/** Rows as a JSON array of plain objects (a custom REST operation's own format: no row numbers, no aliases). */
export function renderRowObjects(result: QueryResult, o: RenderOptions): string {
  const keys = result.columns.map((c) => JSON.stringify(c.name) + ':');
  const parts = result.rows.map((row) => '{' + keys.map((k, i) => k + jsonCell(row[i] as Cell, o)).join(',') + '}');
  return `[${parts.join(',')}]`;
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
