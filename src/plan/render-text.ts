import { isLookupValue, type FieldValue } from '../mapping/index.js';
import { maskValue } from './mask.js';
import type { ActionKind, MappingSummary, PlanAction, PlanHeader, PlanView } from './types.js';

export type Painter = (style: 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'cyan' | 'gray' | 'bold' | 'dim', text: string) => string;

export interface RenderOptions {
  /** Mask personal data (the fields each mapping declares personal). */
  mask: boolean;
  /** Colour, from src/cli/output.ts `paint`; plain text when absent. */
  paint?: Painter;
}

export const SYMBOL: Record<ActionKind, string> = { create: '+', adopt: '=', update: '~', deactivate: '-', delete: '-', reactivate: '±' };
const STYLE: Record<ActionKind, 'green' | 'yellow' | 'red' | 'cyan' | 'blue'> = { create: 'green', adopt: 'blue', update: 'yellow', deactivate: 'red', delete: 'red', reactivate: 'cyan' };

/** A value for people: quoted text, `(empty)`, or a lookup by its external id. */
export function formatValue(field: string, value: FieldValue, mask: boolean): string {
  if (value === null || value === '') return '(empty)';
  if (isLookupValue(value)) {
    if (value.lookup === '') return value.name !== undefined ? `${JSON.stringify(mask ? maskValue(field, value.name) : value.name)} (id ${value.id ?? '?'})` : `id ${value.id ?? '?'}`;
    return `${value.lookup} ${value.key}${value.id === undefined ? ' (created by this plan)' : ''}`;
  }
  const shown = mask ? maskValue(field, value) : value;
  return typeof shown === 'string' ? JSON.stringify(shown) : String(shown);
}

