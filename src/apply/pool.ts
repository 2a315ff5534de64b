/**
 * Run `task` over `items` with at most `limit` in flight, in input order of start. Stops starting
 * new items once `shouldStop` says so; items already started finish.
 */
export async function runPool<T>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<void>, shouldStop: () => boolean = () => false): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !shouldStop()) {
      const i = next++;
      await task(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** A queue that runs async steps one after another (SQLite commits, in batch completion order). */
export function createSerial(): <R>(step: () => Promise<R>) => Promise<R> {
  let tail: Promise<unknown> = Promise.resolve();
  return <R>(step: () => Promise<R>): Promise<R> => {
    const run = tail.then(step, step);
    tail = run.catch(() => undefined);
    return run;
  };
}
