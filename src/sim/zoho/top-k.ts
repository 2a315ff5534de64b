/**
 * The k smallest items of a sequence in order, with a bounded max-heap: O(n log k) time and O(k)
 * memory, where sorting every match cost the simulator O(n log n) per COQL page (a keyset read of
 * 500,000 records is 250 pages). Ties keep the sequence's order, as a stable sort would.
 */
export function smallest<T>(items: Iterable<T>, k: number, compare: (a: T, b: T) => number): { items: T[]; total: number } {
  const heap: Array<{ item: T; at: number }> = [];
  // Max-heap on (compare, position): the root is the largest of the k kept.
  const above = (a: { item: T; at: number }, b: { item: T; at: number }): boolean => {
    const c = compare(a.item, b.item);
    return c > 0 || (c === 0 && a.at > b.at);
  };
  const siftDown = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < heap.length && above(heap[l]!, heap[top]!)) top = l;
      if (r < heap.length && above(heap[r]!, heap[top]!)) top = r;
      if (top === i) return;
      [heap[i], heap[top]] = [heap[top]!, heap[i]!];
      i = top;
    }
  };
  let total = 0;
  for (const item of items) {
    const entry = { item, at: total++ };
    if (k <= 0) continue;
    if (heap.length < k) {
      heap.push(entry);
      for (let i = heap.length - 1; i > 0;) {
        const parent = (i - 1) >> 1;
        if (!above(heap[i]!, heap[parent]!)) break;
        [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
        i = parent;
      }
    } else if (above(heap[0]!, entry)) {
      heap[0] = entry;
      siftDown(0);
    }
  }
  heap.sort((a, b) => (above(a, b) ? 1 : above(b, a) ? -1 : 0));
  return { items: heap.map((e) => e.item), total };
}
