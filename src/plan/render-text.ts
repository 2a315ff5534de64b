/**
 * The plan for a terminal, streamed: the headline, then per mapping its records and what it
 * leaves for later, then the deactivations and deletions on their own under a warning, problems,
 * and a last line with the totals and the cost (the line a terminal leaves on screen).
 */
import { actionsPhrase, asideLine, headline, plainPainter, plural, problemMessage, scheduledWords, scopeWords, textLines, ValueFormat, type Painter } from './render-words.js';
import type { ActionKind, MappingSummary, PlanHeader, PlanView } from './types.js';

export interface RenderOptions {
  /** Mask personal data (the fields each mapping declares personal). */
  mask: boolean;
  /** Colour, from src/cli/output.ts `paint`; plain text when absent. */
  paint?: Painter;
}

const ORDINARY: readonly ActionKind[] = ['create', 'adopt', 'update', 'reactivate'];
const REMOVALS: readonly ActionKind[] = ['deactivate', 'delete'];
/** Scheduled changes and problems listed per plan; the rest are counted (`--json` or `show --json` has them all). */
const LIST_LIMIT = 50;

/** "Plan: 2 to create, 1 to deactivate, 147 unchanged; 3 API calls (7 credits)". */
export function summaryLine(header: PlanHeader): string {
  const s = header.summary;
  const actions = actionsPhrase(s);
  return `Plan: ${actions === 'no changes' ? '' : `${actions}, `}${s.same.toLocaleString('en-US')} unchanged; ${plural(s.calls, 'API call')} (${plural(s.credits, 'credit')})`;
}

function mappingHead(mp: MappingSummary, p: Painter): string {
  const c = mp.counts;
  const actions = actionsPhrase(c);
  const what = mp.status === 'failed' ? 'not planned' : `${actions === 'no changes' ? '' : `${actions}, `}${c.same.toLocaleString('en-US')} unchanged`;
  return `${p('bold', `${mp.name} → ${mp.module}`)}: ${what}\n${mp.status === 'failed' ? '' : p('gray', `  ${scopeWords(mp)}`) + '\n'}`;
}

async function* chunked(lines: AsyncIterable<string>): AsyncGenerator<string> {
  let chunk = '';
  for await (const line of lines) {
    chunk += line;
    if (chunk.length > 64 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

async function* recordLines(view: PlanView, mp: MappingSummary, kinds: readonly ActionKind[], o: RenderOptions, p: Painter): AsyncGenerator<string> {
  const f = new ValueFormat(view.header, mp, o.mask);
  for await (const a of view.actions({ mapping: mp.name, kinds })) yield textLines(a, f, mp.entity, p).join('\n') + '\n';
}

async function* mappingSection(view: PlanView, mp: MappingSummary, o: RenderOptions, p: Painter): AsyncGenerator<string> {
  yield mappingHead(mp, p);
  if (mp.status === 'failed') {
    yield p('red', `  ${mp.error?.message ?? 'failed'}${mp.error ? ` [${mp.error.code}]` : ''}`) + '\n';
    if (mp.error?.hint) yield `  ${mp.error.hint}\n`;
    yield '  Nothing of this mapping is applied; the other mappings are.\n\n';
    return;
  }
  yield* chunked(recordLines(view, mp, ORDINARY, o, p));
  const removals = mp.counts.deactivate + mp.counts.delete;
  if (removals > 0) yield p('red', `  ${plural(removals, 'deactivation or deletion', 'deactivations and deletions')}: listed below`) + '\n';
  if (mp.scheduled > 0) {
    yield p('gray', '  scheduled, applied once effective:') + '\n';
    let shown = 0;
    for await (const s of view.scheduled({ mapping: mp.name })) {
      if (shown++ >= LIST_LIMIT) break;
      yield `    ${s.externalId}  ${scheduledWords(s, mp.entity)}, effective ${s.effectiveDate}\n`;
    }
    if (mp.scheduled > LIST_LIMIT) yield `    … ${plural(mp.scheduled - LIST_LIMIT, 'more')}\n`;
  }
  if (mp.held > 0) yield p('yellow', `  ${plural(mp.held, 'record')} held back by a problem (listed under Problems), retried next run`) + '\n';
  if (mp.notCreated > 0) yield p('gray', `  ${plural(mp.notCreated, 'record')} inactive when first seen: not created (options.createInactive)`) + '\n';
  for (const g of mp.guards.filter((x) => x.tripped)) yield p('red', `  guard ${g.guard} (${g.limit}) tripped: ${g.message}`) + '\n';
  yield '\n';
}

/**
 * The plan as text chunks. Reads the body a mapping at a time, by kind of entry, never holding
 * it: a plan of any size streams to a pipe.
 */
export async function* renderPlanText(view: PlanView, options: RenderOptions): AsyncGenerator<string> {
  const p: Painter = options.paint ?? plainPainter;
  const h = view.header;
  yield p('bold', `Plan: ${headline(h)}`) + '\n';
  const aside = asideLine(h);
  if (aside) yield p('yellow', `      also: ${aside}`) + '\n';
  yield '\n';
  for (const mp of h.mappings) yield* mappingSection(view, mp, options, p);

  const removals = h.summary.deactivate + h.summary.delete;
  if (removals > 0) {
    yield p('red', p('bold', `Deactivations and deletions: ${removals.toLocaleString('en-US')}`)) + '\n';
    yield p('red', '  Check each one: these people or vendors stop being active in Zoho (deletions are gone for good).') + '\n';
    for (const mp of h.mappings) {
      if (mp.status !== 'planned' || mp.counts.deactivate + mp.counts.delete === 0) continue;
      yield p('gray', `  ${mp.name} → ${mp.module}`) + '\n';
      yield* chunked(recordLines(view, mp, REMOVALS, options, p));
    }
    yield '\n';
  }

  const { errors, warnings } = h.summary.problems;
  if (errors + warnings > 0) {
    yield p('yellow', `Problems: ${plural(errors, 'error')} (those records are left out and retried next run), ${plural(warnings, 'warning')}`) + '\n';
    let shown = 0;
    for await (const x of view.problems()) {
      if (shown++ >= LIST_LIMIT) break;
      yield `  ${x.severity === 'error' ? p('red', 'error') : p('yellow', 'warn ')} ${x.mapping ?? ''} ${x.key}${x.field ? ` ${x.field}` : ''}: ${problemMessage(x, h, options.mask)} ${p('gray', `[${x.code}]`)}\n`;
    }
    if (errors + warnings > LIST_LIMIT) yield `  … ${plural(errors + warnings - LIST_LIMIT, 'more')} (ml-connector show PLAN.json --json lists them all)\n`;
    yield '\n';
  }
  if (h.blocked) yield p('red', 'A guard tripped: apply will refuse this plan unless --allow-large-change is given.') + '\n';
  else if (h.allowLargeChange && h.mappings.some((m) => m.guards.some((g) => g.tripped))) yield p('yellow', 'A guard tripped; --allow-large-change overrides it (recorded in the audit trail).') + '\n';
  yield p('bold', summaryLine(h)) + (options.mask ? p('gray', '; personal data masked') : '') + '\n';
}

/** The whole text at once (tests, small plans). */
export async function renderPlanTextString(view: PlanView, options: RenderOptions): Promise<string> {
  let out = '';
  for await (const chunk of renderPlanText(view, options)) out += chunk;
  return out;
}

export type { Painter };
