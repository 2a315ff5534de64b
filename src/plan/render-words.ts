/**
 * The words and lines both renderers share: the headline, what each action and cause is called,
 * how a value is shown (masked or not), and one record's lines. docs/plan-format.md explains
 * every word used here; keep the two in step.
 */
import { isLookupValue } from '../mapping/index.js';
import type { LifecycleEvent } from '../model/index.js';
import { fallbackMaskKey, isMaskedValue, maskDigest, type PlanValue } from './mask.js';
import type { ActionCause, ActionKind, MappingSummary, PlanAction, PlanHeader, ScheduledChange } from './types.js';

export type Painter = (style: 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'cyan' | 'gray' | 'bold' | 'dim', text: string) => string;
export const plainPainter: Painter = (_s, t) => t;

export const plural = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

const EVENT_WORDS: Record<LifecycleEvent, [string, string]> = {
  hire: ['hire', 'hires'],
  rehire: ['rehire', 'rehires'],
  termination: ['termination', 'terminations'],
  transfer: ['transfer', 'transfers'],
  leave: ['leave of absence', 'leaves of absence'],
  return: ['return from leave', 'returns from leave'],
  retirement: ['retirement', 'retirements'],
  'data-change': ['job data change', 'job data changes'],
};
const EVENT_ORDER: readonly LifecycleEvent[] = ['hire', 'rehire', 'termination', 'retirement', 'transfer', 'leave', 'return', 'data-change'];

/** `hire`, `leave of absence`, `job data change`: an event as a reviewer says it. */
export function eventWord(e: LifecycleEvent): string {
  return EVENT_WORDS[e]?.[0] ?? e;
}

/** Why a record without a lifecycle event is in the plan, in a few words. */
export function causeWord(cause: ActionCause, entity?: MappingSummary['entity']): string {
  switch (cause) {
    case 'source': return entity === 'vendors' ? 'vendor change' : 'changed in PeopleSoft';
    case 'mapping': return 'mapping change';
    case 'drift': return 'edited in Zoho';
    case 'removed': return 'gone from PeopleSoft';
    case 'out-of-scope': return 'left the mapping\'s scope';
  }
}

export const ACTION_ORDER: readonly ActionKind[] = ['create', 'update', 'deactivate', 'reactivate', 'delete', 'adopt'];

/** "2 to create, 1 to deactivate" (kinds with nothing to do are left out), or "no changes". */
export function actionsPhrase(c: Record<ActionKind, number>): string {
  const parts = ACTION_ORDER.filter((k) => c[k] > 0).map((k) => `${c[k].toLocaleString('en-US')} to ${k}`);
  return parts.length > 0 ? parts.join(', ') : 'no changes';
}

/**
 * What happened, counted over the mappings: HR events first, then the other reasons records
 * change ("1 vendor change", "118 by the mapping change", "2 edited in Zoho").
 */
export function reasonsPhrase(mappings: readonly MappingSummary[]): string {
  const sum: Record<string, number> = {};
  const add = (k: string, v: number | undefined): void => { if (v) sum[k] = (sum[k] ?? 0) + v; };
  for (const mp of mappings) {
    const r = mp.reasons ?? {};
    for (const e of EVENT_ORDER) add(e, r[e]);
    const vendors = mp.entity === 'vendors';
    add(vendors ? 'new-vendor' : 'new', r.new);
    add(vendors ? 'vendor' : 'source', r.source);
    for (const k of ['mapping', 'drift', 'removed', 'out-of-scope'] as const) add(k, r[k]);
  }
  const parts: string[] = [];
  for (const e of EVENT_ORDER) if (sum[e]) parts.push(plural(sum[e], EVENT_WORDS[e][0], EVENT_WORDS[e][1]));
  const words: Array<[string, (x: number) => string]> = [
    ['vendor', (x) => plural(x, 'vendor change')],
    ['source', (x) => plural(x, 'other PeopleSoft change')],
    ['new-vendor', (x) => `${plural(x, 'vendor')} not yet in Zoho`],
    ['new', (x) => `${plural(x, 'person', 'people')} not yet in Zoho`],
    ['mapping', (x) => `${x.toLocaleString('en-US')} by the mapping change`],
    ['drift', (x) => `${x.toLocaleString('en-US')} edited in Zoho`],
    ['removed', (x) => `${x.toLocaleString('en-US')} gone from PeopleSoft`],
    ['out-of-scope', (x) => `${x.toLocaleString('en-US')} out of scope`],
  ];
  for (const [k, word] of words) if (sum[k]) parts.push(word(sum[k]!));
  return parts.join(', ');
}

