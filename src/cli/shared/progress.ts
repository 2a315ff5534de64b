/**
 * Progress of a long plan or apply on stderr. On a terminal: one line rewritten in place. Without
 * one (CI logs): a plain line every few seconds while something is under way, so a long run is
 * never silent until it ends; a run shorter than the interval prints nothing.
 */

export interface Progress {
  /** Planning a mapping (`plan`, and `apply` without a plan file). */
  planning(mapping: string): void;
  /** Records written so far for a mapping. */
  writing(p: { mapping: string; done: number; total: number }): void;
  /** Nothing under way for now (the plan is being printed): clear the line. */
  clear(): void;
  /** Clear the line and stop the timer. */
  end(): void;
}

/** Seconds between lines without a terminal; `ML_CONNECTOR_PROGRESS_SECONDS` changes it (tests, very long runs). */
export function progressInterval(): number {
  const s = Number(process.env.ML_CONNECTOR_PROGRESS_SECONDS);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 5_000;
}

const n = (x: number): string => x.toLocaleString('en-US');

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

export function startProgress(stream: NodeJS.WriteStream = process.stderr, o: { intervalMs?: number; now?: () => number } = {}): Progress {
  const now = o.now ?? Date.now;
  const began = now();
  let planning: { mapping: string; since: number } | undefined;
  let write: { mapping: string; done: number; total: number; since: number; firstDone: number } | undefined;

  const describe = (): string | undefined => {
    const t = now();
    if (write) {
      const pct = write.total > 0 ? Math.floor((write.done / write.total) * 100) : 100;
      const rate = (write.done - write.firstDone) / Math.max(0.001, (t - write.since) / 1000);
      const left = rate > 0 && write.done < write.total ? `, about ${duration(((write.total - write.done) / rate) * 1000)} left` : '';
      return `${write.mapping}: ${n(write.done)} of ${n(write.total)} records written (${pct}%)${rate > 0 ? `, ${n(Math.round(rate))}/s` : ''}${left}`;
    }
    if (planning) return `planning ${planning.mapping}: reading PeopleSoft and Zoho (${duration(t - planning.since)}; ${duration(t - began)} in all)`;
    return undefined;
  };

  if (!stream.isTTY) {
    const timer = setInterval(() => {
      const line = describe();
      if (line) stream.write(`${line}\n`);
    }, o.intervalMs ?? progressInterval());
    timer.unref();
    return {
      planning(mapping) { planning = { mapping, since: now() }; write = undefined; },
      writing(p) { write = write && write.mapping === p.mapping ? { ...write, done: p.done, total: p.total } : { ...p, since: now(), firstDone: p.done }; },
      clear() { planning = undefined; write = undefined; },
      end() { clearInterval(timer); planning = undefined; write = undefined; },
    };
  }
  let shown = false;
  let lastDraw = 0;
  const draw = (force = false): void => {
    const t = now();
    if (!force && t - lastDraw < 100) return;
    lastDraw = t;
    const line = describe();
    if (!line) return;
    shown = true;
    stream.write(`\r\u001b[2K${line}`);
  };
  return {
    planning(mapping) { planning = { mapping, since: now() }; write = undefined; draw(true); },
    writing(p) {
      const fresh = !write || write.mapping !== p.mapping;
      write = fresh ? { ...p, since: now(), firstDone: p.done } : { ...write!, done: p.done, total: p.total };
      // Throttled, but the first and the last line of a mapping always show.
      draw(fresh || p.done >= p.total);
    },
    clear() {
      if (shown) stream.write('\r\u001b[2K');
      shown = false;
      planning = undefined;
      write = undefined;
    },
    end() {
      this.clear();
    },
  };
}
