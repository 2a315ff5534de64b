import { LineCounter, parseAllDocuments, visit, type Document, type YAMLError } from 'yaml';
import type { ConfigFile } from './files.js';
import type { ConfigIssue } from './issues.js';
import { positionOf } from './positions.js';

/**
 * Expanded aliases allowed per document. A billion-laughs document expands a few aliases into
 * millions of nodes; the yaml package counts expansions while converting and stops at this limit
 * (measured: refused in about 5 ms).
 */
export const MAX_ALIAS_COUNT = 200;

/** One YAML document of a configuration file, with what is needed to point at its lines. */
export interface ParsedDoc {
  file: ConfigFile;
  /** 0-based index of the document in its file. */
  index: number;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** The plain value of the document; undefined when it could not be converted. */
  value: unknown;
  /** True when the document had YAML errors: its value is only used to learn its kind and name. */
  broken: boolean;
}

export interface ParseResult {
  docs: ParsedDoc[];
  issues: ConfigIssue[];
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

/** The key text at an offset, for duplicate-key messages. */
function keyAt(text: string, offset: number): string {
  const m = /^["']?([^"':\n]*)/.exec(text.slice(offset, offset + 200));
  return (m?.[1] ?? '').trim();
}

/** A sentence a user can act on for each YAML error the parser reports. */
function describeYamlError(err: YAMLError, text: string): { code: string; message: string } {
  switch (err.code) {
    case 'TAB_AS_INDENT':
      return { code: 'CONFIG_YAML_SYNTAX', message: 'tab character used for indentation: YAML indents with spaces only; replace the tab with spaces' };
    case 'DUPLICATE_KEY': {
      const key = keyAt(text, err.pos[0]);
      return { code: 'CONFIG_DUPLICATE_KEY', message: `duplicate key '${key}': a key may appear only once in a mapping; remove or rename one of them` };
    }
    case 'BAD_INDENT':
      return { code: 'CONFIG_YAML_SYNTAX', message: `bad indentation (${firstLine(err.message)}): align this line with the other keys of its mapping` };
    case 'MULTILINE_IMPLICIT_KEY':
    case 'BLOCK_AS_IMPLICIT_KEY':
      return { code: 'CONFIG_YAML_SYNTAX', message: `bad indentation or a missing ':' (${firstLine(err.message)}): check that this line is indented like its siblings and that each key ends with ': '` };
    case 'MISSING_CHAR':
      return { code: 'CONFIG_YAML_SYNTAX', message: `${firstLine(err.message)}: close the quote, bracket or brace that was opened` };
    default:
      return { code: 'CONFIG_YAML_SYNTAX', message: `YAML syntax error: ${firstLine(err.message)}` };
  }
}

function yamlIssue(file: ConfigFile, lc: LineCounter, err: YAMLError, severity: 'error' | 'warning'): ConfigIssue {
  const { line, col } = lc.linePos(err.pos[0]);
  const { code, message } = describeYamlError(err, file.text);
  return { file: file.display, line, column: col, path: '', code, severity, message };
}

function typeName(value: unknown): string {
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value} (${JSON.stringify(value).slice(0, 40)})`;
}

/** Parse every document of one file, keeping positions; YAML problems become issues. */
export function parseConfigFile(file: ConfigFile): ParseResult {
  const lineCounter = new LineCounter();
  const issues: ConfigIssue[] = [];
  const docs: ParsedDoc[] = [];
  const parsed = parseAllDocuments(file.text, { lineCounter, prettyErrors: true, merge: true, uniqueKeys: true });
  // A stream without documents (only comments, or a stray directive) carries its own errors.
  if ('empty' in parsed) {
    for (const e of parsed.errors) issues.push(yamlIssue(file, lineCounter, e, 'error'));
    if (parsed.errors.length === 0) {
      issues.push({ file: file.display, line: 0, column: 0, path: '', code: 'CONFIG_EMPTY_FILE', severity: 'warning', message: `${file.display} holds only comments: it has no configuration document` });
    }
    return { docs, issues };
  }
  parsed.forEach((doc, index) => {
    for (const e of doc.errors) issues.push(yamlIssue(file, lineCounter, e, 'error'));
    for (const w of doc.warnings) issues.push(yamlIssue(file, lineCounter, w, 'warning'));
    if (doc.contents === null) return; // `---` with nothing after it: not a document
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      let at = doc.contents.range[0];
      visit(doc, { Alias(_k, node) { at = node.range?.[0] ?? at; return visit.BREAK; } });
      const { line, col } = lineCounter.linePos(at);
      const text = err instanceof Error ? err.message : String(err);
      const aliasBomb = /excessive alias count/i.test(text);
      const unresolved = /unresolved alias/i.exec(text) !== null;
      issues.push({
        file: file.display, line, column: col, path: '', severity: 'error',
        code: aliasBomb ? 'CONFIG_ALIAS_LIMIT' : 'CONFIG_YAML_SYNTAX',
        message: aliasBomb
          ? `aliases expand to more than ${MAX_ALIAS_COUNT} copies (a YAML "billion laughs" document): refused; use fewer aliases`
          : unresolved
            ? `${firstLine(text)}: an alias (*name) needs an anchor (&name) earlier in the same document; anchors do not carry across '---'`
            : `YAML error: ${firstLine(text)}`,
      });
      return;
    }
    const broken = doc.errors.length > 0;
    if (!broken && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      const pos = positionOf(lineCounter, doc.contents.range[0]);
      issues.push({
        file: file.display, ...pos, path: '', severity: 'error', code: 'CONFIG_NOT_A_DOCUMENT',
        message: `this document is ${typeName(value)}, not a mapping: a configuration document has the keys apiVersion, kind and name`,
      });
      return;
    }
    docs.push({ file, index, doc, lineCounter, value, broken });
  });
  if (parsed.length > 0 && docs.length === 0 && issues.length === 0 && parsed.every((d) => d.contents === null)) {
    issues.push({ file: file.display, line: 0, column: 0, path: '', code: 'CONFIG_EMPTY_FILE', severity: 'warning', message: `${file.display} holds only comments: it has no configuration document` });
  }
  return { docs, issues };
}


