import { actionLines, creditsText, summaryLine } from './render-text.js';
import type { MappingSummary, PlanView } from './types.js';

/** GitHub rejects comments over 65,536 characters; keep a margin for the footer. */
export const MARKDOWN_LIMIT = 65_536;
const BUDGET = MARKDOWN_LIMIT - 2_000;

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const changesOf = (mp: MappingSummary): number => mp.counts.create + mp.counts.adopt + mp.counts.update + mp.counts.deactivate + mp.counts.reactivate + mp.counts.delete;

async function mappingSection(view: PlanView, mp: MappingSummary, mask: boolean, budget: number): Promise<string> {
  const total = changesOf(mp);
  const head = `<details><summary><b>${mp.name}</b> → ${mp.module}: ${total} change${total === 1 ? '' : 's'}, ${mp.counts.same} unchanged</summary>\n\n`;
  const tail = '```\n\n</details>\n';
  let body = '```diff\n';
  let shown = 0;
  const personal = new Set(mp.personalFields);
  for await (const a of view.actions({ mapping: mp.name })) {
    const block = actionLines(a, mask, undefined, personal).map((l) => l.replace(/^ {2}/, '')).join('\n') + '\n';
    if (head.length + body.length + block.length + tail.length + 200 > budget) break;
    body += block;
    shown += 1;
  }
  const more = total - shown;
  if (more > 0) body += `… ${more} more record${more === 1 ? '' : 's'} not shown (the comment limit); see the plan artifact\n`;
  return head + body + tail;
}

/**
 * The plan as a pull-request comment: a summary table, tripped guards, one collapsible section per
 * mapping, always under GitHub's comment limit (records are cut, with counts, when it is long).
 */
export async function renderPlanMarkdown(view: PlanView, options: { mask: boolean }): Promise<string> {
  const plan = view.header;
  const out: string[] = ['### ml-connector plan', ''];
  out.push('| Mapping | Module | Mode | Create | Adopt | Update | Deactivate | Reactivate | Delete | Unchanged |');
  out.push('|---|---|---|--:|--:|--:|--:|--:|--:|--:|');
  for (const mp of plan.mappings) {
    const c = mp.counts;
    out.push(`| ${cell(mp.name)} | ${mp.module} | ${mp.status === 'failed' ? 'failed' : mp.mode} | ${c.create} | ${c.adopt} | ${c.update} | ${c.deactivate} | ${c.reactivate} | ${c.delete} | ${c.same} |`);
  }
  out.push('', `**${summaryLine(plan)}** (${creditsText(plan.summary.credits)})`, '');
  const tripped = plan.mappings.flatMap((mp) => mp.guards.filter((g) => g.tripped).map((g) => `- :no_entry: **${mp.name}** guard \`${g.guard}\` (${g.limit}): ${cell(g.message)}`));
  if (tripped.length > 0) {
    out.push(plan.blocked ? '**A guard tripped: apply will refuse this plan unless `--allow-large-change` is given.**' : 'A guard tripped; `--allow-large-change` overrides it.', '', ...tripped, '');
  }
  for (const mp of plan.mappings.filter((m) => m.status === 'failed')) out.push(`- :x: **${mp.name}** could not be planned: ${cell(mp.error?.message ?? 'failed')}`, '');
  const { errors, warnings } = plan.summary.problems;
  if (errors + warnings > 0) out.push(`${errors} record(s) left out because of problems, ${warnings} warning(s).`, '');
  let text = out.join('\n') + '\n';
  const changed = plan.mappings.filter((mp) => changesOf(mp) > 0);
  for (let i = 0; i < changed.length; i++) {
    // Share what is left of the budget fairly among the mappings still to come.
    const budget = Math.floor((BUDGET - text.length) / (changed.length - i));
    text += (await mappingSection(view, changed[i]!, options.mask, budget)) + '\n';
  }
  const meta = [`config \`${plan.configDigest.slice(0, 19)}\``];
  if (plan.gitCommit) meta.push(`commit \`${plan.gitCommit.slice(0, 12)}\`${plan.gitDirty ? ' + uncommitted changes' : ''}`);
  if (options.mask) meta.push('personal data masked');
  text += `<sub>${meta.join(' · ')}</sub>\n`;
  return text;
}
