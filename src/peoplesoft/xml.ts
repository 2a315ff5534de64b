/**
 * XML from PeopleSoft, read with saxes: a strict, conforming XML 1.0 parser (well-formedness,
 * character references, entities), so a broken document is one coded error that says where it
 * broke, never a crash or a silently wrong value (docs/decisions.md, "XML by saxes"). Namespaces
 * are not resolved: PeopleSoft's prefixes and default namespaces differ per release and node, so
 * elements are matched by local name (`QAS:row` and `<row xmlns="…">` are both `row`).
 *
 * Three views of one parser, so QAS XMLP, `<IBResponse type="error">`, SOAP faults and (later) the
 * SOAP transport share it: `walkXml` (events), `parseXml` (a small element tree for small
 * documents) and `readXmlpRows` (QAS rows, streamed from events without building a tree).
 */
import { SaxesParser } from 'saxes';
import { MlError } from '../support/errors.js';

/** One element of a parsed document: local name, attributes (local names), children and its own text. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Text and CDATA directly inside this element, concatenated. */
  text: string;
}

export interface XmlHandlers {
  open(name: string, attributes: Record<string, string>): void;
  /** Character data and CDATA sections, entities decoded. */
  text(text: string): void;
  close(name: string): void;
}

export const localName = (qname: string): string => qname.slice(qname.indexOf(':') + 1);

function localAttributes(attrs: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (k !== 'xmlns' && !k.startsWith('xmlns:')) out[localName(k)] = v;
  return out;
}

/** The element name of the document's root, read cheaply from its start (prolog, comments, doctype skipped). */
export function rootElementName(text: string): string | undefined {
  const m = /^\uFEFF?\s*(?:<\?[\s\S]*?\?>\s*|<!--[\s\S]*?-->\s*|<!DOCTYPE[^>[]*(?:\[[\s\S]*?\])?\s*>\s*)*<([A-Za-z_][\w.:-]*)/.exec(text.slice(0, 4096));
  return m ? localName(m[1]!) : undefined;
}

/**
 * Run `handlers` over a whole document. Throws PS_BAD_ANSWER naming `where` and the line and
 * column when the text is not well-formed XML (including character references outside Unicode,
 * undefined entities and characters XML cannot carry, such as a raw NUL or ESC).
 */
export function walkXml(text: string, where: string, handlers: XmlHandlers): void {
  const parser = new SaxesParser<{ position: true; xmlns: false }>({ position: true, xmlns: false });
  parser.on('error', (err) => {
    throw badXml(text, where, err);
  });
  parser.on('opentag', (tag) => handlers.open(localName(tag.name), localAttributes(tag.attributes)));
  parser.on('text', (t) => handlers.text(t));
  parser.on('cdata', (t) => handlers.text(t));
  parser.on('closetag', (tag) => handlers.close(localName(tag.name)));
  try {
    parser.write(text).close();
  } catch (err) {
    // saxes reports through the handler above; anything else thrown inside it is a bug of ours.
    if (err instanceof MlError) throw err;
    throw badXml(text, where, err);
  }
}

function badXml(text: string, where: string, err: unknown): MlError {
  const raw = err instanceof Error ? err.message : String(err);
  const m = /^(\d+):(\d+): (.*?)\.?$/s.exec(raw);
  const at = m ? ` at line ${m[1]}, column ${m[2]}` : '';
  const reason = m ? m[3]! : raw;
  const html = /^\s*(<!DOCTYPE\s+html|<html)/i.test(text);
  return new MlError('PS_BAD_ANSWER', `${where}: the answer is ${html ? 'an HTML page' : 'not well-formed XML'} (${reason}${at}), not a query result`, {
    meta: { where, ...(m ? { line: Number(m[1]), column: Number(m[2]) } : {}), reason },
    hint: html
      ? 'Check that the URL reaches the Integration Gateway (/PSIGW/RESTListeningConnector) and not a login page or proxy.'
      : 'PeopleSoft (or something between) sent a broken document. If it carries characters XML cannot hold (a control character in a name), read the query as JSON (format: json): JSON carries them and ml-connector removes them with a warning.',
    cause: err,
  });
}

/** The whole document as an element tree. Meant for small documents (error bodies, SOAP answers). */
export function parseXml(text: string, where: string): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  walkXml(text, where, {
    open(name, attributes) {
      const el: XmlElement = { name, attributes, children: [], text: '' };
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(el);
      else root = el;
      stack.push(el);
    },
    text(t) {
      const el = stack[stack.length - 1];
      if (el) el.text += t;
    },
    close() {
      stack.pop();
    },
  });
  // saxes refuses a document without a root element, so a finished walk always has one.
  return root!;
}

