/**
 * The fields of a normalized source record, per entity: what mappings may read (`from`, templates,
 * conditions). The PeopleSoft connector's normalizer produces exactly these; the validator checks
 * mappings against them so a typo is caught before any run.
 */
export const SOURCE_FIELDS = {
  employees: [
    'EMPLID', 'EMPL_RCD',
    'FIRST_NAME', 'LAST_NAME', 'PREF_FIRST_NAME', 'NAME_DISPLAY',
    'EMAIL', 'EMAIL_TYPE', 'EMAIL_BUSN', 'EMAIL_HOME',
    'PHONE', 'PHONE_TYPE', 'PHONE_BUSN', 'PHONE_CELL', 'PHONE_HOME',
    'DEPTID', 'DEPT_DESCR', 'JOBCODE', 'JOB_TITLE', 'LOCATION', 'COMPANY', 'BUSINESS_UNIT',
    'PER_ORG', 'SUPERVISOR_ID', 'VENDOR_SETID', 'VENDOR_ID', 'VENDOR_KEY',
    'ACTION', 'ACTION_REASON', 'EFFDT', 'EMPL_STATUS', 'HR_STATUS',
    'STATUS', 'EVENT', 'HIRE_DT', 'TERMINATION_DT', 'LASTUPDDTTM',
  ],
  vendors: [
    'SETID', 'VENDOR_ID', 'VENDOR_KEY', 'NAME1', 'NAME2',
    'VENDOR_STATUS', 'STATUS', 'VENDOR_CLASS', 'VENDOR_PERSISTENCE',
    'ADDRESS1', 'ADDRESS2', 'ADDRESS3', 'ADDRESS4', 'CITY', 'STATE', 'POSTAL', 'COUNTRY',
    'EMAILID', 'PHONE', 'PYMNT_TERMS_CD', 'LAST_ACTIVITY_DT',
    'CONTACT_NAME', 'CONTACT_EMAIL', 'CONTACT_PHONE', 'EVENT',
  ],
  departments: [
    'SETID', 'DEPTID', 'DEPT_KEY', 'DESCR', 'DESCRSHORT', 'COMPANY', 'MANAGER_ID', 'LOCATION',
    'EFFDT', 'EFF_STATUS', 'STATUS', 'EVENT',
  ],
} as const;

export type SourceEntity = keyof typeof SOURCE_FIELDS;

/**
 * The source field that holds each entity's key, the default external id. Static records
 * (`source.static`) carry their `key` as the field KEY, next to the fields written for them.
 */
export const SOURCE_KEY: Record<SourceEntity | 'static', string> = { employees: 'EMPLID', vendors: 'VENDOR_KEY', departments: 'DEPT_KEY', static: 'KEY' };
