/**
 * The columns a PeopleSoft query must return (the data contract of docs/peoplesoft.md, "Your own
 * queries"), and which source fields each column feeds, so that what a customer's query lacks can
 * be said: which fields, and which Zoho fields a mapping writes from them, stay empty without it.
 * Used by `validate` (what it can know from the configuration), by `check` (the columns of one
 * real row) and by a read (one warning per missing column). Pure data and functions.
 */
import type { Mapping } from './types.generated.js';
import type { SourceEntity } from './source-fields.js';

export const DEFAULT_EMPLOYEE_COLUMNS = [
  'EMPLID', 'EMPL_RCD', 'EFFDT', 'EFFSEQ', 'ACTION', 'ACTION_REASON', 'ACTION_DT', 'EMPL_STATUS',
  'HR_STATUS', 'PER_ORG', 'DEPTID', 'DEPT_DESCR', 'JOBCODE', 'JOB_TITLE', 'LOCATION', 'COMPANY',
  'BUSINESS_UNIT', 'SUPERVISOR_ID', 'VENDOR_SETID', 'VENDOR_ID', 'LASTUPDDTTM', 'FIRST_NAME',
  'LAST_NAME', 'NAME_DISPLAY', 'PREF_FIRST_NAME', 'EMAIL_PREF_TYPE', 'PHONE_PREF_TYPE', 'PERSON_LASTUPD',
] as const;

export const DEFAULT_VENDOR_COLUMNS = [
  'SETID', 'VENDOR_ID', 'NAME1', 'NAME2', 'VENDOR_STATUS', 'VENDOR_CLASS', 'VENDOR_PERSISTENCE',
  'ADDRESS_SEQ_NUM', 'ADDR_EFFDT', 'ADDR_EFF_STATUS', 'ADDRESS1', 'ADDRESS2', 'ADDRESS3', 'ADDRESS4',
  'CITY', 'STATE', 'POSTAL', 'COUNTRY', 'EMAILID', 'PHONE', 'PYMNT_TERMS_CD', 'LAST_ACTIVITY_DT',
] as const;

/** PS_DEPT_TBL: one row per department and effective date. */
export const DEFAULT_DEPARTMENT_COLUMNS = [
  'SETID', 'DEPTID', 'EFFDT', 'EFF_STATUS', 'DESCR', 'DESCRSHORT', 'COMPANY', 'MANAGER_ID', 'LOCATION',
] as const;

/** What decides the email, phone and cursor columns (a connection's normalization and change detection). */
export interface ColumnChoices {
  emailTypes: string[];
  phoneTypes: string[];
  cursorField: string;
}

/** Every canonical column of an entity's rows, email and phone columns of the configured types included. */
export function canonicalColumns(entity: SourceEntity, o: ColumnChoices): string[] {
  if (entity === 'vendors') return [...DEFAULT_VENDOR_COLUMNS];
  if (entity === 'departments') return [...DEFAULT_DEPARTMENT_COLUMNS, ...(DEFAULT_DEPARTMENT_COLUMNS.includes(o.cursorField as never) ? [] : [o.cursorField])];
  const cols: string[] = [...DEFAULT_EMPLOYEE_COLUMNS, ...o.emailTypes.map((t) => `EMAIL_${t}`), ...o.phoneTypes.map((t) => `PHONE_${t}`)];
  if (!cols.includes(o.cursorField)) cols.push(o.cursorField);
  return [...new Set(cols)];
}

/** A field needs every column of `all`, and at least one of `any` when given. */
export interface Need {
  all: string[];
  any?: string[];
}

const same = (...names: string[]): Record<string, Need> => Object.fromEntries(names.map((n) => [n, { all: [n] }]));

