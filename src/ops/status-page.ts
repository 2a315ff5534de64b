import type { LastRun, RunResult } from './runner.js';
import type { ScheduleTimes } from './scheduler.js';
import { sanitizeMessage } from './alerts.js';

/**
 * serve's read-only status page at `/`: what an operator checks first. Pure: the model in, one
 * self-contained HTML document out (inline CSS, no script, no external resource), refreshed by
 * the browser every 30 s. It shows mappings, counts, error codes and times only: no record key,
 * name, email or value ever reaches it (problems are grouped by error code).
 */

export interface ChannelStatus {
  module: string;
  channelId: string;
  expiresAt?: number;
}

export interface StatusModel {
  project: string;
  version: string;
  startedAt: number;
  now: number;
  stopping: boolean;
  gitCommit?: string | undefined;
  mappings: Array<{ name: string; module: string; running: boolean; last?: LastRun | undefined; lastSuccessAt?: string | undefined }>;
  lastResult?: RunResult | undefined;
  schedules: ScheduleTimes[];
  /** undefined: notifications are not configured. */
  channels?: ChannelStatus[] | undefined;
  links: Array<{ href: string; label: string }>;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** "3 min ago", "in 5 h": relative times read faster than timestamps; the exact one is the title. */
function relative(at: number, now: number): string {
  const s = Math.round((at - now) / 1000);
  const a = Math.abs(s);
  const text = a < 90 ? `${a} s` : a < 5400 ? `${Math.round(a / 60)} min` : a < 172_800 ? `${Math.round(a / 3600)} h` : `${Math.round(a / 86_400)} d`;
  return s < 0 ? `${text} ago` : `in ${text}`;
}

function time(iso: string | number | undefined, now: number): string {
  if (iso === undefined) return '<span class="dim">never</span>';
  const ms = typeof iso === 'number' ? iso : Date.parse(iso);
  const exact = new Date(ms).toISOString().replace('.000Z', 'Z');
  return `<time datetime="${exact}" title="${exact}">${relative(ms, now)}</time>`;
}

const STATUS_CLASS: Record<string, string> = { succeeded: 'ok', partial: 'warn', interrupted: 'warn', failed: 'bad', running: 'run' };

function badge(status: string): string {
  return `<span class="badge ${STATUS_CLASS[status] ?? ''}">${esc(status)}</span>`;
}

const PAST: Record<string, string> = { create: 'created', update: 'updated', deactivate: 'deactivated', reactivate: 'reactivated', delete: 'deleted' };

function counts(c: Record<string, number> | undefined): string {
  const parts = Object.entries(c ?? {}).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${esc(PAST[k] ?? k)}`);
  return parts.length ? parts.join(', ') : '<span class="dim">nothing written</span>';
}

function mappingRows(m: StatusModel): string {
  if (m.mappings.length === 0) return '<p class="dim">No mappings in the configuration.</p>';
  const rows = m.mappings.map((x) => `<tr id="mapping-${esc(x.name)}">
<td><strong>${esc(x.name)}</strong><br><span class="dim">→ ${esc(x.module)}</span></td>
<td>${x.running ? badge('running') : x.last ? badge(x.last.status) : '<span class="dim">no run yet</span>'}</td>
<td>${x.last ? `${time(x.last.finishedAt, m.now)}<br><span class="dim">${esc(x.last.trigger)} · ${esc(x.last.runId)}</span>` : ''}</td>
<td>${x.last ? counts(x.last.counts) : ''}</td>
<td>${time(x.lastSuccessAt, m.now)}</td>
</tr>`);
  return `<table><thead><tr><th>Mapping</th><th>Last run</th><th>Finished</th><th>Records</th><th>Last success</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Problems by mapping and error code: how many, never which records (their keys stay in `audit`). */
function problems(m: StatusModel): string {
  const r = m.lastResult;
  if (!r) return '<p class="dim">No run since serve started.</p>';
  const items: string[] = [];
  if (r.error) items.push(`<li>The run stopped: ${esc(sanitizeMessage(r.error.message))} <code>${esc(r.error.code)}</code>${r.error.hint ? `<br><span class="dim">${esc(sanitizeMessage(r.error.hint))}</span>` : ''}</li>`);
  for (const mo of r.mappings) {
    if (mo.guard) items.push(`<li><strong>${esc(mo.mapping)}</strong>: guard <code>${esc(mo.guard.guard)}</code> tripped (limit ${esc(mo.guard.limit)}, this run ${esc(mo.guard.actual)}); nothing was written.</li>`);
    const byCode = new Map<string, number>();
    for (const f of mo.failed ?? []) byCode.set(f.code, (byCode.get(f.code) ?? 0) + 1);
    for (const [code, n] of byCode) items.push(`<li><strong>${esc(mo.mapping)}</strong>: ${n} record${n === 1 ? '' : 's'} failed with <code>${esc(code)}</code></li>`);
  }
  const head = `<p>Run <code>${esc(r.runId)}</code> (${esc(r.trigger)}) ${badge(r.status)} ${r.finishedAt ? time(r.finishedAt, m.now) : ''}</p>`;
  if (items.length === 0) return `${head}<p class="dim">No problems.</p>`;
  return `${head}<ul>${items.join('')}</ul><p class="dim">Per record: <code>ml-connector audit --run ${esc(r.runId)} --outcome failed</code></p>`;
}

function scheduleRows(m: StatusModel): string {
  if (m.schedules.length === 0) return '<p class="dim">No enabled schedule.</p>';
  const rows = m.schedules.map((s) => `<tr><td>${esc(s.schedule)}</td><td>${esc(s.kind)}</td><td><code>${esc(s.cron)}</code> ${esc(s.timezone)}</td><td>${s.next ? time(s.next, m.now) : '<span class="dim">paused</span>'}</td></tr>`);
  return `<table><thead><tr><th>Schedule</th><th>Kind</th><th>Cron</th><th>Next run</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function channelRows(m: StatusModel): string {
  if (m.channels === undefined) return '<p class="dim">Zoho notifications are not configured (<code>webhooks.notifyUrl</code> in the Zoho connection).</p>';
  if (m.channels.length === 0) return '<p class="dim">No channel enabled yet.</p>';
  const soon = 6 * 3600_000;
  const rows = m.channels.map((c) => {
    const cls = c.expiresAt === undefined ? 'warn' : c.expiresAt <= m.now ? 'bad' : c.expiresAt - m.now < soon ? 'warn' : 'ok';
    return `<tr><td>${esc(c.module)}</td><td><code>${esc(c.channelId)}</code></td><td><span class="badge ${cls}">${c.expiresAt === undefined ? 'unknown' : c.expiresAt <= m.now ? 'expired' : 'active'}</span> ${c.expiresAt === undefined ? '' : `expires ${time(c.expiresAt, m.now)}`}</td></tr>`;
  });
  return `<table><thead><tr><th>Module</th><th>Channel</th><th>Expiry</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const CSS = `:root{color-scheme:light dark;--fg:#1d2330;--dim:#667085;--bg:#f6f7f9;--card:#fff;--line:#e4e7ec;--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--run:#0969da}
@media(prefers-color-scheme:dark){:root{--fg:#e6e8eb;--dim:#98a2b3;--bg:#0f1115;--card:#181b21;--line:#2a2f38;--ok:#3fb950;--warn:#d29922;--bad:#f85149;--run:#58a6ff}}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:20px 28px;border-bottom:1px solid var(--line);background:var(--card);display:flex;flex-wrap:wrap;gap:8px 24px;align-items:baseline}
h1{font-size:20px;margin:0}h2{font-size:15px;margin:0 0 10px;text-transform:uppercase;letter-spacing:.04em;color:var(--dim)}
main{padding:20px 28px;display:grid;gap:18px;max-width:1200px}section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 18px;overflow-x:auto}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:8px 10px;border-top:1px solid var(--line);vertical-align:top}th{border-top:0;font-weight:600;color:var(--dim);font-size:13px}
.dim{color:var(--dim)}code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace}a{color:var(--run)}ul{margin:0;padding-left:20px}
.badge{display:inline-block;padding:1px 9px;border-radius:99px;font-size:12px;font-weight:600;border:1px solid currentColor}
.ok{color:var(--ok)}.warn{color:var(--warn)}.bad{color:var(--bad)}.run{color:var(--run)}nav a{margin-right:14px}`;

export function renderStatusPage(m: StatusModel): string {
  const state = m.stopping ? '<span class="badge warn">stopping</span>' : '<span class="badge ok">running</span>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="30"><title>ml-connector · ${esc(m.project)}</title><style>${CSS}</style></head>
<body><header><h1>ml-connector · ${esc(m.project)}</h1>${state}
<span class="dim">version ${esc(m.version)} · up ${relative(m.startedAt, m.now).replace(' ago', '')}${m.gitCommit ? ` · configuration at <code>${esc(m.gitCommit.slice(0, 12))}</code>` : ''}</span>
<nav>${m.links.map((l) => `<a href="${esc(l.href)}">${esc(l.label)}</a>`).join('')}</nav></header>
<main>
<section><h2>Mappings</h2>${mappingRows(m)}</section>
<section><h2>Problems of the last run</h2>${problems(m)}</section>
<section><h2>Next scheduled runs</h2>${scheduleRows(m)}</section>
<section><h2>Zoho notification channels</h2>${channelRows(m)}</section>
</main></body></html>
`;
}
