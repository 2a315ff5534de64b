import { Cron } from 'croner';
import type { ConfigIssue } from './issues.js';
import { arr, IssueList, obj, placeOf, str, type Entry, type Path } from './rule-context.js';
import { checkLookupCycles, checkMapping, type Registry } from './rules-mapping.js';
import { canonicalColumns } from './source-columns.js';
import { checkModuleSharing } from './rules-module.js';
import { didYouMean } from './suggest.js';

let zones: string[] | undefined;
function knownZones(): string[] {
  zones ??= [...Intl.supportedValuesOf('timeZone'), 'UTC'];
  return zones;
}

function checkTimezone(e: Entry, path: Path, issues: IssueList): void {
  let value: unknown = e.value;
  for (const p of path) value = (value as Record<string | number, unknown> | undefined)?.[p];
  if (typeof value !== 'string') return;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
  } catch {
    const dym = didYouMean(value, knownZones());
    issues.add(e.pd, path, 'CONFIG_BAD_TIMEZONE', `unknown time zone '${value}'${dym || ': use an IANA zone such as America/Chicago, Europe/London or UTC'}`);
  }
}

function checkCron(e: Entry, key: 'cron' | 'fullRefreshCron', issues: IssueList): void {
  const expr = str(e.value[key]);
  if (expr === undefined) return;
  const help = "use five fields (minute hour day-of-month month day-of-week), e.g. '0 6 * * *' for 06:00 every day";
  const fields = expr.trim().split(/\s+/);
  if (!expr.trim().startsWith('@') && fields.length !== 5) {
    issues.add(e.pd, [key], 'CONFIG_BAD_CRON', `invalid ${key} '${expr}': it has ${fields.length} field${fields.length === 1 ? '' : 's'}; ${help}`);
    return;
  }
  try {
    const job = new Cron(expr, { paused: true });
    if (job.nextRun() === null) issues.add(e.pd, [key], 'CONFIG_BAD_CRON', `${key} '${expr}' never fires (no such date): ${help}`);
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).replace(/^CronPattern:\s*/, '').replace(/\s*\(.*\), exactly.*$/, '');
    issues.add(e.pd, [key], 'CONFIG_BAD_CRON', `invalid ${key} '${expr}': ${reason}; ${help}`);
  }
}

function checkSchedule(s: Entry, reg: Registry, issues: IssueList): void {
  checkCron(s, 'cron', issues);
  checkCron(s, 'fullRefreshCron', issues);
  checkTimezone(s, ['timezone'], issues);
  arr(s.value.mappings).forEach((m, i) => {
    if (typeof m !== 'string' || reg.mappings.has(m)) return;
    const names = [...reg.mappings.keys()];
    issues.add(s.pd, ['mappings', i], 'CONFIG_UNKNOWN_MAPPING', `unknown mapping '${m}' in mappings[${i}]${didYouMean(m, names) || (names.length > 0 ? ` (defined: ${names.join(', ')})` : ' (no mapping is defined)')}`);
  });
}

function checkZoho(z: Entry, issues: IssueList): void {
  if (z.value.region === 'uk' && obj(z.value.experimental)?.unconfirmedRegions !== true) {
    issues.add(z.pd, ['region'], 'CONFIG_UNCONFIRMED_REGION', "region 'uk' is not confirmed by Zoho's documentation (its API domain is unknown): set experimental.unconfirmedRegions: true together with accountsUrl and apiUrl, or use one of us, eu, in, au, jp, cn, ca, sa");
  }
}

/** `8.58` → 858, or undefined for anything else. */
function toolsRelease(v: unknown): number | undefined {
  const m = typeof v === 'string' ? /^8\.(\d{2})$/.exec(v) : null;
  return m ? 800 + Number(m[1]) : undefined;
}

/** What a PeopleTools release must be for what the connection uses (reference §1.4, §2.3, §4.2). */
function checkToolsVersion(c: Entry, issues: IssueList): void {
  const release = toolsRelease(c.value.toolsVersion);
  if (release === undefined) return;
  const version = String(c.value.toolsVersion);
  const auth = obj(c.value.auth);
  if (auth?.type === 'oauth2' && release < 858) {
    issues.add(c.pd, ['toolsVersion'], 'CONFIG_TOOLS_VERSION', `auth type oauth2 needs PeopleTools 8.58 or later, and toolsVersion is ${version}: use auth type basic, or correct toolsVersion`);
  }
  for (const [entity, r] of Object.entries(obj(c.value.readers) ?? {})) {
    const reader = obj(r);
    if (reader?.kind === 'ci' && release < 858) {
      issues.add(c.pd, ['readers', entity, 'kind'], 'CONFIG_TOOLS_VERSION', `a component interface reader (CI REST services) needs PeopleTools 8.58 or later, and toolsVersion is ${version}: read ${entity} with a qas query, or correct toolsVersion`);
    }
    if (reader?.kind === 'qas' && (reader.format ?? 'json') === 'json' && release < 855) {
      issues.add(c.pd, ['readers', entity, reader.format === undefined ? 'kind' : 'format'], 'CONFIG_TOOLS_VERSION', `QAS answers JSON from PeopleTools 8.55 on, and toolsVersion is ${version}: set format: xmlp on readers.${entity}`);
    }
  }
}

