import { isMaskedValue, type PlanValue } from '../plan/index.js';
import type { FieldImpact, ImpactSample, MappingImpact } from './impact.js';

/** The result of `plan --base REF`: what the configuration change does, per mapping. */
export interface BaseComparison {
  baseRef: string;
  baseCommit: string;
  headCommit: string | undefined;
  headDirty: boolean;
  /** `online`: counted from PeopleSoft data; `offline`: estimated from the state database. */
  mode: 'online' | 'offline';
  mappings: MappingImpact[];
}

export function hasConfigChanges(c: BaseComparison): boolean {
  return c.mappings.some((m) => m.change !== 'unchanged');
}

function show(v: PlanValue | undefined): string {
  if (v === undefined) return '(not managed)';
  if (v === null || v === '') return '(empty)';
  if (isMaskedValue(v)) return `(masked #${v.masked})`;
  if (typeof v === 'object') return v.lookup ? `${v.lookup} ${v.key}` : `id ${v.id ?? '?'}`;
  return JSON.stringify(v);
}

function count(f: FieldImpact): string {
  if (f.records === undefined) return 'unknown';
  const n = `${f.records} record${f.records === 1 ? '' : 's'}`;
  return f.precision === 'at-most' ? `at most ${n}` : n;
}

const VERB: Record<FieldImpact['kind'], string> = { added: 'now managed', removed: 'no longer managed', remapped: 're-mapped', changed: 'changed' };

function describe(f: FieldImpact): string {
  if (f.kind === 'added') return `${f.field}: ${VERB.added} (${f.after ?? ''})`;
  if (f.kind === 'removed') return `${f.field}: ${VERB.removed} (was ${f.before ?? ''}; Zoho keeps the values)`;
  if (f.kind === 'remapped') return `${f.field}: ${VERB.remapped} ${f.before ?? ''} → ${f.after ?? ''}`;
  return `${f.field}: ${(f.parts ?? []).join(', ')} changed`;
}

/** No `after`: a field no longer managed (Zoho keeps it), or an offline estimate that cannot compute it. */
function sampleLine(s: ImpactSample, f: FieldImpact): string {
  const none = f.kind === 'removed' ? '(unchanged in Zoho)' : '(new value needs PeopleSoft)';
  return `${s.key}: ${s.notInZoho ? '(not in Zoho yet)' : show(s.before)} → ${s.after === undefined ? none : show(s.after)}`;
}

function touched(m: MappingImpact): string {
  if (m.recordsTouched === undefined) return m.fields.some((f) => f.records !== undefined) ? 'records touched: see the fields below' : 'records touched: unknown here';
  return `${m.recordsTouched} of ${m.recordsSeen} record${m.recordsSeen === 1 ? '' : 's'} would change`;
}

/** Plain text for terminals. */
export function renderBaseComparison(c: BaseComparison): string {
  const lines: string[] = [];
  const head = c.headCommit ? `${c.headCommit.slice(0, 12)}${c.headDirty ? ' + uncommitted changes' : ''}` : 'the working tree';
  lines.push(`Configuration change: ${c.baseRef} (${c.baseCommit.slice(0, 12)}) → ${head}, ${c.mode === 'online' ? 'counted from PeopleSoft' : 'estimated offline from the state database'}`);
  if (!hasConfigChanges(c)) {
    lines.push('No mapping changed.');
    return lines.join('\n') + '\n';
  }
  for (const m of c.mappings) {
    if (m.change === 'unchanged') continue;
    lines.push('');
    lines.push(`${m.mapping} → ${m.module} (${m.change}; ${touched(m)})`);
    for (const n of m.notes) lines.push(`  ${n}`);
    for (const f of m.fields) {
      lines.push(`  ${describe(f)}: ${count(f)}`);
      for (const s of f.samples) lines.push(`      ${sampleLine(s, f)}`);
    }
    for (const s of m.settings) lines.push(`  ${s.path}: ${s.before} → ${s.after}`);
  }
  return lines.join('\n') + '\n';
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Markdown for pull-request comments and job summaries. Samples are masked by the caller. */
export function renderBaseComparisonMarkdown(c: BaseComparison): string {
  const out: string[] = [];
  out.push(`### Configuration change against \`${c.baseRef}\``);
  out.push('');
  out.push(`Compared with \`${c.baseRef}\` (commit \`${c.baseCommit.slice(0, 12)}\`)${c.headDirty ? ', including uncommitted changes' : ''}. ${c.mode === 'online' ? 'Counted from PeopleSoft data; the examples show what Zoho holds now.' : '**Offline estimate** from the state database (no credentials in this run).'}`);
  out.push('');
  if (!hasConfigChanges(c)) {
    out.push('No mapping changed.');
    return out.join('\n') + '\n';
  }
  for (const m of c.mappings) {
    if (m.change === 'unchanged') continue;
    out.push(`#### \`${m.mapping}\` → ${m.module} (${m.change})`);
    out.push('');
    const t = touched(m);
    out.push(`${t.charAt(0).toUpperCase()}${t.slice(1)}.`);
    for (const n of m.notes) out.push(`> ${n}`);
    out.push('');
    if (m.fields.length > 0) {
      out.push('| Field | Change | Records | Examples (before → after) |');
      out.push('|---|---|---|---|');
      for (const f of m.fields) {
        const what = f.kind === 'remapped' ? `re-mapped: ${f.before} → ${f.after}` : f.kind === 'changed' ? `${(f.parts ?? []).join(', ')} changed` : f.kind === 'added' ? `added (${f.after})` : `removed (was ${f.before})`;
        out.push(`| \`${f.field}\` | ${cell(what)} | ${count(f)} | ${cell(f.samples.map((x) => sampleLine(x, f)).join('<br>')) || '–'} |`);
      }
      out.push('');
    }
    if (m.settings.length > 0) {
      out.push('| Setting | Before | After |');
      out.push('|---|---|---|');
      for (const s of m.settings) out.push(`| \`${s.path}\` | \`${cell(s.before)}\` | \`${cell(s.after)}\` |`);
      out.push('');
    }
  }
  return out.join('\n');
}
