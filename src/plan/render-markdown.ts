import { creditsText, describeAction, formatValue, summaryLine, SYMBOL } from './render-text.js';
import type { MappingPlan, Plan, PlanAction } from './types.js';

/** GitHub rejects comments over 65,536 characters; keep a margin for the footer. */
export const MARKDOWN_LIMIT = 65_536;
const BUDGET = MARKDOWN_LIMIT - 2_000;

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function actionLines(a: PlanAction, mask: boolean): string[] {
  const lines = [`${SYMBOL[a.action]} ${a.externalId}  ${describeAction(a)}`];
  for (const c of a.changes) {
    lines.push(a.action === 'create'
      ? `    ${c.field}: ${formatValue(c.field, c.after, mask)}`
      : `    ${c.field}: ${formatValue(c.field, c.before, mask)} → ${formatValue(c.field, c.after, mask)}${c.drift ? '  (drift)' : ''}`);
  }
  for (const d of a.drift ?? []) lines.push(`    ${d.field}: drift kept (${d.policy})`);
  return lines;
}

function mappingSection(mp: MappingPlan, mask: boolean, budget: number): { text: string; shown: number } {
  const head = `<details><summary><b>${mp.name}</b> → ${mp.module}: ${mp.actions.length} change${mp.actions.length === 1 ? '' : 's'}, ${mp.counts.same} unchanged</summary>\n\n`;
  const tail = '```\n\n</details>\n';
  let body = '```diff\n';
  let shown = 0;
  for (const a of mp.actions) {
    const block = actionLines(a, mask).join('\n') + '\n';
    if (head.length + body.length + block.length + tail.length + 200 > budget) break;
    body += block;
    shown += 1;
  }
  const more = mp.actions.length - shown;
  if (more > 0) body += `… ${more} more record${more === 1 ? '' : 's'} not shown (the comment limit); see the plan artifact\n`;
  return { text: head + body + tail, shown };
}

/**
 * The plan as a pull-request comment: a summary table, tripped guards, one collapsible section per
 * mapping, always under GitHub's comment limit (records are cut, with counts, when it is long).
 */
export function renderPlanMarkdown(plan: Plan, options: { mask: boolean }): string {
  const out: string[] = ['### ml-connector plan', ''];
  out.push('| Mapping | Module | Mode | Create | Update | Deactivate | Reactivate | Delete | Unchanged |');
  out.push('|---|---|---|--:|--:|--:|--:|--:|--:|');
  for (const mp of plan.mappings) {
    const c = mp.counts;
    out.push(`| ${cell(mp.name)} | ${mp.module} | ${mp.mode} | ${c.create} | ${c.update} | ${c.deactivate} | ${c.reactivate} | ${c.delete} | ${c.same} |`);
  }
  out.push('', `**${summaryLine(plan)}** (${creditsText(plan.summary.credits)})`, '');
  const tripped = plan.mappings.flatMap((mp) => mp.guards.filter((g) => g.tripped).map((g) => `- :no_entry: **${mp.name}** guard \`${g.guard}\` (${g.limit}): ${cell(g.message)}`));
  if (tripped.length > 0) {
    out.push(plan.blocked ? '**A guard tripped: apply will refuse this plan unless `--allow-large-change` is given.**' : 'A guard tripped; `--allow-large-change` overrides it.', '', ...tripped, '');
  }
  const errors = plan.problems.filter((p) => p.severity === 'error').length;
  if (plan.problems.length > 0) out.push(`${errors} record(s) left out because of problems, ${plan.problems.length - errors} warning(s).`, '');
  let text = out.join('\n') + '\n';
  const changed = plan.mappings.filter((mp) => mp.actions.length > 0);
  changed.forEach((mp, i) => {
    // Share what is left of the budget fairly among the mappings still to come.
    const budget = Math.floor((BUDGET - text.length) / (changed.length - i));
    text += mappingSection(mp, options.mask, budget).text + '\n';
  });
  const meta = [`config \`${plan.configDigest.slice(0, 19)}\``];
  if (plan.gitCommit) meta.push(`commit \`${plan.gitCommit.slice(0, 12)}\`${plan.gitDirty ? ' + uncommitted changes' : ''}`);
  if (options.mask) meta.push('personal data masked');
  text += `<sub>${meta.join(' · ')}</sub>\n`;
  return text;
}
