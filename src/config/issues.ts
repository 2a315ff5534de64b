/**
 * Configuration problems as data. The loader returns them all at once; only the CLI prints them.
 * Every code below is stable: scripts and tests match on it, so add codes, never rename them.
 */
export interface ConfigIssue {
  /** File path as the user would type it (relative to the working directory when inside it). */
  file: string;
  /** 1-based line and column; 0 when the issue concerns the whole file or directory. */
  line: number;
  column: number;
  /** Dotted path inside the document, e.g. `auth.password` or `fields[3].from`; '' for the file. */
  path: string;
  code: string;
  severity: 'error' | 'warning';
  message: string;
}

/** Every issue code the loader can report, with what it means (used by docs and tests). */
export const ISSUE_CODES = {
  CONFIG_DIR_NOT_FOUND: 'the configuration directory does not exist or is not a directory',
  CONFIG_NO_FILES: 'the configuration directory holds no *.yaml or *.yml file',
  CONFIG_FILE_TOO_LARGE: 'a file is larger than the 1 MiB limit and was not parsed',
  CONFIG_UNREADABLE: 'a file or directory cannot be read (permissions)',
  CONFIG_NOT_YAML: 'a *.yaml file is not text (binary content or invalid UTF-8)',
  CONFIG_EMPTY_FILE: 'a file holds no document (warning)',
  CONFIG_YAML_SYNTAX: 'YAML syntax error (bad indentation, tabs, unclosed quotes or brackets, ...)',
  CONFIG_DUPLICATE_KEY: 'the same key twice in one YAML mapping',
  CONFIG_ALIAS_LIMIT: 'too many YAML alias expansions (an alias bomb): refused',
  CONFIG_NOT_A_DOCUMENT: 'a YAML document is not a mapping with apiVersion, kind and name',
  CONFIG_UNKNOWN_KIND: 'missing or unknown `kind`',
  CONFIG_UNKNOWN_KEY: 'a key the schema does not define (with a did-you-mean)',
  CONFIG_MISSING_FIELD: 'a required field is missing',
  CONFIG_WRONG_TYPE: 'a value of the wrong type (string for a number, ...)',
  CONFIG_INVALID_VALUE: 'a value outside its enum, pattern, format or range',
  CONFIG_LITERAL_SECRET: 'a credential field holds a literal value instead of ${env:...} or ${secret:...}',
  CONFIG_UNSET_ENV: 'an ${env:NAME} reference without default whose variable is not set (warning)',
  CONFIG_SECRET_OUTSIDE_CREDENTIAL: 'a ${secret:...} reference in a field that is not a credential',
  CONFIG_MULTIPLE_PROJECTS: 'more than one Project document',
  CONFIG_DUPLICATE_NAME: 'two documents of the same kind with the same name',
  CONFIG_UNKNOWN_CONNECTION: 'a mapping names a connection that does not exist',
  CONFIG_WRONG_CONNECTION_KIND: 'a mapping names a connection of the wrong kind (Zoho as source, ...)',
  CONFIG_NO_READER: "the mapping's entity has no reader on its PeopleSoft connection",
  CONFIG_READER_KIND: 'a component interface reader for employees or departments (it reads vendors only)',
  CONFIG_UNKNOWN_MAPPING: 'a schedule or lookup names a mapping that does not exist',
  CONFIG_LOOKUP_CYCLE: 'mappings look each other up in a cycle',
  CONFIG_BAD_CRON: 'a cron expression that cannot be read',
  CONFIG_BAD_TIMEZONE: 'a time zone that is not an IANA zone known to this Node.js',
  CONFIG_EXTERNAL_ID: 'externalId missing, or its field also listed in fields',
  CONFIG_FIELD_SOURCE: 'a field with none or several of from/value/template/map/lookup',
  CONFIG_DUPLICATE_TARGET_FIELD: 'one mapping writes the same Zoho field twice',
  CONFIG_FIELD_CONFLICT: 'two mappings of different sources share an external-id field in one module, or one writes the external-id field of another',
  CONFIG_SCOPE_OVERLAP: 'two mappings write one module from the same source and their source.include scopes can overlap',
  CONFIG_MATCH_FIELD: 'a match rule names a field the mapping does not write (or a lookup), or normalize names a field not in the rule',
  CONFIG_STATIC_DUPLICATE_KEY: 'two static records of one mapping have the same key',
  CONFIG_UNKNOWN_SOURCE_FIELD: 'a source field that the entity does not have (with a did-you-mean)',
  CONFIG_DEACTIVATE_UNDEFINED: 'deactivation is used but `deactivate.set` is not defined',
  CONFIG_MODULE_UNAVAILABLE: "the target module does not exist in the connection's Zoho edition (Vendors below Professional)",
  CONFIG_UNCONFIRMED_REGION: 'region uk without experimental.unconfirmedRegions',
  CONFIG_OAUTH2_INCOMPLETE: 'PeopleSoft oauth2 auth with neither token nor tokenUrl+clientId+clientSecret',
  CONFIG_TLS_UNVERIFIED: 'tls.rejectUnauthorized is false (warning)',
  CONFIG_TOOLS_VERSION: "a feature the connection's PeopleTools release lacks (OAuth2 and component interface readers need 8.58, QAS JSON 8.55)",
  CONFIG_HISTORY_VENDORS: 'history: changed-rows on a vendors reader (it completes JOB histories, which are employees\'\')',
  CONFIG_UNKNOWN_COLUMN: "a reader's `columns` names a column ml-connector does not read (warning, with a did-you-mean)",
  CONFIG_SOURCE_UNFED: "a mapping reads a source field its reader cannot feed, so the Zoho field stays empty (warning)",
  CONFIG_GUARD_OFF: 'a mapping turns off a guard that is on by default (warning)',
} as const;

export type IssueCode = keyof typeof ISSUE_CODES;

/** "configs/x.yaml:12:5 error CODE message" (no position when the issue is about a whole file). */
export function formatIssue(i: ConfigIssue): string {
  const where = i.line > 0 ? `${i.file}:${i.line}:${i.column}` : i.file;
  return `${where} ${i.severity} ${i.code} ${i.message}`;
}

/** Sort by file, then line, then column; errors before warnings at the same place. */
export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      a.column - b.column ||
      (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1),
  );
}

/** Dotted display of a document path: ['fields', 3, 'from'] → `fields[3].from`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}
