/**
 * URLs of the Integration Gateway (reference §1.1, §2.2, §4.2), built by hand because QAS wants the
 * commas that separate prompt values sent as they are, not as `%2C` (UNCONFIRMED as a server
 * requirement, but what public clients do and the safe choice).
 */
import { ConfigError } from '../support/errors.js';
import type { CiReader, PeopleSoftConnection, QasReader, RestReader } from '../config/types.generated.js';
import { formatPsDateTime } from './dates.js';

export const DEFAULT_NODE = 'PSFT_HR';
export const DEFAULT_MAX_ROWS = 5000;
export const DEFAULT_PAGE_SIZE = 500;

/** `https://host:port/PSIGW/RESTListeningConnector/{node}`. */
export function gatewayUrl(conn: PeopleSoftConnection): string {
  return `${conn.baseUrl.replace(/\/+$/, '')}/PSIGW/RESTListeningConnector/${conn.node ?? DEFAULT_NODE}`;
}

/** Values the placeholders in prompts, URI templates and query parameters stand for. */
export interface PlaceholderValues {
  /** Epoch ms; rendered per format (default PeopleSoft canonical datetime in the server zone). */
  since?: number | undefined;
  until?: number | undefined;
  effdtFrom?: string | undefined;
  effdtTo?: string | undefined;
  asOf?: string | undefined;
  /** The keyset value of the last row of the previous page; '' on the first page. */
  after?: string | undefined;
}

const PLACEHOLDER = /\{(since|until|effdtFrom|effdtTo|asOf|after)(?::(ps|iso|date))?\}/g;

/**
 * Substitute `{name}` / `{name:format}` in `template`. Datetimes (`since`, `until`) default to
 * PeopleSoft canonical text in the server zone (`ps`); `iso` gives ISO-8601 UTC and `date` the
 * server-zone date. The prompt date format QAS accepts is UNCONFIRMED (reference §2.2), hence the
 * per-placeholder choice. An unknown `{...}` is left as written so the mistake shows in the URL.
 */
export function fillPlaceholders(template: string, values: PlaceholderValues, timeZone = 'UTC'): string {
  return template.replace(PLACEHOLDER, (_, name: keyof PlaceholderValues, format?: 'ps' | 'iso' | 'date') => {
    const v = values[name];
    if (v === undefined) return '';
    if (typeof v === 'string') return v;
    if (format === 'iso') return new Date(v).toISOString();
    const ps = formatPsDateTime(v, timeZone);
    return format === 'date' ? ps.slice(0, 10) : ps;
  });
}

/** The prompt lists as QAS wants them; refuses a value with a comma, naming the prompt. */
export function encodePrompts(prompts: { name: string; value: string }[], query: string): { names: string; values: string } {
  for (const p of prompts) {
    if (p.value.includes(',')) {
      throw new ConfigError('PS_PROMPT_COMMA', `Prompt ${p.name} of query ${query} has a value with a comma ("${p.value}"); QAS cannot send it`, {
        meta: { query, prompt: p.name },
        hint: 'QAS separates prompt values with commas and has no escape. Change the value, or change the query so it does not need one.',
      });
    }
  }
  return {
    names: prompts.map((p) => encodeURIComponent(p.name)).join(','),
    values: prompts.map((p) => encodeURIComponent(p.value)).join(','),
  };
}

/** ExecuteQuery.v1 URL of a QAS reader with its prompts bound. */
export function qasUrl(conn: PeopleSoftConnection, reader: QasReader, values: PlaceholderValues, maxRows: number, timeZone = 'UTC'): string {
  const format = reader.format === 'xmlp' ? 'XMLP' : 'JSON';
  const base = `${gatewayUrl(conn)}/ExecuteQuery.v1/${reader.owner ?? 'public'}/${encodeURIComponent(reader.query)}/${format}/NONFILE`;
  let qs = `isconnectedquery=N&maxrows=${maxRows}`;
  const prompts = (reader.prompts ?? []).map((p) => ({ name: p.name, value: fillPlaceholders(p.value, values, timeZone) }));
  if (prompts.length > 0) {
    const { names, values: vals } = encodePrompts(prompts, reader.query);
    qs += `&prompt_uniquepromptname=${names}&prompt_fieldvalue=${vals}`;
  }
  qs += `&json_resp=${format === 'JSON'}`;
  return `${base}?${qs}`;
}

/** URL of a REST service operation: URI template and query parameters filled, plus paging. */
export function restUrl(conn: PeopleSoftConnection, reader: RestReader, values: PlaceholderValues, page?: { number: number; size: number }, timeZone = 'UTC'): string {
  const encoded = (t: string): string => encodeURIComponent(fillPlaceholders(t, values, timeZone));
  const path = (reader.uriTemplate ?? '').split('/').filter((s) => s !== '').map(encoded).join('/');
  const params: string[] = [];
  for (const [k, v] of Object.entries(reader.query ?? {})) if (v !== undefined) params.push(`${encodeURIComponent(k)}=${encoded(v)}`);
  if (page && reader.paging) {
    params.push(`${encodeURIComponent(reader.paging.pageParam)}=${page.number}`);
    if (reader.paging.sizeParam) params.push(`${encodeURIComponent(reader.paging.sizeParam)}=${page.size}`);
  }
  const op = `${gatewayUrl(conn)}/${encodeURIComponent(reader.operation)}.v${reader.version ?? 1}`;
  return `${op}${path ? `/${path}` : ''}${params.length ? `?${params.join('&')}` : ''}`;
}

/** CI REST Find (`CIRT_<CI>_F_GET`) with the find keys as path segments in CI order. */
export function ciFindUrl(conn: PeopleSoftConnection, reader: CiReader): string {
  const keys = Object.values(reader.findKeys ?? {}).filter((v): v is string => v !== undefined);
  const path = keys.map((k) => encodeURIComponent(k)).join('/');
  return `${gatewayUrl(conn)}/CIRT_${reader.component}_F_GET.v1${path ? `/${path}` : ''}`;
}

/** CI REST Get (`CIRT_<CI>_G_GET`) with the get keys as path segments in CI order. */
export function ciGetUrl(conn: PeopleSoftConnection, reader: CiReader, keyValues: string[]): string {
  return `${gatewayUrl(conn)}/CIRT_${reader.component}_G_GET.v1/${keyValues.map((k) => encodeURIComponent(k)).join('/')}`;
}