/** The first descendant (depth first, self included) with this local name. */
export function findElement(el: XmlElement, name: string): XmlElement | undefined {
  if (el.name === name) return el;
  for (const child of el.children) {
    const found = findElement(child, name);
    if (found) return found;
  }
  return undefined;
}

/** All text inside an element, its descendants' included, in document order. */
export function allText(el: XmlElement): string {
  return el.text + el.children.map(allText).join('');
}

export type XmlRow = Record<string, string>;

export interface XmlpAnswer {
  rows: XmlRow[];
  /** `numrows` of the `<query>` element, when there is one and it says. */
  numrows: number | undefined;
  /** Whether a `<query>` element was present (an empty result is `<query numrows="0"/>`). */
  hasQuery: boolean;
  /** Text of `<status>` outside the rows, if any (a non-success answer carries one; shape UNCONFIRMED). */
  status: string | undefined;
  /** Text of the first `<error>`, `<message>` or `<DefaultMessage>` outside the rows. */
  message: string | undefined;
}

const MESSAGE_ELEMENTS = new Set(['error', 'message', 'DefaultMessage']);

/**
 * QAS XMLP: each `<row>` becomes a flat record of its child elements' text (local names; the first
 * of a repeated name wins; the text of anything nested inside a column is kept). One pass over
 * the events, no tree: a 5,000-row page is ~7 MB of XML.
 */
export function readXmlpRows(text: string, where: string): XmlpAnswer {
  const out: XmlpAnswer = { rows: [], numrows: undefined, hasQuery: false, status: undefined, message: undefined };
  let row: XmlRow | undefined;
  let depth = 0; // inside a row: 1 = a column element, more = nested inside a column
  let field = '';
  let value = '';
  let outside: 'status' | 'message' | undefined;
  let outsideText = '';
  walkXml(text, where, {
    open(name, attributes) {
      if (row !== undefined) {
        depth++;
        if (depth === 1) {
          field = name;
          value = '';
        }
        return;
      }
      if (name === 'row') {
        row = {};
        depth = 0;
      } else if (name === 'query') {
        out.hasQuery = true;
        const n = attributes.numrows;
        if (n !== undefined && /^\d+$/.test(n.trim())) out.numrows = Number(n);
      } else if (name === 'status' && out.status === undefined) {
        outside = 'status';
        outsideText = '';
      } else if (MESSAGE_ELEMENTS.has(name) && out.message === undefined) {
        outside = 'message';
        outsideText = '';
      }
    },
    text(t) {
      if (row !== undefined) {
        if (depth > 0) value += t;
      } else if (outside !== undefined) {
        outsideText += t;
      }
    },
    close() {
      if (row !== undefined) {
        if (depth === 0) {
          out.rows.push(row);
          row = undefined;
          return;
        }
        if (depth === 1 && !(field in row)) row[field] = value;
        depth--;
        return;
      }
      if (outside !== undefined) {
        out[outside] = outsideText.trim();
        outside = undefined;
      }
    },
  });
  return out;
}

/** The message of an `<IBResponse type="error">` (HttpListeningConnector answers 200 even on error), else undefined. */
export function readIbResponseError(doc: XmlElement): string | undefined {
  if (doc.name !== 'IBResponse' || (doc.attributes.type ?? '').toLowerCase() !== 'error') return undefined;
  const child = (name: string): string | undefined => {
    const el = doc.children.find((c) => c.name === name);
    const t = el ? allText(el).trim() : '';
    return t === '' ? undefined : t;
  };
  const text = child('DefaultMessage') ?? child('MessageText') ?? child('DefaultTitle') ?? 'Integration Broker error';
  const set = child('MessageSet');
  const id = child('MessageID');
  return `${text}${set && id ? ` (message ${set},${id})` : ''}`;
}

/** The faultstring (SOAP 1.1) or Reason text (SOAP 1.2) of a SOAP fault anywhere in the document, else undefined. */
export function readSoapFault(doc: XmlElement): string | undefined {
  const fault = findElement(doc, 'Fault');
  if (!fault) return undefined;
  const part = fault.children.find((c) => c.name === 'faultstring') ?? fault.children.find((c) => c.name === 'Reason');
  return (part ? allText(part) : allText(fault)).trim() || 'SOAP fault';
}