/** "2 hires, 1 termination, 1 vendor change → 2 to create, 1 to update, 1 to deactivate". */
export function headline(header: PlanHeader): string {
  const s = header.summary;
  if (s.changes === 0) return 'No changes: Zoho already matches PeopleSoft';
  const why = reasonsPhrase(header.mappings);
  const what = actionsPhrase(s);
  return why ? `${why} → ${what}` : what;
}

/** What the plan leaves for later, in one sentence (or empty): held records, scheduled changes, not created, not planned. */
export function asideLine(header: PlanHeader): string {
  const s = header.summary;
  const notCreated = header.mappings.reduce((n, m) => n + m.notCreated, 0);
  const failed = header.mappings.filter((m) => m.status === 'failed').length;
  const parts: string[] = [];
  if (failed > 0) parts.push(`${plural(failed, 'mapping')} could not be planned`);
  if (s.held > 0) parts.push(`${plural(s.held, 'record')} held back by a problem`);
  if (s.scheduled > 0) parts.push(`${plural(s.scheduled, 'future-dated change')} scheduled`);
  if (notCreated > 0) parts.push(`${plural(notCreated, 'record')} not created (inactive when first seen)`);
  return parts.join(', ');
}

/** "compared every record (the mapping changed since the last apply)" or "compared the records changed since the last apply". */
export function scopeWords(mp: MappingSummary): string {
  if (mp.mode === 'incremental') return 'compared the records changed in PeopleSoft or Zoho since the last apply';
  return `compared every record (${mp.reason === '--full' ? 'asked for with --full' : mp.reason})`;
}

/** `create (hire)`, `deactivate (gone from PeopleSoft)`, `adopt (matched by Email)`, ... */
export function describeAction(a: PlanAction, entity?: MappingSummary['entity']): string {
  if (a.action === 'adopt') return `adopt (${a.match?.rule === 'explicit' ? 'paired by hand' : `existing Zoho record matched by ${a.match?.rule ?? '?'}`})`;
  if (a.event !== undefined) return `${a.action} (${eventWord(a.event)})`;
  if (a.action === 'create') return entity === 'vendors' ? 'create (new vendor)' : 'create (new in PeopleSoft)';
  return `${a.action} (${causeWord(a.cause, entity)})`;
}

/** How values of one mapping are shown: masked personal fields as keyed digests. */
export class ValueFormat {
  private readonly personal: ReadonlySet<string>;
  private readonly key: string;

  constructor(header: PlanHeader, mp: Pick<MappingSummary, 'personalFields'>, readonly mask: boolean) {
    this.personal = new Set(mp.personalFields);
    this.key = header.maskKey ?? fallbackMaskKey(header);
  }

  isMasked(field: string): boolean {
    return this.mask && this.personal.has(field);
  }

  /** A value for people: quoted text, `(empty)`, a lookup by its external id, or `(masked #3fa9c1d2)`. */
  value(field: string, v: PlanValue): string {
    if (v === null || v === '') return '(empty)';
    if (isMaskedValue(v)) return `(masked #${v.masked})`;
    const masked = this.isMasked(field);
    if (isLookupValue(v)) {
      if (v.lookup === '') return v.name !== undefined && !masked ? `${JSON.stringify(v.name)} (id ${v.id ?? '?'})` : `id ${v.id ?? '?'}`;
      return `${v.lookup} ${v.key}${v.id === undefined ? ' (created by this plan)' : ''}`;
    }
    if (masked) return `(masked #${maskDigest(this.key, v)})`;
    return typeof v === 'string' ? JSON.stringify(v) : String(v);
  }

  /** `before → after`; two masked values with one digest (once in 4 billion) still read as a change. */
  change(field: string, before: PlanValue, after: PlanValue): [string, string] {
    const b = this.value(field, before);
    const a = this.value(field, after);
    return [b, a === b && b.startsWith('(masked') ? '(masked, a different value)' : a];
  }
}

