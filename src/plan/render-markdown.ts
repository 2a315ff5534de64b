/**
 * The plan as a pull-request comment: the headline, a warning when records are deactivated or
 * deleted, a small table per mapping, then those deactivations and deletions in a section of
 * their own (open), what is held back or scheduled, and the other records collapsed per mapping
 * in ```diff blocks (GitHub colours `+` green, `-` red, `!` orange). Always under GitHub's
 * comment limit: what does not fit is cut in this order of sacrifice (ordinary record details
 * first, deactivations last), with counts and a link to the full plan.
 */
import { actionsPhrase, asideLine, compactLine, diffLines, headline, plural, problemMessage, scheduledWords, scopeWords, ValueFormat } from './render-words.js';
import type { ActionKind, MappingSummary, PlanHeader, PlanView } from './types.js';

/** GitHub rejects comments over 65,536 characters. */
export const MARKDOWN_LIMIT = 65_536;
/** Room a comment keeps for what wraps the plan (hidden marker, an offline or failure note). */
export const COMMENT_RESERVE = 1_000;

export interface MarkdownOptions {
  mask: boolean;
  /** Most characters of the result (default: GitHub's limit less COMMENT_RESERVE). */
  limit?: number;
  /** Where the full plan is (the workflow run and its plan artifact): linked wherever records are cut, and in the footer. */
  planUrl?: string;
  /** Markdown shown after the table, e.g. the configuration comparison of `plan --base`. */
  preamble?: string;
}

const ORDINARY: readonly ActionKind[] = ['create', 'adopt', 'update', 'reactivate'];
const REMOVALS: readonly ActionKind[] = ['deactivate', 'delete'];
const LIST_LIMIT = 50;

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
/** A line inside a code block must not close it: three backticks in a value are broken up. */
const code = (line: string): string => line.replace(/`{3,}/g, (m) => m.split('').join('\u200b'));
const n = (x: number): string => x.toLocaleString('en-US');

function removalsOf(mp: MappingSummary): number {
  return mp.status === 'planned' ? mp.counts.deactivate + mp.counts.delete : 0;
}

function ordinaryOf(mp: MappingSummary): number {
  return mp.status === 'planned' ? mp.counts.create + mp.counts.adopt + mp.counts.update + mp.counts.reactivate : 0;
}

function cutNote(more: number, what: string, planUrl: string | undefined): string {
  const where = planUrl ? `the [full plan](${planUrl}) (plan artifact) or \`ml-connector show plan.json\`` : '`ml-connector show plan.json` on the saved plan';
  return `… ${plural(more, what)} not shown here (GitHub's comment limit): see ${where}.`;
}

