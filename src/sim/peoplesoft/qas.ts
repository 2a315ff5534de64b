import { isPsDate, normalizeDateTimeBound } from '../dataset/dates.js';
import type { PeopleSoftDataset, PsDate } from '../dataset/types.js';
import { isPermitted } from './auth.js';
import { selectDepartmentRows } from './department-rows.js';
import { selectEmployeeRows } from './employee-rows.js';
import { RequestError, type QueryResult } from './query-result.js';
import { renderErrorPage, renderQasFailure, renderQasJson, renderQasXml, type RenderOptions } from './render.js';
import type { PsUser, RowEffects } from './types.js';
import { selectVendorRows } from './vendor-rows.js';

export interface Outcome {
  status: number;
  contentType: string;
  body: string;
  rows?: number;
}

export interface QasContext {
  data: PeopleSoftDataset;
  today: PsDate;
  user: PsUser;
  /** Which database the node belongs to: queries live in one database only. */
  database: 'hcm' | 'fscm';
  render: RenderOptions;
  queryErrorStatus: number;
  splitEncodedCommas: boolean;
  jsonRequiresJsonResp: boolean;
  maxRowsCap: number | undefined;
  /** Faults that change the rows of this answer (no rows, fewer rows, a wrong numrows, keys back to the start). */
  effects: RowEffects;
  /** quirks.changedRowsOnly: employee queries return only the JOB rows that match. */
  changedRowsOnly: boolean;
  /** quirks.omitColumns: columns the customer's query lacks, per query or operation. */
  omitColumns: Record<string, string[]>;
  /** quirks.controlCharsInNames. */
  controlCharsInNames: boolean;
}

interface QueryDefinition {
  name: string;
  database: 'hcm' | 'fscm';
  /** Unique prompt names in the query's order. */
  prompts: string[];
  run(prompts: Record<string, string>, ctx: QasContext, limit: number | undefined): QueryResult;
}

const ML_EMPLOYEES: QueryDefinition = {
  name: 'ML_EMPLOYEES',
  database: 'hcm',
  prompts: ['LASTUPD_FROM', 'LASTUPD_TO', 'EFFDT_FROM', 'EFFDT_TO', 'AFTER_EMPLID'],
  run(p, ctx, limit) {
    return selectEmployeeRows(ctx.data, {
      lastUpdFrom: dateTimePrompt(p, 'LASTUPD_FROM', false),
      lastUpdTo: dateTimePrompt(p, 'LASTUPD_TO', true),
      effdtFrom: datePrompt(p, 'EFFDT_FROM'),
      effdtTo: datePrompt(p, 'EFFDT_TO'),
      afterEmplid: p.AFTER_EMPLID || undefined,
      businessUnits: ctx.user.businessUnits,
      limit,
      rowsMatching: ctx.changedRowsOnly,
      dirtyNames: ctx.controlCharsInNames,
    });
  },
};

const ML_VENDORS: QueryDefinition = {
  name: 'ML_VENDORS',
  database: 'fscm',
  prompts: ['SETID', 'AFTER_VENDOR_ID'],
  run(p, ctx, limit) {
    return selectVendorRows(ctx.data, { setid: p.SETID, afterVendorId: p.AFTER_VENDOR_ID, today: ctx.today, limit, dirtyNames: ctx.controlCharsInNames });
  },
};

const ML_DEPARTMENTS: QueryDefinition = {
  name: 'ML_DEPARTMENTS',
  database: 'hcm',
  prompts: ['SETID', 'AFTER_DEPTID'],
  run(p, ctx, limit) {
    return selectDepartmentRows(ctx.data, { setid: p.SETID, afterDeptid: p.AFTER_DEPTID, limit });
  },
};

export const QUERIES: readonly QueryDefinition[] = [ML_EMPLOYEES, ML_VENDORS, ML_DEPARTMENTS];

function dateTimePrompt(p: Record<string, string>, name: string, endOfDay: boolean): string | undefined {
  const value = p[name] ?? '';
  if (value === '') return undefined;
  const normalized = normalizeDateTimeBound(value, endOfDay);
  if (normalized === undefined) throw new RequestError(`Invalid value "${value}" for prompt ${name}: expected YYYY-MM-DD or YYYY-MM-DD-HH.MM.SS.ffffff.`);
  return normalized;
}

function datePrompt(p: Record<string, string>, name: string): PsDate | undefined {
  const value = p[name] ?? '';
  if (value === '') return undefined;
  const date = value.slice(0, 10);
  if (!isPsDate(date) || (value.length > 10 && normalizeDateTimeBound(value, false) === undefined)) {
    throw new RequestError(`Invalid value "${value}" for prompt ${name}: expected YYYY-MM-DD.`);
  }
  return date;
}

/** Query-string parameters by lower-cased name, raw (still percent-encoded). */
export function rawParams(rawQuery: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    if (!params.has(name)) params.set(name, eq < 0 ? '' : part.slice(eq + 1));
  }
  return params;
}

export function decode(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return raw;
  }
}

/**
 * Split a prompt list on literal commas, then decode each piece: an encoded comma (%2C) stays
 * inside its value, as the reference recommends assuming (psft_client: "keep commas unencoded").
 */
function splitList(raw: string | undefined, splitEncoded: boolean): string[] {
  if (raw === undefined) return [];
  const source = splitEncoded ? raw.replace(/%2c/gi, ',') : raw;
  return source.split(',').map((v) => decode(v));
}

