import { describe, expect, it } from 'vitest';
import MarkdownIt from 'markdown-it';
import type { Mapping } from '../src/config/types.generated.js';
import type { SourceRecord } from '../src/model/index.js';
import { renderPlanMarkdown, renderPlanTextString, MARKDOWN_LIMIT, COMMENT_RESERVE, type MatchRule } from '../src/plan/index.js';
import { buildPlanComment, COMMENT_LIMIT } from '../src/gitops/pr-comment.js';
import { planFixture } from './plan-harness.js';

/**
 * The pull-request comment as GitHub shows it: fixture plans rendered to Markdown, then through a
 * real CommonMark + GFM renderer (markdown-it: tables, fenced code), and checked as a reviewer
 * would read the page: the headline first, the warning and the deactivations, nothing personal.
 */
const md = new MarkdownIt({ html: true });
const html = (text: string): string => md.render(text);
/** The page's visible text (tags removed), as a reviewer reads it. */
const visible = (text: string): string => html(text).replace(/<[^>]+>/g, '').replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&gt;/g, '>').replace(/&lt;/g, '<');

const people: Mapping = {
  apiVersion: 'ml-connector/v1', kind: 'Mapping', name: 'employees-to-contacts',
  source: { connection: 'hcm', entity: 'employees' },
  target: { connection: 'zoho', module: 'Contacts' },
  externalId: { field: 'PeopleSoft_Employee_ID' },
  fields: [
    { to: 'First_Name', from: 'FIRST_NAME' }, { to: 'Last_Name', from: 'LAST_NAME' }, { to: 'Email', from: 'EMAIL' },
    { to: 'Mailing_Street', from: 'STREET' }, { to: 'Date_of_Birth', from: 'BIRTHDATE' }, { to: 'Home_Notes', from: 'NOTES', personal: true },
    { to: 'Title', from: 'JOB_TITLE' }, { to: 'Department', from: 'DEPT' },
    { to: 'Employment_Status', map: { from: 'STATUS', values: { active: 'Active', inactive: 'Terminated' } } },
  ],
  lifecycle: { termination: { action: 'deactivate' } },
  deactivate: { set: { Employment_Status: 'Terminated' } },
};
const personal = (i: number): Record<string, string> => ({
  FIRST_NAME: `Firstname${i}`, LAST_NAME: `Lastname${i}`, EMAIL: `person${i}@example.com`, STREET: `${i} Elm Street`, BIRTHDATE: '1980-02-03', NOTES: `private note ${i}`,
});
const rec = (key: string, f: Record<string, string>, extra: Partial<SourceRecord> = {}): SourceRecord => ({ entity: 'employees', key, fields: { EMPLID: key, JOB_TITLE: 'Analyst', DEPT: 'Sales', STATUS: 'active', ...f }, status: 'active', hash: key, ...extra });
const zohoOf = (i: number, over: Record<string, string> = {}) => ({
  id: `z${i}`, modifiedTime: '2026-11-01T00:00:00Z',
  values: { First_Name: `Firstname${i}`, Last_Name: `Lastname${i}`, Email: `person${i}@example.com`, Mailing_Street: `${i} Elm Street`, Date_of_Birth: '1980-02-03', Home_Notes: `private note ${i}`, Title: 'Analyst', Department: 'Sales', Employment_Status: 'Active', ...over },
});
const link = (i: number) => ({ zohoId: `z${i}`, appliedValues: zohoOf(i).values });
const PERSONAL = /Firstname\d|Lastname\d|person\d+@example\.com|Elm Street|1980-02-03|private note|Okafor|Adaeze/;

