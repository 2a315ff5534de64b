/**
 * The columns the normalizers read, and where a customer's query may call them something else.
 * Keys are the canonical names (the data contract of docs/peoplesoft.md); values the column names
 * in the query's answer after alias prefixes are stripped. The defaults are the identity: a query
 * written for ml-connector uses these names. Pass overrides to readSourceRecords (`columns`) to
 * read a query whose columns differ. Email and phone columns follow `EMAIL_<TYPE>` / `PHONE_<TYPE>`
 * for each configured type.
 */
import type { PsRow } from './rows.js';

export { DEFAULT_DEPARTMENT_COLUMNS, DEFAULT_EMPLOYEE_COLUMNS, DEFAULT_VENDOR_COLUMNS } from '../config/source-columns.js';

/** Canonical column name → the customer's column name. */
export type ColumnMap = Record<string, string>;

/**
 * A function that renames a row's columns to canonical names, or the identity when nothing is
 * renamed. A column renamed to another name no longer stands for its own name (their `STATUS` may
 * mean something else than ours), unless the map also lists it for itself: `{ NAME_DISPLAY:
 * FIRST_NAME, FIRST_NAME: FIRST_NAME }` feeds one column to both names. Names may also be swapped.
 */
export function createRenamer(map: ColumnMap | undefined): (row: PsRow) => PsRow {
  const pairs = Object.entries(map ?? {});
  const kept = new Set(pairs.filter(([canonical, source]) => canonical === source).map(([c]) => c));
  const moved = pairs.filter(([canonical, source]) => canonical !== source);
  if (moved.length === 0) return (row) => row;
  const vacated = [...new Set(moved.map(([, source]) => source))].filter((source) => !kept.has(source));
  return (row) => {
    const out: PsRow = { ...row };
    for (const source of vacated) delete out[source];
    for (const [canonical, source] of moved) if (source in row) out[canonical] = row[source] ?? null;
    return out;
  };
}
