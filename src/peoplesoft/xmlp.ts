/**
 * A small purpose-written reader for the flat XML PeopleSoft sends back: QAS XMLP rows, the
 * HttpListeningConnector `<IBResponse type="error">` and SOAP faults. It copes with what public
 * clients tripped over (reference §2.4): default namespaces on nested elements, prefixed names,
 * CDATA, dotted element names (`<A.EMPLID>`) and a single `<row>`. It is not a general XML parser:
 * rows are one level of simple elements, which is all QAS produces. Chosen over a dependency
 * because the shape is fixed and tiny (see docs/decisions.md).
 */

export type XmlRow = Record<string, string>;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? _;
  });
}

/** Text content of an element body: CDATA sections kept verbatim, the rest entity-decoded, tags dropped. */
export function textContent(inner: string): string {
  let out = '';
  let i = 0;
  while (i < inner.length) {
    const cdata = inner.indexOf('<![CDATA[', i);
    const chunk = cdata === -1 ? inner.slice(i) : inner.slice(i, cdata);
    out += decodeEntities(chunk.replace(/<[^>]*>/g, ''));
    if (cdata === -1) break;
    const end = inner.indexOf(']]>', cdata + 9);
    if (end === -1) {
      out += inner.slice(cdata + 9);
      break;
    }
    out += inner.slice(cdata + 9, end);
    i = end + 3;
  }
  return out;
}

const localName = (qname: string): string => qname.slice(qname.indexOf(':') + 1);

/** Children of one element body as name → text (local names; the first of a repeated name wins). */
function readChildren(inner: string): XmlRow {
  const out: XmlRow = {};
  const open = /<([A-Za-z_][\w.:-]*)\b[^>]*?(\/?)>/g;
  let m: RegExpExecArray | null;
  while ((m = open.exec(inner)) !== null) {
    const qname = m[1]!;
    const name = localName(qname);
    if (m[2] === '/') {
      if (!(name in out)) out[name] = '';
      continue;
    }
    const close = findClose(inner, qname, open.lastIndex);
    if (close === -1) break;
    if (!(name in out)) out[name] = textContent(inner.slice(open.lastIndex, close));
    open.lastIndex = inner.indexOf('>', close) + 1;
  }
  return out;
}

/** Index of the `</qname>` matching an element opened just before `from`, skipping CDATA sections. */
function findClose(xml: string, qname: string, from: number): number {
  const closeTag = `</${qname}`;
  let i = from;
  for (;;) {
    const close = xml.indexOf(closeTag, i);
    if (close === -1) return -1;
    // Walk the CDATA sections that open before the candidate; one may hide the candidate.
    let cdata = xml.indexOf('<![CDATA[', i);
    let hidden = false;
    while (cdata !== -1 && cdata < close) {
      const end = xml.indexOf(']]>', cdata + 9);
      if (end === -1) return -1;
      if (end > close) {
        i = end + 3;
        hidden = true;
        break;
      }
      cdata = xml.indexOf('<![CDATA[', end + 3);
    }
    if (!hidden) return close;
  }
}

const TOKEN = /<!\[CDATA\[([\s\S]*?)\]\]>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<\/([^>\s]+)\s*>|<([A-Za-z_][^\s/>]*)([^>]*?)(\/?)>|<[!][^>]*>|([^<]+)/g;

/**
 * The `<row>` elements of a QAS XMLP answer, each as a flat record; `numrows` when the `<query>`
 * says it. One pass over the text with a token regex (a 5,000-row page is ~7 MB of XML).
 */
export function parseXmlpRows(xml: string): { rows: XmlRow[]; numrows: number | undefined } {
  const rows: XmlRow[] = [];
  let numrows: number | undefined;
  let row: XmlRow | undefined;
  let depth = 0;
  let field: string | undefined;
  let text = '';
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = TOKEN.exec(xml)) !== null) {
    const [, cdata, closing, opening, attrs, selfClosing, chars] = m;
    if (opening !== undefined) {
      const name = localName(opening);
      if (row === undefined) {
        if (name === 'row') {
          if (selfClosing) rows.push({});
          else {
            row = {};
            depth = 0;
          }
        } else if (name === 'query') {
          const n = /\bnumrows\s*=\s*"(\d+)"/.exec(attrs ?? '');
          if (n) numrows = Number(n[1]);
        }
        continue;
      }
      if (depth === 0) {
        field = name;
        text = '';
        if (selfClosing) {
          if (!(name in row)) row[name] = '';
          field = undefined;
          continue;
        }
      }
      if (!selfClosing) depth++;
    } else if (closing !== undefined) {
      if (row === undefined) continue;
      if (depth === 0) {
        rows.push(row);
        row = undefined;
        continue;
      }
      depth--;
      if (depth === 0 && field !== undefined) {
        if (!(field in row)) row[field] = text;
        field = undefined;
      }
    } else if (row !== undefined && depth > 0) {
      if (cdata !== undefined) text += cdata;
      else if (chars !== undefined) text += decodeEntities(chars);
    }
  }
  return { rows, numrows };
}

/** The message of an `<IBResponse type="error">` (HttpListeningConnector answers 200 even on error), else undefined. */
export function readIbResponseError(body: string): string | undefined {
  const m = /<(?:[\w.-]+:)?IBResponse\b[^>]*\btype\s*=\s*["']error["'][^>]*>([\s\S]*?)<\/(?:[\w.-]+:)?IBResponse\s*>/i.exec(body);
  if (!m) return undefined;
  const kids = readChildren(m[1]!);
  const text = kids.DefaultMessage ?? kids.MessageText ?? kids.DefaultTitle ?? 'Integration Broker error';
  const code = kids.MessageSet && kids.MessageID ? ` (message ${kids.MessageSet},${kids.MessageID})` : '';
  return `${text.trim()}${code}`;
}

/** The faultstring (and detail text) of a SOAP fault, else undefined. */
export function readSoapFault(body: string): string | undefined {
  const m = /<(?:[\w.-]+:)?Fault\b[^>]*>([\s\S]*?)<\/(?:[\w.-]+:)?Fault\s*>/.exec(body);
  if (!m) return undefined;
  const kids = readChildren(m[1]!);
  return (kids.faultstring ?? kids.Reason ?? textContent(m[1]!)).trim() || 'SOAP fault';
}
