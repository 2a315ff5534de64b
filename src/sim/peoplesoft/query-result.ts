/** A query's columns and rows, before rendering to QAS JSON, XMLP or a REST op's JSON. */
export type ColumnType = 'char' | 'number' | 'date' | 'datetime';

export interface Column {
  name: string;
  /** Record alias in the query (`A` for JOB...), used when alias prefixes are switched on. */
  alias: string;
  type: ColumnType;
}

export type Cell = string | number;

export interface QueryResult {
  columns: readonly Column[];
  rows: Cell[][];
}

/** Thrown by a query or operation for a bad request (bad prompt value); rendered per the API's error shape. */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly status = 400,
    readonly code = 'BAD_REQUEST',
  ) {
    super(message);
  }
}

export function columns(spec: string): Column[] {
  // "A:EMPLID A:EMPL_RCD#n A:EFFDT#d ..." keeps the column lists short and readable.
  return spec.trim().split(/\s+/).map((token) => {
    const [alias = '', rest = ''] = token.split(':');
    const [name = '', t] = rest.split('#');
    const type: ColumnType = t === 'n' ? 'number' : t === 'd' ? 'date' : t === 't' ? 'datetime' : 'char';
    return { alias, name, type };
  });
}
