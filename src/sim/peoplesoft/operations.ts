import { isPsDate } from '../dataset/dates.js';
import { selectEmployeeRows } from './employee-rows.js';
import type { Outcome, QasContext } from './qas.js';
import { applyRowFaults, decode, omitColumns, rawParams } from './qas.js';
import { blankDeep, renderRowObjects } from './render.js';
import { sortedVendors, vendorCiBuffer } from './vendor-rows.js';

const JSON_TYPE = 'application/json; charset=UTF-8';
const MAX_PAGE_SIZE = 1000;

export type OperationContext = QasContext & { ciNotFoundStatus: number; ciHistoryItems: boolean };

/** A custom handler's own 4xx error body (set through OnErrorHttpResponseCode; the shape is ours). */
function opError(status: number, code: string, message: string): Outcome {
  return { status, contentType: JSON_TYPE, body: JSON.stringify({ error: { code, message } }) };
}

/**
 * ML_EMPL_CHANGES.v1, URI template `changed/{fromDate}/{toDate}`: employees whose JOB or PERSON
 * rows were updated, or whose JOB rows take effect, in [fromDate, toDate]; every JOB row of each,
 * paged by rows (`page` from 1, `pagesize` up to 1000) with a `more` flag.
 */
export function listEmployeeChanges(segments: string[], rawQuery: string, ctx: OperationContext): Outcome | undefined {
  if (segments.length !== 3 || segments[0] !== 'changed') return undefined;
  const fromDate = segments[1] as string;
  const toDate = segments[2] as string;
  if (!isPsDate(fromDate) || !isPsDate(toDate)) return opError(400, 'INVALID_DATE', 'fromDate and toDate must be dates YYYY-MM-DD.');
  if (fromDate > toDate) return opError(400, 'INVALID_RANGE', 'fromDate must not be after toDate.');
  const params = rawParams(rawQuery);
  const pageRaw = decode(params.get('page') ?? '1');
  const sizeRaw = decode(params.get('pagesize') ?? '500');
  if (!/^\d+$/.test(pageRaw) || Number(pageRaw) < 1) return opError(400, 'INVALID_PAGE', 'page must be an integer from 1.');
  if (!/^\d+$/.test(sizeRaw) || Number(sizeRaw) < 1 || Number(sizeRaw) > MAX_PAGE_SIZE) {
    return opError(400, 'INVALID_PAGESIZE', `pagesize must be an integer from 1 to ${MAX_PAGE_SIZE}.`);
  }
  const page = Number(pageRaw);
  const pagesize = Number(sizeRaw);
  const result = ctx.effects.zeroRows
    ? { columns: [], rows: [] }
    : omitColumns(selectEmployeeRows(ctx.data, {
        lastUpdFrom: `${fromDate}-00.00.00.000000`,
        lastUpdTo: `${toDate}-23.59.59.999999`,
        effdtFrom: fromDate,
        effdtTo: toDate,
        businessUnits: ctx.user.businessUnits,
        offset: (page - 1) * pagesize,
        limit: pagesize + 1,
        rowsMatching: ctx.changedRowsOnly,
        dirtyNames: ctx.controlCharsInNames,
      }), ctx.omitColumns.ML_EMPL_CHANGES);
  const more = result.rows.length > pagesize;
  if (more) result.rows.length = pagesize;
  applyRowFaults(result, ctx.effects);
  return {
    status: 200,
    contentType: JSON_TYPE,
    body: `{"employees":${renderRowObjects(result, ctx.render)},"page":${page},"pagesize":${pagesize},"more":${more}}`,
    rows: result.rows.length,
  };
}

/** CIRT_VENDOR_CI_F_GET.v1/{SETID}: the keys of every vendor in the SETID. */
export function findVendors(segments: string[], ctx: OperationContext): Outcome | undefined {
  if (segments.length !== 1) return undefined;
  const setid = segments[0] as string;
  const found = ctx.effects.zeroRows ? [] : sortedVendors(ctx.data).filter((v) => v.SETID === setid);
  const body = {
    Find__CompIntfc__VENDOR_CIResponse: {
      VENDOR_CI: found.map((v) => blankDeep({ SETID: v.SETID, VENDOR_ID: v.VENDOR_ID, NAME1: v.NAME1 }, ctx.render)),
    },
  };
  return { status: 200, contentType: JSON_TYPE, body: JSON.stringify(body), rows: found.length };
}

/** CIRT_VENDOR_CI_G_GET.v1/{SETID}/{VENDOR_ID}: one vendor's CI buffer. */
export function getVendor(segments: string[], ctx: OperationContext): Outcome | undefined {
  if (segments.length !== 2) return undefined;
  const [setid, vendorId] = segments as [string, string];
  const vendor = ctx.data.vendors.find((v) => v.SETID === setid && v.VENDOR_ID === vendorId);
  if (vendor === undefined) {
    // What a CI Get on missing keys returns over CIRT is UNCONFIRMED; this shape is the simulator's.
    return {
      status: ctx.ciNotFoundStatus,
      contentType: JSON_TYPE,
      body: JSON.stringify({
        error: { code: 'NOT_FOUND', message: 'No rows exist for the specified keys.', CompIntfc: 'VENDOR_CI', keys: { SETID: setid, VENDOR_ID: vendorId } },
      }),
      rows: 0,
    };
  }
  const buffer = blankDeep(vendorCiBuffer(vendor, ctx.today, ctx.ciHistoryItems, ctx.controlCharsInNames), ctx.render);
  return { status: 200, contentType: JSON_TYPE, body: JSON.stringify({ Get__CompIntfc__VENDOR_CIResponse: buffer }), rows: 1 };
}