/** Reader settings that validate can judge: history for vendors, and `columns` naming columns nobody reads. */
function checkReaders(c: Entry, issues: IssueList): void {
  const norm = obj(c.value.normalization) ?? {};
  for (const [entity, r] of Object.entries(obj(c.value.readers) ?? {})) {
    const reader = obj(r);
    if (reader === undefined || (entity !== 'employees' && entity !== 'vendors')) continue;
    if (entity === 'vendors' && reader.history === 'changed-rows') {
      issues.add(c.pd, ['readers', entity, 'history'], 'CONFIG_HISTORY_VENDORS', 'history: changed-rows completes JOB histories, which only employee readers have: remove it here (vendors without a last-update column use changeDetection.mode: hash)');
    }
    const known = canonicalColumns(entity, {
      emailTypes: arr(norm.emailTypes).filter((t): t is string => typeof t === 'string').concat(norm.emailTypes === undefined ? ['BUSN', 'HOME'] : []),
      phoneTypes: arr(norm.phoneTypes).filter((t): t is string => typeof t === 'string').concat(norm.phoneTypes === undefined ? ['CELL', 'BUSN', 'HOME'] : []),
      cursorField: str(obj(reader.changeDetection)?.cursorField) ?? 'LASTUPDDTTM',
    });
    for (const name of Object.keys(obj(reader.columns) ?? {})) {
      if (known.includes(name)) continue;
      issues.add(c.pd, ['readers', entity, 'columns', name], 'CONFIG_UNKNOWN_COLUMN', `readers.${entity}.columns names ${name}, which ml-connector does not read${didYouMean(name, known) || `: the ${entity} columns are ${known.join(', ')}`}`, { severity: 'warning', onKey: true });
    }
  }
}

function checkPeopleSoft(c: Entry, issues: IssueList): void {
  const auth = obj(c.value.auth);
  if (auth?.type === 'oauth2') {
    const hasToken = auth.token !== undefined;
    const grant = ['tokenUrl', 'clientId', 'clientSecret'];
    const missing = grant.filter((k) => auth[k] === undefined);
    if (!hasToken && missing.length > 0) {
      issues.add(c.pd, ['auth'], 'CONFIG_OAUTH2_INCOMPLETE', `auth type oauth2 needs either token, or tokenUrl, clientId and clientSecret (missing: ${missing.join(', ')})`, { onKey: true });
    }
  }
  if (obj(c.value.tls)?.rejectUnauthorized === false) {
    issues.add(c.pd, ['tls', 'rejectUnauthorized'], 'CONFIG_TLS_UNVERIFIED', 'tls.rejectUnauthorized is false: the server certificate is not verified; use tls.caFile with your CA instead outside a test system', { severity: 'warning' });
  }
  checkToolsVersion(c, issues);
  checkReaders(c, issues);
  checkTimezone(c, ['normalization', 'serverTimezone'], issues);
  // A component interface returns one vendor per Get; employees and departments come as rows.
  for (const entity of ['employees', 'departments']) {
    if (obj(obj(c.value.readers)?.[entity])?.kind === 'ci') {
      issues.add(c.pd, ['readers', entity, 'kind'], 'CONFIG_READER_KIND', `readers.${entity} is a component interface reader, which can read vendors only: read ${entity} with a qas (PS Query) or rest (service operation) reader`);
    }
  }
}

const KIND_OF_REGISTRY = { PeopleSoftConnection: 'peoplesoft', ZohoConnection: 'zoho', Mapping: 'mappings' } as const;

/** Cross-document rules: unique names, references, cron, time zones, field ownership. */
export function checkRules(entries: Entry[]): ConfigIssue[] {
  const issues = new IssueList();
  const reg: Registry = { peoplesoft: new Map(), zoho: new Map(), mappings: new Map() };
  const byKind = new Map<string, Map<string, Entry>>();
  let project: Entry | undefined;
  for (const e of entries) {
    if (e.kind === 'Project') {
      if (project === undefined) project = e;
      else issues.add(e.pd, ['kind'], 'CONFIG_MULTIPLE_PROJECTS', `a second Project '${e.name}' (the first, '${project.name}', is at ${placeOf(project.pd, ['kind'])}): keep one Project per configuration directory`);
    }
    const names = byKind.get(e.kind) ?? new Map<string, Entry>();
    byKind.set(e.kind, names);
    const first = names.get(e.name);
    if (first !== undefined) {
      issues.add(e.pd, ['name'], 'CONFIG_DUPLICATE_NAME', `duplicate ${e.kind} name '${e.name}': already used at ${placeOf(first.pd, ['name'])}; names must be unique per kind`);
      continue;
    }
    names.set(e.name, e);
    const registry = KIND_OF_REGISTRY[e.kind as keyof typeof KIND_OF_REGISTRY] as keyof Registry | undefined;
    if (registry !== undefined) reg[registry].set(e.name, e);
  }
  for (const e of entries) {
    if (!e.usable) continue;
    if (e.kind === 'Mapping') checkMapping(e, reg, issues);
    else if (e.kind === 'Schedule') checkSchedule(e, reg, issues);
    else if (e.kind === 'ZohoConnection') checkZoho(e, issues);
    else if (e.kind === 'PeopleSoftConnection') checkPeopleSoft(e, issues);
    else if (e.kind === 'Project') checkTimezone(e, ['defaults', 'timezone'], issues);
  }
  const usable: Registry = {
    peoplesoft: reg.peoplesoft,
    zoho: reg.zoho,
    mappings: new Map([...reg.mappings].filter(([, m]) => m.usable)),
  };
  checkLookupCycles(usable, issues);
  checkModuleSharing(usable, issues);
  return issues.items;
}
