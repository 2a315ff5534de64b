/**
 * Whole histories over real HTTP and a real SQLite file (issue 12): a customer's query that
 * returns only the JOB rows changed since the watermark, read with `history: changed-rows`, gives
 * exactly the records a whole-history query gives, because each person's rows are merged with the
 * history the state stored at the last apply. Read with `history: whole`, the same query is caught
 * and no field is emptied. The stored histories cost nothing for people who did not change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ManualClock } from '../src/support/clock.js';
import type { RecordProblem, SourceRecord, StoredHistory } from '../src/model/index.js';
import { generateDataset, type ScenarioDayReport } from '../src/sim/dataset/index.js';
import { startPeopleSoftSimulator, type PeopleSoftSimulator } from '../src/sim/peoplesoft/index.js';
import { computeReadWindow, createPeopleSoftClient, nextWatermark, readSourceRecords, type ReadWindow } from '../src/peoplesoft/index.js';
import { openStateStore, type StateStore } from '../src/state/index.js';
import type { PeopleSoftConnection, QasReader } from '../src/config/types.generated.js';
import { makeTempDir } from './fixtures/state/helpers.js';
import { collect, hcmConnection } from './peoplesoft-fixtures.js';

const START = Date.parse('2026-03-02T12:00:00Z');
const SCOPE = 'peoplesoft-hcm/employees';

function reader(url: string, history: 'whole' | 'changed-rows'): PeopleSoftConnection {
  const conn = hcmConnection(url);
  conn.readers.employees = { ...conn.readers.employees!, maxRows: 100, history } as QasReader;
  return conn;
}

async function read(conn: PeopleSoftConnection, window: ReadWindow, loadHistories?: (keys: string[]) => Promise<ReadonlyMap<string, StoredHistory>>) {
  const client = createPeopleSoftClient(conn, { credentials: { password: 'ml-sync-secret' } });
  try {
    const all = await collect(readSourceRecords(client, conn, 'employees', window, loadHistories ? { loadHistories } : {}));
    const records = all.filter((r): r is SourceRecord => 'hash' in r);
    return { records, problems: all.filter((r): r is RecordProblem => !('hash' in r)), byKey: new Map(records.map((r) => [r.key, r])), calls: client.calls };
  } finally {
    await client.close();
  }
}

const hashes = (records: SourceRecord[]): string[][] => records.map((r) => [r.key, r.hash]);
const withHistory = (records: SourceRecord[]) => records.filter((r) => r.history !== undefined).map((r) => ({ key: r.key, ...r.history! }));

describe('a query that returns changed JOB rows only', () => {
  const clock = new ManualClock(START);
  const tmp = makeTempDir();
  let whole: PeopleSoftSimulator;
  let changed: PeopleSoftSimulator;
  let store: StateStore;
  let loads: number[];
  const loader = async (keys: string[]): Promise<ReadonlyMap<string, StoredHistory>> => {
    loads.push(keys.length);
    return store.getHistories(SCOPE, keys);
  };
  let day: ScenarioDayReport;
  let incremental: ReadWindow;
  let seeded: Awaited<ReturnType<typeof read>>;
  let seedLoads: number[];
  let fullReference: Awaited<ReturnType<typeof read>>;
  let fullAgain: Awaited<ReturnType<typeof read>>;

  beforeAll(async () => {
    whole = await startPeopleSoftSimulator({ clock, dataset: generateDataset({ seed: 7, asOf: '2026-03-02' }) });
    changed = await startPeopleSoftSimulator({ clock, dataset: whole.data, quirks: { changedRowsOnly: true } });
    store = await openStateStore(join(tmp.dir, 'state.db'));
    // Day one: a full read (wide-open bounds, so whole histories) stores every history, as apply would.
    loads = [];
    const first = computeReadWindow({ now: clock.now(), full: true });
    seeded = await read(reader(changed.url, 'changed-rows'), first, loader);
    seedLoads = loads;
    loads = [];
    await store.putHistories(SCOPE, withHistory(seeded.records));
    fullReference = await read(reader(whole.url, 'whole'), first);
    fullAgain = await read(reader(changed.url, 'changed-rows'), first, loader);
    const mark = nextWatermark(undefined, seeded.records.map((r) => r.cursor), first)!;
    day = whole.scenario.nextDay();
    incremental = computeReadWindow({ now: clock.now(), full: false, watermark: mark, changeDetection: { overlapMinutes: 15, effectiveDateWindowDays: 1 } });
  });
  afterAll(async () => {
    await store.close();
    await whole.close();
    await changed.close();
    tmp.cleanup();
  });

  it('a full read of it returns whole histories: the same records as a whole query, each history stored, loaded once per page', async () => {
    expect(hashes(seeded.records)).toEqual(hashes(fullReference.records));
    expect(withHistory(seeded.records)).toHaveLength(seeded.records.length);
    // One loader call per page of 100 rows (never per record), and the end of the read.
    expect(seedLoads.length).toBeLessThan(seeded.records.length / 10);
    expect(seedLoads.reduce((a, b) => a + b, 0)).toBe(seeded.records.length);
    // A second full read finds every history unchanged: nothing to store, nothing downstream.
    expect([fullAgain.records.length, withHistory(fullAgain.records)]).toEqual([seeded.records.length, []]);
  });

  it('day two with history: changed-rows gives exactly the records a whole query gives, hire dates kept', async () => {
    const reference = await read(reader(whole.url, 'whole'), incremental);
    const partial = await read(reader(changed.url, 'changed-rows'), incremental, loader);
    expect(partial.problems).toEqual([]);
    expect(hashes(partial.records)).toEqual(hashes(reference.records));
    const moved = partial.byKey.get(day.transfer!.emplid)!;
    expect(moved.fields.HIRE_DT).toEqual(seeded.byKey.get(day.transfer!.emplid)!.fields.HIRE_DT);
    expect(moved.fields.HIRE_DT).not.toBeNull();
    expect([moved.event, moved.fields.DEPTID]).toEqual(['transfer', day.transfer!.toDeptid]);
    const left = partial.byKey.get(day.termination!.emplid)!;
    expect([left.status, left.fields.TERMINATION_DT, left.fields.HIRE_DT]).toEqual(['inactive', day.date, seeded.byKey.get(day.termination!.emplid)!.fields.HIRE_DT]);
    // The changed people carry their new whole history; stored (as apply does), the next read is quiet.
    const news = withHistory(partial.records);
    expect(news.map((h) => h.key)).toEqual(expect.arrayContaining([day.transfer!.emplid, day.termination!.emplid, ...day.hires.map((h) => h.emplid)]));
    await store.putHistories(SCOPE, news);
    const rerun = await read(reader(changed.url, 'changed-rows'), incremental, loader);
    expect([hashes(rerun.records), withHistory(rerun.records)]).toEqual([hashes(reference.records), []]);
  });

  it('the same query read as history: whole is caught: those people are refused, never emptied', async () => {
    const reference = await read(reader(whole.url, 'whole'), incremental);
    const misread = await read(reader(changed.url, 'whole'), incremental);
    const refused = misread.problems.map((p) => p.key);
    expect(refused).toEqual(expect.arrayContaining([day.transfer!.emplid, day.termination!.emplid]));
    expect(misread.problems.every((p) => p.code === 'PS_PARTIAL_HISTORY' && p.severity === 'error' && /Set history: changed-rows/.test(p.message))).toBe(true);
    // Everyone else (new hires, whose rows are their whole history) reads as the whole query does.
    expect(hashes(misread.records)).toEqual(hashes(reference.records).filter(([k]) => !refused.includes(k!)));
    for (const h of day.hires) expect(misread.byKey.get(h.emplid)?.fields.HIRE_DT).toBe(day.date);
  });

  it('without a stored history, a person whose changed rows are not a whole history waits for a full read', async () => {
    const empty = async (): Promise<ReadonlyMap<string, StoredHistory>> => new Map();
    const unknown = await read(reader(changed.url, 'changed-rows'), incremental, empty);
    expect(unknown.problems.map((p) => [p.key, p.code])).toEqual(expect.arrayContaining([[day.transfer!.emplid, 'PS_HISTORY_UNKNOWN'], [day.termination!.emplid, 'PS_HISTORY_UNKNOWN']]));
    expect(unknown.problems[0]!.message).toMatch(/A full read \(plan\/apply --full\) stores every history/);
    for (const h of day.hires) expect(unknown.byKey.has(h.emplid)).toBe(true);
  });
});

describe('state: histories', () => {
  it('puts, replaces and loads histories by key in batches, per scope, in a real file', async () => {
    const tmp = makeTempDir();
    const store = await openStateStore(join(tmp.dir, 'state.db'));
    try {
      const rows = Array.from({ length: 12_000 }, (_, i) => ({ key: `E${String(i).padStart(6, '0')}`, hash: `h${i}`, data: `[${i}]` }));
      await store.putHistories('hcm/employees', rows);
      await store.putHistories('other/employees', [{ key: 'E000001', hash: 'x', data: 'other' }]);
      await store.putHistories('hcm/employees', [{ key: 'E000001', hash: 'new', data: '[new]' }]);
      const got = await store.getHistories('hcm/employees', [...rows.map((r) => r.key), 'NOBODY']);
      expect(got.size).toBe(12_000);
      expect(got.get('E000001')).toEqual({ hash: 'new', data: '[new]' });
      expect(got.get('E011999')).toEqual({ hash: 'h11999', data: '[11999]' });
      expect(got.has('NOBODY')).toBe(false);
      expect((await store.getHistories('other/employees', ['E000001'])).get('E000001')?.data).toBe('other');
      await expect(store.putHistories('', rows.slice(0, 1))).rejects.toMatchObject({ code: 'STATE_INVALID_INPUT' });
    } finally {
      await store.close();
      tmp.cleanup();
    }
  });
});
