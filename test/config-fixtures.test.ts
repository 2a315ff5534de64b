/**
 * The broken-configuration corpus: each directory under test/fixtures/config/ is one mistake a user
 * makes, and each row says exactly what `validate` must answer: file, line, column, code and the
 * sentence that tells the user what to do. Every issue is listed, so added noise fails too.
 */
import { describe, expect, test } from 'vitest';
import { loadConfig, type ConfigIssue } from '../src/config/index.js';

interface Expected {
  file: string;
  line: number;
  column?: number;
  code: string;
  severity?: 'error' | 'warning';
  message: string | RegExp;
}

interface Row {
  name: string;
  env?: Record<string, string>;
  issues: Expected[];
}

const rows: Row[] = [
  { name: 'bad-indentation', issues: [
    { file: 'mapping.yaml', line: 6, column: 15, code: 'CONFIG_YAML_SYNTAX', message: /bad indentation or a missing ':'.*indented like its siblings/ },
    { file: 'mapping.yaml', line: 6, column: 15, code: 'CONFIG_YAML_SYNTAX', message: /bad indentation/ },
  ] },
  { name: 'tab-characters', issues: [
    { file: 'mapping.yaml', line: 6, column: 1, code: 'CONFIG_YAML_SYNTAX', message: 'tab character used for indentation: YAML indents with spaces only; replace the tab with spaces' },
    { file: 'mapping.yaml', line: 7, column: 1, code: 'CONFIG_YAML_SYNTAX', message: /tab character/ },
  ] },
  { name: 'duplicate-keys', issues: [
    { file: 'mapping.yaml', line: 10, column: 1, code: 'CONFIG_DUPLICATE_KEY', message: "duplicate key 'name': a key may appear only once in a mapping; remove or rename one of them" },
  ] },
  { name: 'unknown-key-did-you-mean', issues: [
    { file: 'zoho.yaml', line: 5, column: 1, code: 'CONFIG_UNKNOWN_KEY', message: "unknown key 'editoin' in ZohoConnection: did you mean 'edition'?" },
  ] },
  { name: 'unknown-key-near-required', issues: [
    { file: 'hcm.yaml', line: 5, column: 1, code: 'CONFIG_UNKNOWN_KEY', message: "unknown key 'baseURL' in PeopleSoftConnection: did you mean 'baseUrl'?" },
  ] },
  { name: 'module-not-in-edition', issues: [
    { file: 'mapping.yaml', line: 5, column: 37, code: 'CONFIG_MODULE_UNAVAILABLE', message: "module Vendors exists only from the Professional edition up, and ZohoConnection 'zoho' has edition: standard: write to Accounts instead, or correct the edition" },
  ] },
  { name: 'wrong-type', issues: [
    { file: 'hcm.yaml', line: 8, column: 57, code: 'CONFIG_WRONG_TYPE', message: "wrong type for readers.employees.maxRows: expected an integer, got a string ('5000'): write 5000 without quotes" },
  ] },
  { name: 'missing-required-field', issues: [
    { file: 'mapping.yaml', line: 1, column: 1, code: 'CONFIG_MISSING_FIELD', message: "missing required field 'target' in this Mapping: Where the records go." },
  ] },
  { name: 'unknown-connection', issues: [
    { file: 'mapping.yaml', line: 4, column: 23, code: 'CONFIG_UNKNOWN_CONNECTION', message: "unknown PeopleSoftConnection 'hcn' in source.connection: did you mean 'hcm'?" },
  ] },
  { name: 'wrong-connection-kind', issues: [
    { file: 'mapping.yaml', line: 4, column: 23, code: 'CONFIG_WRONG_CONNECTION_KIND', message: "source.connection 'zoho' is a ZohoConnection: a mapping's source must be a PeopleSoftConnection (defined: hcm)" },
  ] },
  { name: 'duplicate-names', issues: [
    { file: 'more.yaml', line: 4, column: 7, code: 'CONFIG_DUPLICATE_NAME', message: /^duplicate PeopleSoftConnection name 'hcm': already used at .*duplicate-names\/connections\.yaml:4:7; names must be unique per kind$/ },
  ] },
  { name: 'literal-password', issues: [
    { file: 'hcm.yaml', line: 6, column: 51, code: 'CONFIG_LITERAL_SECRET', message: 'auth.password holds a literal value: secrets do not belong in git: use ${env:NAME} or ${secret:NAME}' },
  ] },
  { name: 'unset-env', issues: [
    { file: 'hcm.yaml', line: 5, column: 10, code: 'CONFIG_UNSET_ENV', severity: 'warning', message: '${env:ML_FIXTURE_HCM_URL} in baseUrl is not set and has no default: set ML_FIXTURE_HCM_URL, or write ${env:ML_FIXTURE_HCM_URL:-default}' },
  ] },
  { name: 'env-value-invalid', env: { ML_FIXTURE_HCM_URL: 'hcm.example.com' }, issues: [
    { file: 'hcm.yaml', line: 5, column: 10, code: 'CONFIG_INVALID_VALUE', message: /^invalid baseUrl 'hcm\.example\.com': Scheme, host and port .*e\.g\. `https:\/\/hr\.example\.com:8443`\. \(resolved from '\$\{env:ML_FIXTURE_HCM_URL:-https:\/\/hcm\.example\.com:8443\}'\)$/ },
  ] },
  { name: 'secret-outside-credential', issues: [
    { file: 'hcm.yaml', line: 6, column: 32, code: 'CONFIG_SECRET_OUTSIDE_CREDENTIAL', message: /^auth\.username is not a credential field: \$\{secret:\.\.\.\} works only in credential fields/ },
  ] },
  { name: 'bad-cron', issues: [
    { file: 'schedule.yaml', line: 4, column: 7, code: 'CONFIG_BAD_CRON', message: "invalid cron '0 25 * * *': Invalid value for hour: 25; use five fields (minute hour day-of-month month day-of-week), e.g. '0 6 * * *' for 06:00 every day" },
  ] },
  { name: 'bad-timezone', issues: [
    { file: 'schedule.yaml', line: 5, column: 11, code: 'CONFIG_BAD_TIMEZONE', message: "unknown time zone 'America/Chicgo': did you mean 'America/Chicago'?" },
  ] },
  { name: 'unknown-region', issues: [
    { file: 'zoho.yaml', line: 4, column: 9, code: 'CONFIG_INVALID_VALUE', message: "unknown region 'europe': use one of us, eu, in, au, jp, cn, ca, sa" },
  ] },
  { name: 'unconfirmed-region', issues: [
    { file: 'zoho.yaml', line: 4, column: 9, code: 'CONFIG_UNCONFIRMED_REGION', message: /^region 'uk' is not confirmed .*set experimental\.unconfirmedRegions: true/ },
  ] },
  { name: 'invalid-email', issues: [
    { file: 'project.yaml', line: 10, column: 9, code: 'CONFIG_INVALID_VALUE', message: "invalid email address 'crm-admins.example.com' in alerts.email.to[1]: write it as name@example.com" },
  ] },
  { name: 'external-id-missing', issues: [
    { file: 'mapping.yaml', line: 1, column: 1, code: 'CONFIG_EXTERNAL_ID', message: "missing required field 'externalId' in this Mapping: The Zoho field that holds the PeopleSoft key." },
  ] },
  { name: 'external-id-in-fields', issues: [
    { file: 'mapping.yaml', line: 9, column: 11, code: 'CONFIG_EXTERNAL_ID', message: "'PeopleSoft_Employee_ID' is the external-id field (externalId.field): ml-connector writes it from externalId.from; remove it from fields" },
  ] },
  { name: 'scope-overlap', issues: [
    { file: 'people.yaml', line: 4, column: 1, code: 'CONFIG_SCOPE_OVERLAP', message: /^mappings 'contractors' and 'people' both write Contacts \(connection 'zoho'\) from employees of hcm, and their scopes can overlap \('contractors' has no source\.include, 'people' has no source\.include\): a record in both would be written twice; give each a source\.include on the same field with values that cannot meet, e\.g\. \{ field: PER_ORG, equals: EMP \} and \{ field: PER_ORG, equals: CWR \}$/ },
  ] },
  { name: 'scopes-disjoint', issues: [] },
  { name: 'external-id-shared', issues: [
    { file: 'mappings.yaml', line: 18, column: 22, code: 'CONFIG_FIELD_CONFLICT', message: /^Contacts\.PeopleSoft_Employee_ID \(connection 'zoho'\) is also the external-id field of mapping 'people' \(.*mappings\.yaml:6:22\), which reads employees of hcm: keys of two sources in one field could name the same Zoho record; give each source its own external-id field$/ },
    { file: 'mappings.yaml', line: 34, column: 11, code: 'CONFIG_FIELD_CONFLICT', message: /^Contacts\.PeopleSoft_Employee_ID \(connection 'zoho'\) is the external-id field of mapping 'people' \(.*mappings\.yaml:6:22\): another mapping must not write it, or it would change which record is whose$/ },
  ] },
  { name: 'match-field', issues: [
    { file: 'mapping.yaml', line: 12, column: 16, code: 'CONFIG_MATCH_FIELD', message: "match[0] uses E_mail, not written by this mapping (did you mean 'Email'?): a rule compares the values the mapping writes, so use fields from fields[].to (Last_Name, Email)" },
    { file: 'mapping.yaml', line: 13, column: 27, code: 'CONFIG_MATCH_FIELD', message: 'match[1] uses Account_Name, a lookup (its value is another Zoho record), which a match rule cannot compare: a rule compares the values the mapping writes, so use fields from fields[].to (Last_Name, Email)' },
    { file: 'mapping.yaml', line: 13, column: 55, code: 'CONFIG_MATCH_FIELD', message: 'match[1].normalize names Phone, which is not a field of this rule (Last_Name, Account_Name)' },
  ] },
  { name: 'static-records', issues: [
    { file: 'firm.yaml', line: 7, column: 14, code: 'CONFIG_STATIC_DUPLICATE_KEY', message: /^static record key 'MLP' is used twice \(first at .*firm\.yaml:6:14\): each static record needs its own key, its external id$/ },
    { file: 'firm.yaml', line: 12, column: 26, code: 'CONFIG_UNKNOWN_SOURCE_FIELD', message: "unknown static record field 'WEBSITE' in fields[1].from: the static records define KEY, NAME" },
  ] },
  { name: 'duplicate-target-field', issues: [
    { file: 'mapping.yaml', line: 10, column: 11, code: 'CONFIG_DUPLICATE_TARGET_FIELD', message: /^Zoho field 'Email' is written twice by this mapping \(first at .*mapping\.yaml:9:11\): keep one entry per field$/ },
  ] },
  { name: 'field-source', issues: [
    { file: 'mapping.yaml', line: 8, column: 39, code: 'CONFIG_FIELD_SOURCE', message: 'fields[0] (Last_Name) has both from and value: keep exactly one of from, value, template, map or lookup' },
    { file: 'mapping.yaml', line: 9, column: 5, code: 'CONFIG_FIELD_SOURCE', message: 'fields[1] (Email) has no value: give exactly one of from, value, template, map or lookup' },
  ] },
  { name: 'unknown-template-placeholder', issues: [
    { file: 'mapping.yaml', line: 9, column: 46, code: 'CONFIG_UNKNOWN_SOURCE_FIELD', message: "template placeholder {LASTNAME} is not a field of employees: did you mean 'LAST_NAME'?" },
  ] },
  { name: 'unknown-source-field', issues: [
    { file: 'mapping.yaml', line: 8, column: 29, code: 'CONFIG_UNKNOWN_SOURCE_FIELD', message: "unknown employees field 'FIRSTNAME' in fields[0].from: did you mean 'FIRST_NAME'?" },
  ] },
  { name: 'reader-kind', issues: [
    { file: 'hcm.yaml', line: 8, column: 24, code: 'CONFIG_READER_KIND', message: 'readers.departments is a component interface reader, which can read vendors only: read departments with a qas (PS Query) or rest (service operation) reader' },
  ] },
  { name: 'no-reader', issues: [
    { file: 'mapping.yaml', line: 4, column: 36, code: 'CONFIG_NO_READER', message: "PeopleSoftConnection 'hcm' has no reader for vendors: add readers.vendors to it" },
  ] },
  { name: 'deactivate-undefined', issues: [
    { file: 'mapping.yaml', line: 3, column: 7, code: 'CONFIG_DEACTIVATE_UNDEFINED', message: /^mapping 'people' deactivates removed records \(onRemove defaults to deactivate\) but has no deactivate\.set: add `deactivate: \{ set: \{ Field: Value \} \}`/ },
    { file: 'mapping.yaml', line: 10, column: 26, code: 'CONFIG_DEACTIVATE_UNDEFINED', message: /^lifecycle\.termination deactivates, but the mapping has no deactivate\.set/ },
  ] },
  { name: 'unknown-mapping-in-schedule', issues: [
    { file: 'schedule.yaml', line: 6, column: 20, code: 'CONFIG_UNKNOWN_MAPPING', message: "unknown mapping 'poeple-sync' in mappings[1] (defined: people)" },
  ] },
  { name: 'lookup-cycle', issues: [
    { file: 'b.yaml', line: 8, column: 39, code: 'CONFIG_LOOKUP_CYCLE', message: /^lookup cycle managers → assistants → managers: .*remove one of these lookups$/ },
  ] },
  { name: 'oauth2-incomplete', issues: [
    { file: 'hcm.yaml', line: 6, column: 1, code: 'CONFIG_OAUTH2_INCOMPLETE', message: 'auth type oauth2 needs either token, or tokenUrl, clientId and clientSecret (missing: clientSecret)' },
  ] },
  { name: 'peoplesoft-releases', issues: [
    { file: 'hcm.yaml', line: 6, column: 15, code: 'CONFIG_TOOLS_VERSION', message: 'auth type oauth2 needs PeopleTools 8.58 or later, and toolsVersion is 8.54: use auth type basic, or correct toolsVersion' },
    { file: 'hcm.yaml', line: 11, column: 22, code: 'CONFIG_TOOLS_VERSION', message: 'QAS answers JSON from PeopleTools 8.55 on, and toolsVersion is 8.54: set format: xmlp on readers.employees' },
    { file: 'hcm.yaml', line: 11, column: 78, code: 'CONFIG_UNKNOWN_COLUMN', severity: 'warning', message: "readers.employees.columns names DEPT_DESC, which ml-connector does not read: did you mean 'DEPT_DESCR'?" },
    { file: 'hcm.yaml', line: 12, column: 20, code: 'CONFIG_TOOLS_VERSION', message: /^a component interface reader \(CI REST services\) needs PeopleTools 8\.58/ },
    { file: 'hcm.yaml', line: 21, column: 53, code: 'CONFIG_HISTORY_VENDORS', message: /^history: changed-rows completes JOB histories, which only employee readers have/ },
  ] },
  { name: 'unfed-and-off', issues: [
    { file: 'mapping.yaml', line: 9, column: 34, code: 'CONFIG_SOURCE_UNFED', severity: 'warning', message: "readers.vendors of 'fscm' (query ML_VENDORS) carries no vendor contacts: Zoho field Description stays empty (from CONTACT_NAME); contacts come only from a component interface reader (VENDOR_CI's VENDOR_CNTCT)" },
    { file: 'mapping.yaml', line: 12, column: 21, code: 'CONFIG_GUARD_OFF', severity: 'warning', message: /^guards\.maxDeactivations is off for mapping 'vendors': this guard, on by default/ },
    { file: 'mapping.yaml', line: 14, column: 18, code: 'CONFIG_GUARD_OFF', severity: 'warning', message: /^guards\.minSourceRows is off/ },
  ] },
  { name: 'unknown-auth-type', issues: [
    { file: 'hcm.yaml', line: 6, column: 15, code: 'CONFIG_INVALID_VALUE', message: "unknown auth type 'bsic': use one of basic, oauth2: did you mean 'basic'?" },
  ] },
  { name: 'unknown-transform', issues: [
    { file: 'mapping.yaml', line: 8, column: 58, code: 'CONFIG_INVALID_VALUE', message: "unknown value 'uper' in fields[0].transforms: use one of trim, upper, lower, title, collapse-spaces, email, phone, empty-to-null: did you mean 'upper'?" },
  ] },
  { name: 'bad-guard', issues: [
    { file: 'mapping.yaml', line: 11, column: 21, code: 'CONFIG_INVALID_VALUE', message: "invalid guards.maxDeactivations '10 percent': A percentage between 0% and 100%." },
    { file: 'mapping.yaml', line: 12, column: 12, code: 'CONFIG_WRONG_TYPE', message: 'wrong type for guards.maxDrop: got a boolean (true); use an absolute count, or a percentage between 0% and 100%, or `off`, which turns the guard off' },
  ] },
  { name: 'unknown-lifecycle-event', issues: [
    { file: 'mapping.yaml', line: 12, column: 3, code: 'CONFIG_UNKNOWN_KEY', message: "unknown key 'fired' in lifecycle: valid keys are hire, rehire, transfer, termination, leave, return, retirement" },
    { file: 'mapping.yaml', line: 12, column: 20, code: 'CONFIG_DEACTIVATE_UNDEFINED', message: /^lifecycle\.fired deactivates/ },
  ] },
  { name: 'multiple-projects', issues: [
    { file: 'project.yaml', line: 2, column: 7, code: 'CONFIG_MULTIPLE_PROJECTS', message: /^a second Project 'northwind' \(the first, 'northwind-copy', is at .*other\.yaml:2:7\): keep one Project per configuration directory$/ },
  ] },
  { name: 'unknown-kind', issues: [
    { file: 'doc.yaml', line: 2, column: 7, code: 'CONFIG_UNKNOWN_KIND', message: "unknown kind 'Mappin': use one of Project, PeopleSoftConnection, ZohoConnection, Mapping, Schedule: did you mean 'Mapping'?" },
  ] },
  { name: 'wrong-api-version', issues: [
    { file: 'project.yaml', line: 1, column: 13, code: 'CONFIG_INVALID_VALUE', message: "apiVersion must be 'ml-connector/v1', not 'v1'" },
  ] },
  { name: 'unicode-names', issues: [
    { file: 'project.yaml', line: 5, column: 23, code: 'CONFIG_BAD_TIMEZONE', message: "unknown time zone 'Europe/Zürich': did you mean 'Europe/Zurich'?" },
    // Columns count characters: the ü before it on the same line is one.
    { file: 'project.yaml', line: 5, column: 58, code: 'CONFIG_WRONG_TYPE', message: "wrong type for defaults.maskPersonalData: expected true or false, got a string ('ja')" },
    { file: 'zoho.yaml', line: 4, column: 7, code: 'CONFIG_INVALID_VALUE', message: "invalid name 'zoho-zürich': Name of this document, unique per kind: lower-case letters, digits and hyphens (like a DNS label), 1-63 characters." },
  ] },
  { name: 'empty-file', issues: [
    { file: 'empty.yaml', line: 0, column: 0, code: 'CONFIG_EMPTY_FILE', severity: 'warning', message: /empty\.yaml is empty: it holds no configuration document$/ },
  ] },
  { name: 'non-yaml-text', issues: [
    { file: 'notes.yaml', line: 1, column: 1, code: 'CONFIG_NOT_A_DOCUMENT', message: /^this document is a string \("Remember to ask.*\), not a mapping: a configuration document has the keys apiVersion, kind and name$/ },
  ] },
  { name: 'no-config', issues: [
    { file: 'no-config', line: 0, column: 0, code: 'CONFIG_NO_FILES', message: /^no \*\.yaml or \*\.yml files under '.*no-config': point --config at your configuration directory/ },
  ] },
  { name: 'anchors-aliases-ok', issues: [] },
  { name: 'alias-bomb', issues: [
    { file: 'bomb.yaml', line: 5, column: 8, code: 'CONFIG_ALIAS_LIMIT', message: 'aliases expand to more than 200 copies (a YAML "billion laughs" document): refused; use fewer aliases' },
  ] },
];

function summary(i: ConfigIssue): string {
  return `${i.file}:${i.line}:${i.column} ${i.severity} ${i.code} ${i.message}`;
}

describe('broken configurations: each names the file, the line and what to do', () => {
  test.each(rows)('$name', async (row) => {
    const started = performance.now();
    const result = await loadConfig(`test/fixtures/config/${row.name}`, { env: row.env ?? {} });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(result.issues.length, result.issues.map(summary).join('\n')).toBe(row.issues.length);
    row.issues.forEach((want, n) => {
      const got = result.issues[n];
      if (got === undefined) throw new Error(`issue ${n} missing`);
      expect(got.file.endsWith(want.file), `${got.file} should be ${want.file}`).toBe(true);
      expect({ line: got.line, code: got.code, severity: got.severity }).toEqual({ line: want.line, code: want.code, severity: want.severity ?? 'error' });
      if (want.column !== undefined) expect(got.column).toBe(want.column);
      if (typeof want.message === 'string') expect(got.message).toBe(want.message);
      else expect(got.message).toMatch(want.message);
    });
  });

  test('every issue code in the corpus is a documented code', async () => {
    const { ISSUE_CODES } = await import('../src/config/index.js');
    for (const row of rows) for (const i of row.issues) expect(Object.keys(ISSUE_CODES)).toContain(i.code);
  });
});