export const SYMBOL: Record<ActionKind, string> = { create: '+', adopt: '=', update: '~', deactivate: '-', delete: '-', reactivate: '±' };
const STYLE: Record<ActionKind, 'green' | 'yellow' | 'red' | 'cyan' | 'blue'> = { create: 'green', adopt: 'blue', update: 'yellow', deactivate: 'red', delete: 'red', reactivate: 'cyan' };
/** GitHub colours a ```diff block's lines by their first character: `+` green, `-` red, `!` orange. */
const DIFF_MARK: Record<ActionKind, string> = { create: '+', adopt: '!', update: '!', deactivate: '-', delete: '-', reactivate: '+' };

const DRIFT_NOTE = '(edited in Zoho since the last apply; put back)';

/** One record for a terminal: its head line, then a line per field (`before → after`). */
export function textLines(a: PlanAction, f: ValueFormat, entity: MappingSummary['entity'], p: Painter = plainPainter): string[] {
  const lines = [`  ${p(STYLE[a.action], SYMBOL[a.action])} ${p('bold', a.externalId)}  ${describeAction(a, entity)}${a.zohoId ? p('gray', `  zoho ${a.zohoId}`) : ''}`];
  if (a.action === 'delete') lines.push('      the Zoho record is deleted');
  for (const c of a.changes) {
    if (a.action === 'create') {
      lines.push(`      ${c.field}: ${f.value(c.field, c.after)}`);
      continue;
    }
    const [b, af] = f.change(c.field, c.before, c.after);
    lines.push(`      ${c.field}: ${b} → ${af}${c.drift ? p('magenta', `  ${DRIFT_NOTE}`) : ''}`);
  }
  for (const d of a.drift ?? []) {
    lines.push(p('magenta', `      ${d.field}: edited in Zoho, left as is (${d.policy}): Zoho has ${f.value(d.field, d.zoho)}, last applied ${f.value(d.field, d.applied)}`));
  }
  return lines;
}

/** One record for a ```diff block: `+`/`-`/`!` head line, old values `-`, new values `+`. */
export function diffLines(a: PlanAction, f: ValueFormat, entity: MappingSummary['entity']): string[] {
  const lines = [`${DIFF_MARK[a.action]} ${a.externalId}  ${describeAction(a, entity)}`];
  if (a.action === 'delete') lines.push('-     the Zoho record is deleted');
  for (const c of a.changes) {
    if (a.action === 'create') {
      lines.push(`+     ${c.field}: ${f.value(c.field, c.after)}`);
      continue;
    }
    const [b, af] = f.change(c.field, c.before, c.after);
    lines.push(`-     ${c.field}: ${b}`, `+     ${c.field}: ${af}${c.drift ? `  ${DRIFT_NOTE}` : ''}`);
  }
  for (const d of a.drift ?? []) lines.push(`#     ${d.field}: edited in Zoho, left as is (${d.policy})`);
  return lines;
}

/** One record on one line (deactivations and deletions, so that as many as possible fit a comment). */
export function compactLine(a: PlanAction, f: ValueFormat, entity: MappingSummary['entity']): string {
  const fields = a.changes.map((c) => {
    const [b, af] = f.change(c.field, c.before, c.after);
    return `${c.field}: ${b} → ${af}`;
  });
  return `${DIFF_MARK[a.action]} ${a.externalId}  ${describeAction(a, entity)}${fields.length > 0 ? `  ${fields.join(', ')}` : ''}`;
}

/**
 * A problem's message as a plan shows it: a problem about a personal field may quote the value
 * (`"555-01x" is not a phone number`); masked, the quoted parts are left out.
 */
export function problemMessage(p: { field?: string; message: string; mapping?: string }, header: PlanHeader, mask: boolean): string {
  if (!mask || p.field === undefined) return p.message;
  const personal = header.mappings.find((m) => m.name === p.mapping)?.personalFields ?? [];
  return personal.includes(p.field) ? p.message.replace(/"[^"]*"/g, '(masked)') : p.message;
}

/** A scheduled change in words: `termination (deactivate)`, `vendor change (update)`, `hire (create)`. */
export function scheduledWords(s: ScheduledChange, entity: MappingSummary['entity']): string {
  const what = s.event === undefined ? undefined : entity === 'vendors' && s.event === 'data-change' ? 'vendor change' : eventWord(s.event);
  return what ? `${what} (${s.action})` : s.action;
}
