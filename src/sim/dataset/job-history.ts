import { DAY_MS, addDays, fromPsDate, toPsDateTime } from './dates.js';
import type { Random } from './random.js';
import type { JobRow, PsDate } from './types.js';

/**
 * The payroll and HR status each action sets, following PeopleSoft's usual derivation
 * (hire/rehire/return → Active, leave → L, paid leave → P, termination → T, retirement → R,
 * short work break → W, suspension → S); other actions keep the previous status.
 */
const STATUS_BY_ACTION: Record<string, { EMPL_STATUS: string; HR_STATUS: 'A' | 'I' } | undefined> = {
  HIR: { EMPL_STATUS: 'A', HR_STATUS: 'A' },
  REH: { EMPL_STATUS: 'A', HR_STATUS: 'A' },
  RFL: { EMPL_STATUS: 'A', HR_STATUS: 'A' },
  LOA: { EMPL_STATUS: 'L', HR_STATUS: 'A' },
  PLA: { EMPL_STATUS: 'P', HR_STATUS: 'A' },
  TER: { EMPL_STATUS: 'T', HR_STATUS: 'I' },
  RET: { EMPL_STATUS: 'R', HR_STATUS: 'I' },
  SWB: { EMPL_STATUS: 'W', HR_STATUS: 'A' },
  SUS: { EMPL_STATUS: 'S', HR_STATUS: 'A' },
};

export function statusForAction(action: string): { EMPL_STATUS: string; HR_STATUS: 'A' | 'I' } | undefined {
  return STATUS_BY_ACTION[action];
}

/**
 * Builds one person's PS_JOB rows in order, the way HR would key them: each row copies the
 * previous row of the same EMPL_RCD, applies the change, gets EFFSEQ+1 when it shares an EFFDT,
 * and records when it was keyed (LASTUPDDTTM, ACTION_DT).
 */
export class JobHistory {
  readonly rows: JobRow[] = [];

  constructor(
    private readonly rng: Random,
    /** "Today" of the dataset: rows are keyed before it (future-dated rows too). */
    private readonly asOf: PsDate,
  ) {}

  /** The latest row of a job record, if any. */
  last(emplRcd = 0): JobRow | undefined {
    for (let i = this.rows.length - 1; i >= 0; i--) {
      const r = this.rows[i] as JobRow;
      if (r.EMPL_RCD === emplRcd) return r;
    }
    return undefined;
  }

  /**
   * Add a row. `first` gives the full starting values for a new EMPL_RCD; later rows copy the
   * previous row of that record. `keyed` overrides when it was entered (epoch ms).
   */
  add(
    emplRcd: number,
    effdt: PsDate,
    action: string,
    reason: string,
    changes: Partial<JobRow> = {},
    first?: Omit<JobRow, 'EMPL_RCD' | 'EFFDT' | 'EFFSEQ' | 'ACTION' | 'ACTION_REASON' | 'ACTION_DT' | 'LASTUPDDTTM'>,
    keyed?: number,
  ): JobRow {
    const prev = this.last(emplRcd);
    const base = prev ?? (first as JobRow | undefined);
    if (base === undefined) throw new Error(`first row of EMPL_RCD ${emplRcd} needs starting values`);
    const entered = keyed ?? this.enteredFor(effdt);
    const status = statusForAction(action);
    const pick = <K extends keyof JobRow>(key: K): JobRow[K] => changes[key] ?? base[key];
    const stamp = toPsDateTime(entered);
    // Built field by field so every row (and every fixture dump) lists columns in record order.
    const row: JobRow = {
      EMPL_RCD: emplRcd,
      EFFDT: effdt,
      EFFSEQ: prev !== undefined && prev.EFFDT === effdt ? prev.EFFSEQ + 1 : 0,
      PER_ORG: pick('PER_ORG'),
      ACTION: action,
      ACTION_REASON: reason,
      ACTION_DT: stamp.slice(0, 10),
      EMPL_STATUS: changes.EMPL_STATUS ?? status?.EMPL_STATUS ?? base.EMPL_STATUS,
      HR_STATUS: changes.HR_STATUS ?? status?.HR_STATUS ?? base.HR_STATUS,
      DEPTID: pick('DEPTID'),
      JOBCODE: pick('JOBCODE'),
      LOCATION: pick('LOCATION'),
      COMPANY: pick('COMPANY'),
      BUSINESS_UNIT: pick('BUSINESS_UNIT'),
      SUPERVISOR_ID: pick('SUPERVISOR_ID'),
      VENDOR_SETID: pick('VENDOR_SETID'),
      VENDOR_ID: pick('VENDOR_ID'),
      LASTUPDDTTM: stamp,
    };
    this.rows.push(row);
    return row;
  }

  /**
   * When HR keyed a row effective on `effdt`: up to ten days before it, and always before the
   * dataset's as-of day (future-dated rows were keyed in the weeks before).
   */
  private enteredFor(effdt: PsDate): number {
    const asOfMs = fromPsDate(this.asOf);
    const target = effdt < this.asOf ? fromPsDate(effdt) - this.rng.int(0, 10) * DAY_MS : asOfMs - this.rng.int(1, 20) * DAY_MS;
    const day = Math.min(target, asOfMs - DAY_MS);
    return day + this.rng.int(7 * 3600, 19 * 3600) * 1000 + this.rng.int(0, 999);
  }

  /**
   * A time on the last working day before the dataset's as-of day, for a row HR has only just
   * keyed (a future hire). Draws exactly what enteredFor draws, so the rest of the dataset stays
   * the same for a seed.
   */
  keyedJustBefore(): number {
    this.rng.int(1, 20);
    const day = fromPsDate(this.asOf) - DAY_MS;
    return day + this.rng.int(7 * 3600, 19 * 3600) * 1000 + this.rng.int(0, 999);
  }

  /** A random date in [from, to] (from when to < from). */
  between(from: PsDate, to: PsDate): PsDate {
    const span = Math.round((fromPsDate(to) - fromPsDate(from)) / DAY_MS);
    return span <= 0 ? from : addDays(from, this.rng.int(0, span));
  }
}
