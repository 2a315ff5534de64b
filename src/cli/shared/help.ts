import type { Command } from 'commander';

/**
 * Examples at the end of a command's `--help`, in one format everywhere: `$ command` lines, each
 * with an optional comment after `#`. Commands call this rather than writing help text by hand.
 */
export function addExamples(cmd: Command, examples: readonly string[], before?: string): Command {
  const lines = examples.map((e) => `  $ ml-connector ${e}`);
  return cmd.addHelpText('after', `${before ? `\n${before}\n` : ''}\nExamples:\n${lines.join('\n')}`);
}

/** For `plan` and `apply` (src/cli/commands/plan.ts, apply.ts), wired by whoever owns those files. */
export const PLAN_EXAMPLES = [
  'plan                                          # configs/, every mapping, masked',
  'plan -c configs --mapping employees-to-contacts --out plan.json',
  'plan --base origin/main --markdown            # what this pull request changes, for the PR comment',
  'plan --json --detailed-exitcode               # exit 2 when there are changes',
] as const;

export const APPLY_EXAMPLES = [
  'apply                                         # plan, show it, ask for "yes", apply',
  'apply plan.json                               # exactly what `plan --out plan.json` showed',
  'apply --auto-approve                          # CI and schedules (no terminal to ask on)',
  'apply --auto-approve --allow-large-change     # once, after reading the plan of a tripped guard',
] as const;
