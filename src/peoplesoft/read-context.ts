import type { PlaceholderValues } from './urls.js';

/** What every reader needs for one read: the values its placeholders stand for, and how to page. */
export interface ReadContext {
  values: PlaceholderValues;
  timeZone: string;
  signal?: AbortSignal | undefined;
  /** Overrides maxrows / page size (check uses 1). */
  pageSize?: number | undefined;
  /** Stop after the first page (check). */
  firstPageOnly?: boolean | undefined;
}
