import { isLookupValue, type FieldValue } from '../mapping/index.js';
import { maskValue } from './mask.js';
import type { ActionKind, MappingPlan, Plan, PlanAction } from './types.js';

export type Painter = (style: 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'cyan' | 'gray' | 'bold' | 'dim', text: string) => string;

export interface RenderOptions {
  /** Mask personal data (names, emails, phones). */
  mask: boolean;
  /** Colour, from src/cli/output.ts `paint`; plain text when absent. */
  paint?: Painter;
}

export const SYMBOL: Record<ActionKind, string> = { create: '+', update: '~', deactivate: '-', delete: '-', reactivate: '±' };
const STYLE: Record<ActionKind, 'green' | 'yellow' | 'red' | 'cyan'> = { create: 'green', update: 'yellow', deactivate: 'red', delete: 'red', reactivate: 'cyan' };

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

/** `create (hire)`, `deactivate (removed from source)`, ... */
export function describeAction(a: PlanAction): string {
  const why = a.event ?? (a.cause === 'removed' ? 'removed from source' : a.cause === 'out-of-scope' ? 'left source.include' : a.cause === 'drift' ? 'drift' : undefined);
  return why === undefined ? a.action : `${a.action} (${why})`;
}

/** "Plan: 2 to create, 5 to update, 1 to deactivate, 347 unchanged; 3 API calls" */
export function summaryLine(plan: Plan): string {
  const s = plan.summary;
  const parts = [`${s.create} to create`, `${s.update} to update`, `${s.deactivate} to deactivate`];
  if (s.reactivate > 0) parts.push(`${s.reactivate} to reactivate`);
  if (s.delete > 0) parts.push(`${s.delete} to delete`);
  parts.push(`${s.same} unchanged`);
  return `Plan: ${parts.join(', ')}; ${s.calls} API call${s.calls === 1 ? '' : 's'}`;
}

/** `1 credit`, `37 credits`. */
export function creditsText(n: number): string {
  return `${n} credit${n === 1 ? '' : 's'}`;
}

function renderAction(a: PlanAction, o: RenderOptions, p: Painter): string[] {
  const lines = [`  ${p(STYLE[a.action], SYMBOL[a.action])} ${p('bold', a.externalId)}  ${describeAction(a)}${a.zohoId ? p('gray', `  zoho ${a.zohoId}`) : ''}`];
  for (const c of a.changes) {
    const drift = c.drift ? p('magenta', '  (drift: changed in Zoho, overwritten)') : '';
    lines.push(a.action === 'create'
      ? `      ${c.field}: ${formatValue(c.field, c.after, o.mask)}`
      : `      ${c.field}: ${formatValue(c.field, c.before, o.mask)} → ${formatValue(c.field, c.after, o.mask)}${drift}`);
  }
  for (const d of a.drift ?? []) {
    lines.push(p('magenta', `      ${d.field}: drift kept (${d.policy}): Zoho has ${formatValue(d.field, d.zoho, o.mask)}, last applied ${formatValue(d.field, d.applied, o.mask)}`));
  }
  return lines;
}

function renderMapping(mp: MappingPlan, o: RenderOptions, p: Painter): string[] {
  const lines = [p('bold', `${mp.name} → ${mp.module}`) + p('gray', `  (${mp.mode}: ${mp.reason})`)];
  for (const a of mp.actions) lines.push(...renderAction(a, o, p));
  // Incremental: the count covers only the records read this time, which a reader would otherwise
  // take for the whole module ("3 unchanged" of 150 contacts).
  const scope = mp.mode === 'incremental' ? ' (incremental: only records changed since the last apply were compared)' : '';
  lines.push(p('gray', `  ${mp.counts.same} unchanged${scope}`));
  for (const g of mp.guards.filter((x) => x.tripped)) lines.push(p('red', `  guard ${g.guard} (${g.limit}) tripped: ${g.message}`));
  return lines;
}

/** The plan for a terminal: grouped by mapping, `+ ~ - ±` per record, then the summary line. */
export function renderPlanText(plan: Plan, options: RenderOptions): string {
  const p: Painter = options.paint ?? ((_s, t) => t);
  const lines: string[] = [];
  for (const mp of plan.mappings) lines.push(...renderMapping(mp, options, p), '');
  const errors = plan.problems.filter((x) => x.severity === 'error');
  const warnings = plan.problems.length - errors.length;
  if (plan.problems.length > 0) {
    lines.push(p('yellow', `Problems: ${errors.length} record${errors.length === 1 ? '' : 's'} left out, ${warnings} warning${warnings === 1 ? '' : 's'}`));
    for (const x of plan.problems.slice(0, 20)) {
      lines.push(`  ${x.severity === 'error' ? p('red', 'error') : p('yellow', 'warn ')} ${x.mapping ?? ''} ${x.key}${x.field ? ` ${x.field}` : ''}: ${x.message} ${p('gray', `[${x.code}]`)}`);
    }
    if (plan.problems.length > 20) lines.push(`  … ${plan.problems.length - 20} more (see --json)`);
    lines.push('');
  }
  if (plan.blocked) lines.push(p('red', 'A guard tripped: apply will refuse this plan unless --allow-large-change is given.'));
  else if (plan.allowLargeChange && plan.mappings.some((m) => m.guards.some((g) => g.tripped))) lines.push(p('yellow', 'A guard tripped; --allow-large-change overrides it (recorded in the audit trail).'));
  lines.push(p('bold', summaryLine(plan)) + p('gray', ` (${creditsText(plan.summary.credits)})`));
  return lines.join('\n') + '\n';
}
