/**
 * `node dist/gitops/pr-comment-main.js`: used by .github/workflows/plan.yml (and
 * scripts/run-workflow-locally.mjs) to turn the plan outputs into the comment body and labels.
 *
 *   --plan plan.json  --plan-md plan.md  --base-md base.md  --failure failure.txt  --offline
 *   --out comment.md  --labels labels.txt  --commit SHA  --run-url URL
 *
 * Missing input files are skipped (a failed plan leaves no plan.json). A script, not a command:
 * it belongs to the workflow, not to the product's CLI.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadPlan } from '../plan/index.js';
import { buildPlanComment, planLabels } from './pr-comment.js';

const { values } = parseArgs({
  options: {
    plan: { type: 'string' },
    'plan-md': { type: 'string' },
    'base-md': { type: 'string' },
    failure: { type: 'string' },
    offline: { type: 'boolean', default: false },
    out: { type: 'string', default: 'comment.md' },
    labels: { type: 'string' },
    commit: { type: 'string' },
    'run-url': { type: 'string' },
  },
});

const read = (path: string | undefined): string | undefined => (path && existsSync(path) ? readFileSync(path, 'utf8') : undefined);
const planPath = values.plan && existsSync(values.plan) ? values.plan : undefined;
const failure = read(values.failure)?.trim();
const body = buildPlanComment({
  ...(read(values['plan-md']) ? { planMarkdown: read(values['plan-md'])!, fullPlan: planPath !== undefined } : {}),
  ...(read(values['base-md']) ? { baseMarkdown: read(values['base-md'])! } : {}),
  ...(failure ? { failure } : {}),
  ...(values.commit ? { commit: values.commit } : {}),
  ...(values['run-url'] ? { runUrl: values['run-url'] } : {}),
  offline: values.offline ?? false,
});
writeFileSync(values.out!, body);
if (values.labels) {
  const labels = planPath ? planLabels((await loadPlan(planPath)).header) : [];
  writeFileSync(values.labels, labels.join('\n') + (labels.length ? '\n' : ''));
}
process.stdout.write(`comment: ${values.out} (${body.length} characters)${values.labels ? `, labels: ${values.labels}` : ''}\n`);