/** GET …/{NODE}/ExecuteQuery.v1/{owner}/{query}/{type}/{format}?… */
export function executeQuery(segments: string[], rawQuery: string, ctx: QasContext): Outcome {
  const notFound = (what: string): Outcome => ({
    status: 404, contentType: 'text/html; charset=UTF-8', body: renderErrorPage(404, 'Not Found', what),
  });
  if (segments.length !== 4) return notFound('ExecuteQuery.v1 expects {OwnerType}/{QueryName}/{OutResultType}/{OutResultFormat}.');
  const [owner = '', queryName = '', resultType = '', resultFormat = ''] = segments;
  const params = rawParams(rawQuery);
  const jsonResp = decode(params.get('json_resp') ?? '').toLowerCase() === 'true';
  const type = resultType.toUpperCase();
  const json = jsonResp || (!ctx.jsonRequiresJsonResp && type === 'JSON');
  const failure = (message: string): Outcome => ({
    status: ctx.queryErrorStatus,
    contentType: json ? 'application/json; charset=UTF-8' : 'text/xml; charset=UTF-8',
    body: renderQasFailure(message, json),
  });

  const def = QUERIES.find((q) => q.name === queryName && q.database === ctx.database);
  // Our queries are public; a private query of that name does not exist for this user.
  if (!/^public$/i.test(owner) || def === undefined) {
    if (!/^(public|private)$/i.test(owner)) return notFound(`Unknown OwnerType "${owner}".`);
    return notFound(`Query ${queryName} does not exist as a ${owner.toLowerCase()} query on this database.`);
  }
  if (!isPermitted(ctx.user, 'ExecuteQuery', def.name)) {
    return { status: 401, contentType: 'text/html; charset=UTF-8', body: renderErrorPage(401, 'Unauthorized', 'Unauthorized') };
  }
  if (type !== 'JSON' && type !== 'XMLP') return failure(`OutResultType ${resultType} is not supported by the simulator (use JSON or XMLP).`);
  if (resultFormat.toUpperCase() !== 'NONFILE') return failure(`OutResultFormat ${resultFormat} is not supported by the simulator (use NONFILE).`);
  const connected = decode(params.get('isconnectedquery') ?? '').toUpperCase();
  if (connected !== 'N' && connected !== 'Y') return failure('isconnectedquery is required (Y or N).');
  if (connected === 'Y') return failure(`${def.name} is not a connected query.`);
  const maxRaw = decode(params.get('maxrows') ?? '');
  if (!/^-?\d+$/.test(maxRaw)) return failure('maxrows is required (an integer).');
  const maxrows = Number(maxRaw);

  const names = splitList(params.get('prompt_uniquepromptname'), ctx.splitEncodedCommas)
    .map((n) => n.trim())
    .filter((n, _i, all) => !(all.length === 1 && n === ''));
  const values = splitList(params.get('prompt_fieldvalue'), ctx.splitEncodedCommas);
  const valueCount = params.has('prompt_fieldvalue') ? values.length : 0;
  if (names.length !== valueCount || names.length !== def.prompts.length) {
    return failure(
      `Prompt count mismatch for query ${def.name}: it has ${def.prompts.length} prompts (${def.prompts.join(',')}); ` +
        `the request gave ${names.length} prompt names and ${valueCount} values.`,
    );
  }
  const prompts: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) {
    if (names[i] !== def.prompts[i]) {
      return failure(`Prompt ${i + 1} of query ${def.name} is ${def.prompts[i]}, not ${names[i]} (names are case-sensitive and positional).`);
    }
    // A blank prompt (empty or only spaces, as PeopleSoft pads CHAR fields) means "not given".
    const value = values[i] as string;
    prompts[def.prompts[i] as string] = value.trim() === '' ? '' : value;
  }

  // maxrows 0 and -1 both mean "no limit" here; their exact QAS meaning is UNCONFIRMED.
  let limit = maxrows > 0 ? maxrows : undefined;
  if (ctx.maxRowsCap !== undefined) limit = Math.min(limit ?? Infinity, ctx.maxRowsCap);
  // A rewind fault: the keyset prompt is ignored, as a query missing its "greater than" criterion would.
  if (ctx.effects.rewind) for (const name of def.prompts) if (name.startsWith('AFTER_')) prompts[name] = '';
  let result: QueryResult;
  try {
    result = ctx.effects.zeroRows ? { columns: [], rows: [] } : omitColumns(def.run(prompts, ctx, limit), ctx.omitColumns[def.name]);
  } catch (err) {
    if (err instanceof RequestError) return failure(err.message);
    throw err;
  }
  const numrows = applyRowFaults(result, ctx.effects);
  return {
    status: 200,
    contentType: json ? 'application/json; charset=UTF-8' : 'text/xml; charset=UTF-8',
    body: json ? renderQasJson(def.name, result, ctx.render, numrows) : renderQasXml(def.name, result, ctx.render, numrows),
    rows: result.rows.length,
  };
}

/** A customer's query without some columns (quirks.omitColumns). */
export function omitColumns(result: QueryResult, names: readonly string[] | undefined): QueryResult {
  if (names === undefined || names.length === 0) return result;
  const keep = result.columns.map((c, i) => (names.includes(c.name) ? -1 : i)).filter((i) => i >= 0);
  return { columns: keep.map((i) => result.columns[i]!), rows: result.rows.map((r) => keep.map((i) => r[i]!)) };
}

/** keepRows / dropRows faults, in place; returns the numrows the answer states. */
export function applyRowFaults(result: QueryResult, effects: RowEffects): number {
  if (effects.keepRows !== undefined) result.rows.length = Math.min(result.rows.length, effects.keepRows);
  const numrows = result.rows.length;
  if (effects.dropRows !== undefined) result.rows.length = Math.max(0, result.rows.length - effects.dropRows);
  return numrows;
}
