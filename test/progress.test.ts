import { afterEach, describe, expect, it, vi } from 'vitest';
import { startProgress } from '../src/cli/shared/progress.js';

/** Progress without a terminal (CI logs): a plain line every few seconds while a run is under way. */
function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; lines: string[] } {
  const lines: string[] = [];
  return { stream: { isTTY, write: (t: string) => { lines.push(t); return true; } } as unknown as NodeJS.WriteStream, lines };
}

afterEach(() => vi.useRealTimers());

describe('progress without a terminal', () => {
  it('prints a line every interval while planning and writing, with rate and time left, and stops at the end', () => {
    vi.useFakeTimers();
    const { stream, lines } = fakeStream(false);
    const p = startProgress(stream, { intervalMs: 5_000, now: () => Date.now() });
    p.planning('employees-to-contacts');
    vi.advanceTimersByTime(4_999);
    expect(lines).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(lines).toEqual(['planning employees-to-contacts: reading PeopleSoft and Zoho (5 s; 5 s in all)\n']);
    p.writing({ mapping: 'employees-to-contacts', done: 0, total: 10_000 });
    vi.advanceTimersByTime(2_000);
    p.writing({ mapping: 'employees-to-contacts', done: 4_000, total: 10_000 });
    vi.advanceTimersByTime(3_000);
    expect(lines[1]).toBe('employees-to-contacts: 4,000 of 10,000 records written (40%), 800/s, about 8 s left\n');
    p.end();
    vi.advanceTimersByTime(60_000);
    expect(lines).toHaveLength(2);
  });

  it('a run shorter than the interval prints nothing', () => {
    vi.useFakeTimers();
    const { stream, lines } = fakeStream(false);
    const p = startProgress(stream, { intervalMs: 5_000 });
    p.planning('vendors-to-accounts');
    vi.advanceTimersByTime(1_000);
    p.end();
    vi.advanceTimersByTime(10_000);
    expect(lines).toEqual([]);
  });

  it('on a terminal: one line rewritten in place, cleared at the end', () => {
    const { stream, lines } = fakeStream(true);
    const p = startProgress(stream);
    p.writing({ mapping: 'm', done: 100, total: 100 });
    p.end();
    expect(lines[0]).toMatch(/^\r\u001b\[2Km: 100 of 100 records written \(100%\)/);
    expect(lines.at(-1)).toBe('\r\u001b[2K');
  });
});
