import { isScalar } from 'yaml';
import type { ConfigIssue } from './issues.js';
import { formatPath } from './issues.js';
import type { ParsedDoc } from './parse.js';
import { locate, offsetFor, positionOf, type Position } from './positions.js';

/** One configuration document as the rules see it. */
export interface Entry {
  kind: string;
  name: string;
  /** Resolved value (env references expanded); may be malformed when `valid` is false. */
  value: Record<string, unknown>;
  pd: ParsedDoc;
  /** False when YAML errors made the document unusable: it only reserves its name. */
  usable: boolean;
  /** `${env:NAME}` references without default whose variable was unset at load time. */
  unsetEnv?: { path: (string | number)[]; variable: string }[];
}

export type Path = (string | number)[];

/** Position of a path in a document: the key when `onKey`, else the value. */
export function positionAt(pd: ParsedDoc, path: Path, onKey = false): Position {
  return positionOf(pd.lineCounter, offsetFor(pd.doc, path, onKey));
}

/**
 * Position of `needle` inside the scalar at `path` (e.g. a `{PLACEHOLDER}` in a template), when
 * the source text holds it literally; else the scalar's own position.
 */
export function positionInScalar(pd: ParsedDoc, path: Path, needle: string): Position {
  const { node } = locate(pd.doc, path);
  if (node !== undefined && isScalar(node) && node.range !== undefined && node.range !== null) {
    const [start, end] = node.range;
    const i = pd.file.text.slice(start, end).indexOf(needle);
    if (i !== -1) return positionOf(pd.lineCounter, start + i);
  }
  return positionAt(pd, path);
}

/** Collects rule issues with their positions. */
export class IssueList {
  readonly items: ConfigIssue[] = [];

  add(pd: ParsedDoc, path: Path, code: string, message: string, opts: { severity?: 'error' | 'warning'; onKey?: boolean; at?: Position } = {}): void {
    const pos = opts.at ?? positionAt(pd, path, opts.onKey ?? false);
    this.items.push({ file: pd.file.display, line: pos.line, column: pos.column, path: formatPath(path), code, severity: opts.severity ?? 'error', message });
  }
}

/** "configs/a.yaml:3:7", for messages that point at a second place. */
export function placeOf(pd: ParsedDoc, path: Path): string {
  const pos = positionAt(pd, path);
  return `${pd.file.display}:${pos.line}:${pos.column}`;
}

export function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