function top(h: PlanHeader): string {
  const out: string[] = ['### ml-connector plan', '', `**${headline(h)}**`];
  const aside = asideLine(h);
  if (aside) out.push('', `Also: ${aside}.`);
  const s = h.summary;
  if (s.deactivate + s.delete > 0) {
    const what = [s.deactivate > 0 ? `${plural(s.deactivate, 'record')} will be deactivated` : '', s.delete > 0 ? `${plural(s.delete, 'record')} deleted` : ''].filter(Boolean).join(' and ');
    out.push('', '> [!WARNING]', `> **${what}.** They are listed under "Deactivations and deletions" below: check each one before merging.`);
  }
  if (h.blocked) out.push('', '> [!CAUTION]', '> **A guard tripped: apply refuses this plan** unless it is applied with `allow_large_change` (`--allow-large-change`), which is audited.');
  out.push('', ...table(h));
  const tripped = h.mappings.flatMap((mp) => mp.guards.filter((g) => g.tripped).map((g) => `- :no_entry: **${mp.name}**: guard \`${g.guard}\` (${g.limit}) tripped: ${cell(g.message)}`));
  if (tripped.length > 0) out.push('', ...tripped);
  for (const mp of h.mappings.filter((m) => m.status === 'failed')) {
    out.push('', `:x: **${mp.name}** could not be planned: ${cell(mp.error?.message ?? 'failed')}${mp.error ? ` (\`${mp.error.code}\`)` : ''}. Nothing of it is applied; the other mappings are.`);
    if (mp.error?.hint) out.push(`${cell(mp.error.hint)}`);
  }
  return out.join('\n') + '\n\n';
}

function table(h: PlanHeader): string[] {
  const optional: Array<['delete' | 'adopt', string]> = [['delete', 'Delete'], ['adopt', 'Adopt']];
  const extra = optional.filter(([k]) => h.summary[k] > 0);
  const head = ['Mapping', 'Zoho module', 'Create', 'Update', 'Deactivate', 'Reactivate', ...extra.map(([, t]) => t), 'Unchanged', 'Compared'];
  const rows = [`| ${head.join(' | ')} |`, `|---|---|${'--:|'.repeat(head.length - 3)}---|`];
  for (const mp of h.mappings) {
    const c = mp.counts;
    if (mp.status === 'failed') {
      rows.push(`| ${cell(mp.name)} | ${mp.module} | ${Array(head.length - 3).fill('–').join(' | ')} | **not planned** |`);
      continue;
    }
    const nums = [c.create, c.update, c.deactivate, c.reactivate, ...extra.map(([k]) => c[k]), c.same].map(n);
    rows.push(`| ${cell(mp.name)} | ${mp.module} | ${nums.join(' | ')} | ${mp.mode === 'incremental' ? 'changes since the last apply' : 'every record'} |`);
  }
  return rows;
}

/** Record blocks of some kinds of one mapping in a ```diff block, as many as fit in `room`. */
async function recordBlock(view: PlanView, mp: MappingSummary, kinds: readonly ActionKind[], total: number, o: MarkdownOptions, room: number, what: string, compact = false): Promise<string> {
  const f = new ValueFormat(view.header, mp, o.mask);
  const open = '```diff\n';
  const close = '```\n';
  const note = cutNote(total, what, o.planUrl).length + 4;
  let body = '';
  let shown = 0;
  for await (const a of view.actions({ mapping: mp.name, kinds })) {
    const block = (compact ? [compactLine(a, f, mp.entity)] : diffLines(a, f, mp.entity)).map(code).join('\n') + '\n';
    if (open.length + body.length + block.length + close.length + note > room) break;
    body += block;
    shown += 1;
  }
  const more = total - shown;
  return (shown > 0 ? open + body + close : '') + (more > 0 ? `\n${cutNote(more, what, o.planUrl)}\n` : '');
}

async function removalsSection(view: PlanView, o: MarkdownOptions, room: number): Promise<string> {
  const h = view.header;
  const total = h.mappings.reduce((x, mp) => x + removalsOf(mp), 0);
  if (total === 0) return '';
  let text = `#### :warning: Deactivations and deletions (${n(total)})\n\nEach of these stops being an active contact or account in Zoho (a deletion cannot be undone).\n\n`;
  const mappings = h.mappings.filter((mp) => removalsOf(mp) > 0);
  for (let i = 0; i < mappings.length; i++) {
    const mp = mappings[i]!;
    const head = `**${mp.name}** → ${mp.module}: ${actionsPhrase({ ...mp.counts, create: 0, update: 0, reactivate: 0, adopt: 0 })}\n\n`;
    const share = Math.floor((room - text.length) / (mappings.length - i));
    text += head + (await recordBlock(view, mp, REMOVALS, removalsOf(mp), o, share - head.length, 'deactivation or deletion', true)) + '\n';
  }
  return text;
}

async function scheduledSection(view: PlanView, room: number): Promise<string> {
  const h = view.header;
  if (h.summary.scheduled === 0) return '';
  let text = `<details><summary>${plural(h.summary.scheduled, 'future-dated change')} scheduled: applied by the run on or after its effective date</summary>\n\n| Mapping | Record | Change | Effective |\n|---|---|---|---|\n`;
  let shown = 0;
  const entities = new Map(h.mappings.map((m) => [m.name, m.entity]));
  for await (const s of view.scheduled()) {
    const row = `| ${cell(s.mapping)} | ${cell(s.externalId)} | ${scheduledWords(s, entities.get(s.mapping))} | ${s.effectiveDate} |\n`;
    if (shown >= LIST_LIMIT || text.length + row.length + 200 > room) break;
    text += row;
    shown += 1;
  }
  if (h.summary.scheduled > shown) text += `\n… ${plural(h.summary.scheduled - shown, 'more')}.\n`;
  return text + '\n</details>\n\n';
}

async function heldSection(view: PlanView, mask: boolean, room: number): Promise<string> {
  const h = view.header;
  const { errors, warnings } = h.summary.problems;
  if (errors + warnings === 0) return '';
  const what = [errors > 0 ? `${plural(errors, 'record')} held back (retried next run)` : '', warnings > 0 ? plural(warnings, 'warning') : ''].filter(Boolean).join(', ');
  let text = `<details><summary>Problems: ${what}</summary>\n\n| | Mapping | Record | Problem |\n|---|---|---|---|\n`;
  let shown = 0;
  for await (const x of view.problems()) {
    const row = `| ${x.severity === 'error' ? 'held back' : 'warning'} | ${cell(x.mapping ?? '')} | ${cell(x.key)}${x.field ? ` ${cell(x.field)}` : ''} | ${cell(problemMessage(x, h, mask))} (\`${x.code}\`) |\n`;
    if (shown >= LIST_LIMIT || text.length + row.length + 200 > room) break;
    text += row;
    shown += 1;
  }
  if (errors + warnings > shown) text += `\n… ${plural(errors + warnings - shown, 'more')}.\n`;
  return text + '\n</details>\n\n';
}

async function detailsSection(view: PlanView, o: MarkdownOptions, room: number): Promise<string> {
  const mappings = view.header.mappings.filter((mp) => ordinaryOf(mp) > 0);
  let text = '';
  for (let i = 0; i < mappings.length; i++) {
    const mp = mappings[i]!;
    const c = mp.counts;
    const head = `<details><summary><b>${mp.name}</b> → ${mp.module}: ${actionsPhrase({ ...c, deactivate: 0, delete: 0 })} (${scopeWords(mp)})</summary>\n\n`;
    const tail = '\n</details>\n\n';
    // What is left is shared fairly among the mappings still to come.
    const share = Math.floor((room - text.length) / (mappings.length - i));
    text += head + (await recordBlock(view, mp, ORDINARY, ordinaryOf(mp), o, share - head.length - tail.length, 'record')) + tail;
  }
  return text;
}

function footer(h: PlanHeader, o: MarkdownOptions): string {
  const meta: string[] = [];
  if (h.gitCommit) meta.push(`configuration at commit \`${h.gitCommit.slice(0, 12)}\`${h.gitDirty ? ' with uncommitted changes' : ''}`);
  meta.push(`planned ${h.createdAt.slice(0, 16).replace('T', ' ')} UTC`);
  if (o.mask) meta.push('personal data masked (`#…` are digests: equal digests mean equal values)');
  if (o.planUrl) meta.push(`[full plan and workflow run](${o.planUrl})`);
  return `<sub>${meta.join(' · ')}</sub>\n`;
}

/** Cut Markdown to `room` characters at a line break, saying so. */
function fitPreamble(text: string, room: number): string {
  const t = text.trim() + '\n\n';
  if (t.length <= room) return t;
  const cut = t.lastIndexOf('\n', Math.max(0, room - 120));
  return `${t.slice(0, Math.max(0, cut))}\n\n… the configuration comparison is cut here (GitHub's comment limit).\n\n`;
}

/**
 * The plan as Markdown, under `limit` characters. Reads the body through the view's streams, one
 * kind of entry at a time, and stops reading a stream once its share is used: a plan of any size
 * renders in the time its first records take.
 */
export async function renderPlanMarkdown(view: PlanView, options: MarkdownOptions): Promise<string> {
  const h = view.header;
  const limit = options.limit ?? MARKDOWN_LIMIT - COMMENT_RESERVE;
  const head = top(h);
  const foot = footer(h, options);
  const notCreated = h.mappings.filter((mp) => mp.notCreated > 0).map((mp) => `- **${mp.name}**: ${plural(mp.notCreated, 'record')} inactive when first seen (they left before the first sync): not created (\`options.createInactive\`).\n`).join('') + (h.mappings.some((mp) => mp.notCreated > 0) ? '\n' : '');
  let room = limit - head.length - foot.length - notCreated.length;
  // The comparison of plan --base may take at most a third; the warning section has first claim on the rest.
  const preamble = options.preamble ? fitPreamble(options.preamble, Math.floor(room / 3)) : '';
  room -= preamble.length;
  const scheduledRoom = h.summary.scheduled > 0 ? Math.min(8_000, Math.floor(room / 8)) : 0;
  const heldRoom = h.summary.problems.errors + h.summary.problems.warnings > 0 ? Math.min(8_000, Math.floor(room / 8)) : 0;
  const removals = await removalsSection(view, options, room - scheduledRoom - heldRoom - 1_000);
  room -= removals.length;
  const held = await heldSection(view, options.mask, Math.min(heldRoom, room));
  room -= held.length;
  const scheduled = await scheduledSection(view, Math.min(scheduledRoom, room));
  room -= scheduled.length;
  const details = await detailsSection(view, options, room);
  return head + preamble + removals + held + scheduled + notCreated + details + foot;
}
