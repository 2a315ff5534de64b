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
  /** The plan rendered by the planner's Markdown renderer (masked). */
  planMarkdown?: string;
  /** `plan --base` comparison in Markdown, if it ran. */
  baseMarkdown?: string;
  /** Facts for the footer. */
  commit?: string;
  runUrl?: string;
  /** What went wrong instead of a plan (validation errors, an unreachable system). */
  failure?: string;
  /** The plan could not be made with credentials (a pull request from a fork): say so. */
  offline?: boolean;
}

/**
 * The body of the single plan comment. Starts with the hidden marker so the workflow finds and
 * edits the same comment on every push; kept under GitHub's limit (the full plan is in the
 * job summary and the plan artifact).
 */
export function buildPlanComment(input: CommentInput): string {
  // The planner's Markdown brings its own heading; a failure or offline note gets one here.
  const parts: string[] = [PLAN_COMMENT_MARKER];
  if (input.failure || !input.planMarkdown) parts.push('### ml-connector plan', '');
  if (input.failure) {
    parts.push('**The plan could not be made.**', '', '```', input.failure.trim().slice(0, 4000), '```', '');
  }
  if (input.offline) {
    parts.push('> No credentials in this run (pull requests from forks get no secrets): the record-level plan is skipped and the configuration change is estimated from the state database. A maintainer can re-run the plan from a branch of this repository.', '');
  }
  if (input.baseMarkdown) parts.push(input.baseMarkdown.trim(), '');
  if (input.planMarkdown) parts.push(input.planMarkdown.trim(), '');
  const footer = `<sub>${input.commit ? `Planned at \`${input.commit.slice(0, 12)}\`. ` : ''}${input.runUrl ? `[Workflow run, plan artifact and full summary](${input.runUrl}). ` : ''}Personal data is masked. This comment is updated in place on every push.</sub>`;
  let body = parts.join('\n');
  const room = COMMENT_LIMIT - footer.length - 200;
  if (body.length > room) {
    body = `${body.slice(0, room)}\n\n… cut to fit GitHub's comment limit; the full plan is in the job summary and the plan artifact.\n`;
  }
  return `${body}\n${footer}\n`;
}