/** `create (hire)`, `deactivate (removed from source)`, `adopt (matched by Email)`, ... */
export function describeAction(a: PlanAction): string {
  if (a.action === 'adopt') return `adopt (${a.match?.rule === 'explicit' ? 'paired by hand' : `matched by ${a.match?.rule ?? '?'}`})`;
  const why = a.event ?? (a.cause === 'removed' ? 'removed from source' : a.cause === 'out-of-scope' ? 'left source.include' : a.cause === 'drift' ? 'drift' : a.cause === 'mapping' ? 'mapping change' : undefined);
  return why === undefined ? a.action : `${a.action} (${why})`;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** "Plan: 2 to create, 5 to update, 1 to deactivate, 347 unchanged; 3 API calls" */
export function summaryLine(header: PlanHeader): string {
  const s = header.summary;
  const parts = [`${s.create} to create`];
  if (s.adopt > 0) parts.push(`${s.adopt} to adopt`);
  parts.push(`${s.update} to update`, `${s.deactivate} to deactivate`);
  if (s.reactivate > 0) parts.push(`${s.reactivate} to reactivate`);
  if (s.delete > 0) parts.push(`${s.delete} to delete`);
  parts.push(`${s.same} unchanged`);
  return `Plan: ${parts.join(', ')}; ${plural(s.calls, 'API call')}`;
}

/** `1 credit`, `37 credits`. */
export function creditsText(n: number): string {
  return plural(n, 'credit');
}

export function actionLines(a: PlanAction, mask: boolean, p: Painter = (_s, t) => t, personal?: ReadonlySet<string>): string[] {
  const masked = (field: string): boolean => mask && (personal === undefined || personal.has(field));
  const lines = [`  ${p(STYLE[a.action], SYMBOL[a.action])} ${p('bold', a.externalId)}  ${describeAction(a)}${a.zohoId ? p('gray', `  zoho ${a.zohoId}`) : ''}`];
  for (const c of a.changes) {
    const drift = c.drift ? p('magenta', '  (drift: changed in Zoho, overwritten)') : '';
    lines.push(a.action === 'create'
      ? `      ${c.field}: ${formatValue(c.field, c.after, masked(c.field))}`
      : `      ${c.field}: ${formatValue(c.field, c.before, masked(c.field))} → ${formatValue(c.field, c.after, masked(c.field))}${drift}`);
  }
  for (const d of a.drift ?? []) {
    lines.push(p('magenta', `      ${d.field}: drift kept (${d.policy}): Zoho has ${formatValue(d.field, d.zoho, masked(d.field))}, last applied ${formatValue(d.field, d.applied, masked(d.field))}`));
  }
  return lines;
}

function mappingHead(mp: MappingSummary, p: Painter): string {
  return p('bold', `${mp.name} → ${mp.module}`) + p('gray', `  (${mp.mode}: ${mp.reason})`);
}

/**
 * The plan for a terminal, as a stream of text chunks: per mapping its records (`+ = ~ - ±`),
 * scheduled changes and counts, then problems and the summary line. Reads the body once per
 * mapping, never holding it.
 */
export async function* renderPlanText(view: PlanView, options: RenderOptions): AsyncGenerator<string> {
  const p: Painter = options.paint ?? ((_s, t) => t);
  const h = view.header;
  for (const mp of h.mappings) {
    yield mappingHead(mp, p) + '\n';
    if (mp.status === 'failed') {
      yield p('red', `  not planned: ${mp.error?.message ?? 'failed'}${mp.error ? ` [${mp.error.code}]` : ''}`) + '\n';
      if (mp.error?.hint) yield `  ${mp.error.hint}\n`;
      yield '\n';
      continue;
    }
    const personal = new Set(mp.personalFields);
    let chunk = '';
    for await (const a of view.actions({ mapping: mp.name })) {
      chunk += actionLines(a, options.mask, p, personal).join('\n') + '\n';
      if (chunk.length > 64 * 1024) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
    if (mp.scheduled > 0) {
      yield p('gray', `  scheduled (held until effective):`) + '\n';
      let shown = 0;
      for await (const s of view.scheduled({ mapping: mp.name })) {
        if (shown++ >= 50) break;
        yield `    ${s.event ?? s.action} ${s.externalId}, effective ${s.effectiveDate}\n`;
      }
      if (mp.scheduled > 50) yield `    … ${mp.scheduled - 50} more\n`;
    }
    const scope = mp.mode === 'incremental' ? ' (incremental: only records changed since the last apply were compared)' : '';
    yield p('gray', `  ${mp.counts.same} unchanged${scope}`) + '\n';
    if (mp.notCreated > 0) yield p('gray', `  ${plural(mp.notCreated, 'record')} inactive when first seen, not created`) + '\n';
    for (const g of mp.guards.filter((x) => x.tripped)) yield p('red', `  guard ${g.guard} (${g.limit}) tripped: ${g.message}`) + '\n';
    yield '\n';
  }
  const { errors, warnings } = h.summary.problems;
  if (errors + warnings > 0) {
    yield p('yellow', `Problems: ${plural(errors, 'record')} left out, ${plural(warnings, 'warning')}`) + '\n';
    let shown = 0;
    for await (const x of view.problems()) {
      if (shown++ >= 20) break;
      yield `  ${x.severity === 'error' ? p('red', 'error') : p('yellow', 'warn ')} ${x.mapping ?? ''} ${x.key}${x.field ? ` ${x.field}` : ''}: ${x.message} ${p('gray', `[${x.code}]`)}\n`;
    }
    if (errors + warnings > 20) yield `  … ${errors + warnings - 20} more (see --json)\n`;
    yield '\n';
  }
  if (h.blocked) yield p('red', 'A guard tripped: apply will refuse this plan unless --allow-large-change is given.') + '\n';
  else if (h.allowLargeChange && h.mappings.some((m) => m.guards.some((g) => g.tripped))) yield p('yellow', 'A guard tripped; --allow-large-change overrides it (recorded in the audit trail).') + '\n';
  yield p('bold', summaryLine(h)) + p('gray', ` (${creditsText(h.summary.credits)})`) + '\n';
}

/** The whole text at once (tests, small plans). */
export async function renderPlanTextString(view: PlanView, options: RenderOptions): Promise<string> {
  let out = '';
  for await (const chunk of renderPlanText(view, options)) out += chunk;
  return out;
}
