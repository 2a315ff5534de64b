/**
 * Rows → one group per key, across pages: the rows of one key (a person's JOB rows, a vendor's
 * address rows) must be contiguous, and a key seen again after another is an error, since the
 * earlier group was already normalized without those rows. Keys are compared for equality only.
 */
import { MlError } from '../support/errors.js';
import type { PsRow } from './rows.js';

export interface RowGroup {
  key: string;
  rows: PsRow[];
  /** 1-based number of the group's first row in the read. */
  index: number;
}

export class KeyGrouper {
  private readonly done = new Set<string>();
  private current: RowGroup | undefined;
  private index = 0;

  constructor(
    private readonly keyOf: (row: PsRow) => string,
    private readonly what: string,
  ) {}

  /** The groups this page completes; the page's last group stays open, as the next page may continue it. */
  add(rows: PsRow[]): RowGroup[] {
    const out: RowGroup[] = [];
    for (const row of rows) {
      this.index++;
      const key = this.keyOf(row);
      if (key === '') {
        out.push({ key, rows: [row], index: this.index });
        continue;
      }
      if (this.current && this.current.key === key) {
        this.current.rows.push(row);
        continue;
      }
      if (this.current) {
        this.done.add(this.current.key);
        out.push(this.current);
      }
      if (this.done.has(key)) {
        throw new MlError('PS_ROWS_UNORDERED', `${this.what}: the rows of ${key} are not together; the answer must be ordered by its key (the read is incomplete)`, {
          meta: { key, row: this.index },
          hint: 'Order the query (or service operation) by its key columns, e.g. EMPLID, EMPL_RCD, EFFDT, EFFSEQ.',
        });
      }
      this.current = { key, rows: [row], index: this.index };
    }
    return out;
  }

  /** The last group, at the end of the read. */
  end(): RowGroup[] {
    const last = this.current;
    this.current = undefined;
    return last ? [last] : [];
  }
}