/** The columns each source field is computed from, for queries and REST operations (rows). */
export function fieldNeeds(entity: SourceEntity, o: ColumnChoices): Record<string, Need> {
  if (entity === 'departments') {
    return {
      ...same('SETID', 'DEPTID', 'DESCR', 'DESCRSHORT', 'COMPANY', 'MANAGER_ID', 'LOCATION', 'EFFDT', 'EFF_STATUS'),
      DEPT_KEY: { all: ['SETID', 'DEPTID'] },
      STATUS: { all: ['EFFDT'], any: ['EFF_STATUS'] },
    };
  }
  if (entity === 'employees') {
    const status = ['EMPL_STATUS', 'HR_STATUS'];
    return {
      ...same('EMPLID', 'EMPL_RCD', 'FIRST_NAME', 'LAST_NAME', 'PREF_FIRST_NAME', 'NAME_DISPLAY', 'EMAIL_BUSN', 'EMAIL_HOME',
        'PHONE_BUSN', 'PHONE_CELL', 'PHONE_HOME', 'DEPTID', 'DEPT_DESCR', 'JOBCODE', 'JOB_TITLE', 'LOCATION', 'COMPANY',
        'BUSINESS_UNIT', 'PER_ORG', 'SUPERVISOR_ID', 'VENDOR_SETID', 'VENDOR_ID', 'ACTION', 'ACTION_REASON', 'EFFDT',
        'EMPL_STATUS', 'HR_STATUS'),
      EMAIL: { all: [], any: o.emailTypes.map((t) => `EMAIL_${t}`) },
      EMAIL_TYPE: { all: [], any: o.emailTypes.map((t) => `EMAIL_${t}`) },
      PHONE: { all: [], any: o.phoneTypes.map((t) => `PHONE_${t}`) },
      PHONE_TYPE: { all: [], any: o.phoneTypes.map((t) => `PHONE_${t}`) },
      VENDOR_KEY: { all: ['PER_ORG', 'VENDOR_SETID', 'VENDOR_ID'] },
      STATUS: { all: [], any: status },
      TERMINATION_DT: { all: ['EFFDT'], any: status },
      EVENT: { all: ['ACTION'] },
      HIRE_DT: { all: ['EFFDT', 'ACTION'] },
      LASTUPDDTTM: { all: [], any: [o.cursorField, 'PERSON_LASTUPD'] },
    };
  }
  const address = (c: string): Need => ({ all: ['ADDRESS_SEQ_NUM', c] });
  return {
    ...same('NAME1', 'NAME2', 'VENDOR_STATUS', 'VENDOR_CLASS', 'VENDOR_PERSISTENCE', 'PYMNT_TERMS_CD', 'LAST_ACTIVITY_DT'),
    SETID: { all: ['SETID'] },
    VENDOR_ID: { all: ['VENDOR_ID'] },
    VENDOR_KEY: { all: ['SETID', 'VENDOR_ID'] },
    STATUS: { all: ['VENDOR_STATUS'] },
    ...Object.fromEntries(['ADDRESS1', 'ADDRESS2', 'ADDRESS3', 'ADDRESS4', 'CITY', 'STATE', 'POSTAL', 'COUNTRY', 'EMAILID', 'PHONE'].map((c) => [c, address(c)])),
    // Vendor rows carry addresses only; contacts come from a component interface (VENDOR_CNTCT).
    CONTACT_NAME: { all: ['VENDOR_CNTCT'] },
    CONTACT_EMAIL: { all: ['VENDOR_CNTCT'] },
    CONTACT_PHONE: { all: ['VENDOR_CNTCT'] },
  };
}

/** A column (or a group of which none is present) and the source fields that stay empty without it. */
export interface QueryGap {
  /** The column, or `A or B` for a group of which one would do. */
  column: string;
  fields: string[];
}

/**
 * The columns `present` lacks, each with the fields it leaves empty. With `fieldsWanted`, only
 * those fields count (the ones a mapping reads); otherwise every field does.
 */
export function findQueryGaps(needs: Record<string, Need>, present: ReadonlySet<string>, fieldsWanted?: Iterable<string>): QueryGap[] {
  const wanted = fieldsWanted === undefined ? Object.keys(needs) : [...fieldsWanted].filter((f) => f in needs);
  const gaps = new Map<string, string[]>();
  const add = (column: string, field: string): void => {
    const list = gaps.get(column) ?? [];
    if (!list.includes(field)) list.push(field);
    gaps.set(column, list);
  };
  for (const field of wanted) {
    const need = needs[field]!;
    for (const c of need.all) if (!present.has(c)) add(c, field);
    if (need.any !== undefined && need.any.length > 0 && !need.any.some((c) => present.has(c))) add(need.any.join(' or '), field);
  }
  return [...gaps].map(([column, fields]) => ({ column, fields }));
}

/**
 * One sentence for a gap: the column, and the Zoho fields that stay empty (`zohoFields`: source
 * field → the Zoho fields a mapping writes from it), or the source fields when no mapping is known.
 */
export function describeGap(gap: QueryGap, what: string, zohoFields?: Readonly<Record<string, readonly string[]>>): { message: string; zoho: string[] } {
  const zoho = zohoFields === undefined ? [] : [...new Set(gap.fields.flatMap((f) => zohoFields[f] ?? []))].sort();
  const empty = zoho.length > 0 ? `Zoho field${zoho.length > 1 ? 's' : ''} ${zoho.join(', ')} stay${zoho.length > 1 ? '' : 's'} empty (from ${gap.fields.join(', ')})` : `${gap.fields.join(', ')} stay${gap.fields.length > 1 ? '' : 's'} empty`;
  const fix = gap.column === 'VENDOR_CNTCT'
    ? 'contacts come only from a component interface reader (VENDOR_CI\'s VENDOR_CNTCT)'
    : `add ${gap.column.includes(' or ') ? 'one of these columns' : 'the column'} to the query, or name the query's own column in the reader's \`columns\``;
  const lacks = gap.column === 'VENDOR_CNTCT' ? 'carries no vendor contacts' : `returns no ${gap.column}`;
  return { message: `${what} ${lacks}: ${empty}; ${fix}`, zoho };
}

const PLACEHOLDER = /\{([^{}\s]*)\}/g;

/**
 * Source field → the Zoho fields a mapping writes from it (`from`, `map.from`, template and lookup
 * placeholders, `when` conditions), for reporting what a missing column leaves empty.
 */
export function zohoFieldsBySource(mapping: Pick<Mapping, 'fields'>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const add = (source: string | undefined, to: string): void => {
    if (source === undefined || source === '') return;
    const list = (out[source] ??= []);
    if (!list.includes(to)) list.push(to);
  };
  for (const f of mapping.fields) {
    add(f.from, f.to);
    add(f.map?.from, f.to);
    add(f.when?.field, f.to);
    for (const t of [f.template, f.lookup?.key]) if (t) for (const m of t.matchAll(PLACEHOLDER)) add(m[1], f.to);
  }
  return out;
}
