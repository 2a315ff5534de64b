import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export interface Position {
  line: number;
  column: number;
}

export function positionOf(lc: LineCounter, offset: number): Position {
  const { line, col } = lc.linePos(offset);
  return { line, column: col };
}

/** What a document path points at: the deepest node reached, and the key node of the last pair. */
export interface Located {
  node: Node | undefined;
  key: Node | undefined;
  /** How many path segments were found (== path.length when the whole path exists). */
  depth: number;
}

/** Walk a document along a path of keys and indexes, following aliases. */
export function locate(doc: Document, path: readonly (string | number)[]): Located {
  let node = doc.contents as Node | null;
  let key: Node | undefined;
  let depth = 0;
  for (const seg of path) {
    if (node !== null && isAlias(node)) node = (node.resolve(doc) as Node | undefined) ?? null;
    if (node === null) break;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (pair === undefined) break;
      key = pair.key as Node;
      node = (pair.value as Node | null) ?? null;
      if (node === null) {
        depth++;
        return { node: key, key, depth };
      }
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (item === undefined) break;
      key = undefined;
      node = item;
    } else {
      break;
    }
    depth++;
  }
  return { node: node ?? undefined, key, depth };
}

/**
 * Offset to report for a path: the value's start, or the key's start when `onKey` (unknown keys),
 * or the containing node when the path does not exist (missing fields).
 */
export function offsetFor(doc: Document, path: readonly (string | number)[], onKey = false): number {
  const found = locate(doc, path);
  if (onKey && found.key !== undefined && found.depth === path.length) return found.key.range?.[0] ?? 0;
  const node = found.node ?? (doc.contents as Node | null);
  return node?.range?.[0] ?? 0;
}