describe('Markdown of fixture plans, as GitHub renders it', () => {
  it('a masked rename: the change shows, neither name does', async () => {
    const plan = planFixture({
      mapping: people, mode: 'incremental', reason: 'changes since the last apply',
      records: [rec('100007', { ...personal(7), LAST_NAME: 'Okafor' }), rec('100008', { ...personal(8), LAST_NAME: 'Adaeze' })],
      observed: new Map([['100007', zohoOf(7)], ['100008', zohoOf(8, { Last_Name: 'Okafor' })]]),
      links: new Map([['100007', link(7)], ['100008', { ...link(8), appliedValues: { ...zohoOf(8).values, Last_Name: 'Okafor' } }]]),
    });
    const text = await renderPlanMarkdown(plan.view, { mask: true });
    const page = visible(text);
    expect(page).not.toMatch(PERSONAL);
    // Headline first, then the table.
    expect(page.trim().split('\n').slice(0, 3).join(' ')).toContain('ml-connector plan 2 other PeopleSoft changes → 2 to update');
    expect(html(text)).toContain('<table>');
    // Both renames visible as changes: old and new digests differ.
    const diffs = [...page.matchAll(/-\s+Last_Name: \(masked #([0-9a-f]{8})\)\n\+\s+Last_Name: \(masked #([0-9a-f]{8})\)/g)];
    expect(diffs).toHaveLength(2);
    for (const d of diffs) expect(d[1]).not.toBe(d[2]);
    // Equal values have equal digests: 100008's old name is 100007's new one.
    expect(diffs[1]![1]).toBe(diffs[0]![2]);
    // A coloured diff block (GitHub colours ```diff by the first character of each line).
    expect(html(text)).toContain('<code class="language-diff">');
    // Unmasked (`--no-mask`), the names are there.
    expect(visible(await renderPlanMarkdown(plan.view, { mask: false }))).toContain('"Okafor"');
  });

  it('a large plan with many deactivations near the size limit: headline, warning, every deactivation kept before any update detail', async () => {
    const n = 3_000;
    const records: SourceRecord[] = [];
    const observed = new Map<string, ReturnType<typeof zohoOf>>();
    const links = new Map<string, ReturnType<typeof link>>();
    for (let i = 0; i < n; i++) {
      const key = String(200_000 + i);
      // Every tenth leaves (300 terminations), the others get a new title (2,700 updates).
      records.push(i % 10 === 0 ? rec(key, { ...personal(i), STATUS: 'inactive' }, { status: 'inactive', event: 'termination', effectiveDate: '2026-01-02' }) : rec(key, { ...personal(i), JOB_TITLE: 'Senior Analyst with a long title' }));
      observed.set(key, zohoOf(i));
      links.set(key, link(i));
    }
    const plan = planFixture({ mapping: { ...people, guards: { maxDeactivations: '20%' } }, records, observed, links });
    expect(plan.header.summary).toMatchObject({ deactivate: 300, update: 2_700 });
    const text = await renderPlanMarkdown(plan.view, { mask: true, planUrl: 'https://github.com/o/r/actions/runs/7' });
    expect(text.length).toBeLessThanOrEqual(MARKDOWN_LIMIT - COMMENT_RESERVE);
    expect(text.length).toBeGreaterThan(40_000);
    const page = visible(text);
    expect(page).not.toMatch(PERSONAL);
    expect(page).toContain('300 terminations, 2,700 other PeopleSoft changes → 2,700 to update, 300 to deactivate');
    expect(html(text)).toMatch(/<blockquote>\s*<p>\[!WARNING\]\s*<strong>300 records will be deactivated\.<\/strong>/);
    // All 300 deactivations are listed; the update details are what was cut, with a link to the full plan.
    const section = page.slice(page.indexOf('Deactivations and deletions (300)'), page.indexOf('employees-to-contacts → Contacts: 2,700 to update'));
    expect(section.match(/^- \d+ {2}deactivate \(termination\) {2}Employment_Status: "Active" → "Terminated"$/gm)).toHaveLength(300);
    expect(page).toMatch(/… [\d,]+ records not shown here \(GitHub's comment limit\): see the full plan \(plan artifact\)/);
    expect(html(text)).toContain('href="https://github.com/o/r/actions/runs/7"');
    // One footer.
    expect(text.match(/<sub>/g)).toHaveLength(1);
    // The comment around it stays under GitHub's limit too, marker first.
    const comment = buildPlanComment({ planMarkdown: text, fullPlan: true });
    expect(comment.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(comment.match(/<sub>/g)).toHaveLength(1);
  });

  it('adoptions with their match rule, held records, scheduled changes, records not created and a mapping that failed', async () => {
    const byEmail: MatchRule = { name: 'Email', fields: ['Email'], key: (v) => (typeof v.Email === 'string' && v.Email ? v.Email.toLowerCase() : undefined) };
    const plan = planFixture({
      mapping: people,
      records: [
        rec('300001', personal(1)),
        rec('300002', personal(2)),
        rec('300003', personal(3)), // two Zoho records share this email: held
        rec('300004', { ...personal(4), STATUS: 'inactive' }, { status: 'inactive' }), // left before the first sync: not created
        rec('300005', personal(5), { scheduled: [{ effectiveDate: '2026-02-01', event: 'termination', status: 'inactive' }], effectiveDate: '2025-01-01' }),
      ],
      matchRules: [byEmail],
      unlinked: [
        { id: 'u1', values: { Email: 'person1@example.com', Last_Name: 'Lastname1' } },
        { id: 'u2', values: { Email: 'person2@example.com', Last_Name: 'Lastname2' } },
        { id: 'u3a', values: { Email: 'person3@example.com' } },
        { id: 'u3b', values: { Email: 'person3@example.com' } },
      ],
    });
    const ok = plan.header.mappings[0]!;
    const failed = {
      ...ok, name: 'vendors-to-accounts', module: 'Accounts', status: 'failed' as const, error: { code: 'PS_UNREACHABLE', message: 'PeopleSoft FSCM did not answer', hint: 'Check PS_FSCM_URL.' },
      counts: { create: 0, adopt: 0, update: 0, deactivate: 0, reactivate: 0, delete: 0, same: 0 }, reasons: {}, events: {}, held: 0, scheduled: 0, notCreated: 0,
    };
    const view = { ...plan.view, header: { ...plan.header, mappings: [...plan.header.mappings, failed] } };
    const text = await renderPlanMarkdown(view, { mask: true });
    const page = visible(text);
    expect(page).not.toMatch(PERSONAL);
    expect(page).toContain('adopt (existing Zoho record matched by Email)');
    expect(page).toMatch(/Also: 1 mapping could not be planned, 1 record held back by a problem, 1 future-dated change scheduled, 1 record not created \(inactive when first seen\)/);
    expect(page).toContain('MATCH_AMBIGUOUS');
    expect(html(text)).toMatch(/<td>300005<\/td>\s*<td>termination \(deactivate\)<\/td>\s*<td>2026-02-01<\/td>/);
    expect(page).toContain('vendors-to-accounts could not be planned: PeopleSoft FSCM did not answer (PS_UNREACHABLE). Nothing of it is applied; the other mappings are.');
    expect(page).toContain('not planned');
    expect(page).toContain('1 record inactive when first seen');
    // The terminal says the same, in its own layout.
    const terminal = await renderPlanTextString(view, { mask: true });
    expect(terminal.split('\n')[0]).toBe('Plan: 1 person not yet in Zoho → 1 to create, 2 to adopt');
    expect(terminal).toContain('= 300001  adopt (existing Zoho record matched by Email)');
    expect(terminal).not.toMatch(PERSONAL);
  });

  it('masks by declaration: personal: true on a custom field, personal: false on a field the default would mask', async () => {
    const mapping = { ...people, fields: people.fields.map((f) => (f.to === 'Home_Notes' ? { ...f, personal: true } : f.to === 'Email' ? { ...f, personal: false } : f)) } as Mapping;
    const plan = planFixture({ mapping, records: [rec('400001', personal(1))] });
    expect(plan.header.mappings[0]!.personalFields).toEqual(['Date_of_Birth', 'First_Name', 'Home_Notes', 'Last_Name', 'Mailing_Street']);
    const page = visible(await renderPlanMarkdown(plan.view, { mask: true }));
    expect(page).toContain('Email: "person1@example.com"');
    expect(page).not.toContain('private note');
    expect(page).not.toContain('Elm Street');
    expect(page).toContain('Title: "Analyst"');
  });

  it('a problem about a personal field does not quote its value', async () => {
    const mapping = { ...people, fields: [...people.fields, { to: 'Mobile', from: 'PHONE', transforms: [{ phone: { onInvalid: 'error' } }] }] } as Mapping;
    const plan = planFixture({ mapping, records: [rec('500001', { ...personal(1), PHONE: 'ask Firstname1 at home' })] });
    expect(plan.problems.map((p) => p.message).join(' ')).toContain('ask Firstname1 at home');
    const page = visible(await renderPlanMarkdown(plan.view, { mask: true }));
    expect(page).toContain('(masked) is not a phone number');
    expect(page).not.toMatch(PERSONAL);
    expect(await renderPlanTextString(plan.view, { mask: true })).not.toMatch(PERSONAL);
  });
});
