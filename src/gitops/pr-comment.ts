import type { PlanHeader } from '../plan/types.js';

/** The hidden marker that identifies ml-connector's one plan comment on a pull request. */
export const PLAN_COMMENT_MARKER = '<!-- ml-connector-plan -->';
/** GitHub's limit for a comment body. */
export const COMMENT_LIMIT = 65_536;

export type PlanLabel = 'no-changes' | 'changes' | 'deactivations';

/** Labels for the pull request: `no-changes`, or `changes` plus `deactivations` when records would be deactivated or deleted. */
export function planLabels(plan: Pick<PlanHeader, 'summary'>): PlanLabel[] {
  const s = plan.summary;
  const changes = s.changes;
  if (changes === 0) return ['no-changes'];
  return s.deactivate + s.delete > 0 ? ['changes', 'deactivations'] : ['changes'];
}

export interface CommentInput {
  /**
   * The plan as `plan --markdown` printed it: with `fullPlan`, the whole comment body (headline,
   * warning, the `--base` comparison, records, its own footer, already within the limit);
   * without, the `--offline` comparison alone.
   */
  planMarkdown?: string;
  /** `planMarkdown` is a plan (there is a plan file), not the offline comparison alone. */
  fullPlan?: boolean;
  /** `plan --base` comparison in Markdown, when it is not part of `planMarkdown`. */
  baseMarkdown?: string;
  /** Facts for the footer of a comment without a plan of its own. */
  commit?: string;
  runUrl?: string;
  /** What went wrong instead of a plan (validation errors, an unreachable system). */
  failure?: string;
  /** The plan could not be made with credentials (a pull request from a fork): say so. */
  offline?: boolean;
}

/** Cut text at a line break to at most `room` characters, saying so (the last resort: the renderers keep within the limit). */
function cut(text: string, room: number): string {
  if (text.length <= room) return text;
  const at = text.lastIndexOf('\n', room - 200);
  return `${text.slice(0, Math.max(0, at))}\n\n… cut to fit GitHub's comment limit; the full plan is in the job summary and the plan artifact.\n`;
}

/**
 * The body of the single plan comment. Starts with the hidden marker so the workflow finds and
 * edits the same comment on every push. One footer: the plan's own when there is a plan, else
 * one made here. Under GitHub's limit: the plan's Markdown is rendered within it already.
 */
export function buildPlanComment(input: CommentInput): string {
  const parts: string[] = [PLAN_COMMENT_MARKER];
  const notes: string[] = [];
  if (input.failure) notes.push('**The plan could not be made.**', '', '```', input.failure.trim().slice(0, 4000), '```', '');
  if (input.offline) {
    notes.push('> [!NOTE]', '> No credentials in this run (pull requests from forks get no secrets): the record-level plan is skipped and the configuration change is estimated offline, from counts the last apply published. A maintainer can re-run the plan from a branch of this repository.', '');
  }
  if (input.planMarkdown && input.fullPlan) {
    parts.push(...notes, cut(input.planMarkdown.trim(), COMMENT_LIMIT - PLAN_COMMENT_MARKER.length - notes.join('\n').length - 10));
    return parts.join('\n') + '\n';
  }
  parts.push('### ml-connector plan', '', ...notes);
  if (input.baseMarkdown) parts.push(input.baseMarkdown.trim(), '');
  if (input.planMarkdown) parts.push(input.planMarkdown.trim(), '');
  const footer = `<sub>${input.commit ? `Planned at \`${input.commit.slice(0, 12)}\`. ` : ''}${input.runUrl ? `[Workflow run and job summary](${input.runUrl}). ` : ''}Personal data is masked.</sub>`;
  return `${cut(parts.join('\n'), COMMENT_LIMIT - footer.length - 10)}\n${footer}\n`;
}
