/**
 * The configuration loader as other layers use it: the example configuration, the Config API
 * (maps, locate, digests), env references, credentials resolved only on demand, and the limits
 * that keep a hostile file from hanging `validate`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile, cp, readFile, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  formatIssue, loadConfig, loadValidConfig, requireResolved, resolveCredential, SOURCE_FIELDS,
} from '../src/config/index.js';
import { ConfigError } from '../src/support/errors.js';
import { scrub } from '../src/support/redact.js';

const run = promisify(execFile);
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'mlc-config-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function dirWith(name: string, files: Record<string, string | Buffer>): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), content);
  }
  return dir;
}

describe('the example configuration', () => {
  test('configs/ validates with zero issues in under 1 s (cold: the precompiled validators load in this call)', async () => {
    // CPU time of this process, not wall time: the suites of every part share two cores, so wall
    // time says more about the neighbours than about the loader.
    const cpu = process.cpuUsage();
    const result = await loadConfig('configs', { env: {} });
    const used = process.cpuUsage(cpu);
    expect(result.issues.map(formatIssue)).toEqual([]);
    expect(result.files).toHaveLength(9);
    expect((used.user + used.system) / 1000).toBeLessThan(1000);
    expect(result.durationMs).toBeLessThan(5000);
    const config = result.config;
    expect(config).toBeDefined();
    if (config === undefined) return;
    expect(config.project.name).toBe('northwind-services');
    expect([...config.peoplesoft.keys()].sort()).toEqual(['peoplesoft-fscm', 'peoplesoft-hcm']);
    expect([...config.zoho.keys()]).toEqual(['zoho']);
    expect([...config.mappings.keys()].sort()).toEqual(['contractors-to-contacts', 'departments-to-accounts', 'employees-to-contacts', 'vendors-to-accounts']);
    expect([...config.schedules.keys()]).toEqual(['daily']);
  });

  test('env references take the environment or their default; credentials stay references', async () => {
    const config = await loadValidConfig('configs', { env: { PS_HCM_URL: 'http://127.0.0.1:4010', PS_HCM_PASSWORD: 'not-loaded-here' } });
    const hcm = config.peoplesoft.get('peoplesoft-hcm');
    expect(hcm?.baseUrl).toBe('http://127.0.0.1:4010');
    expect(hcm?.node).toBe('PSFT_HR');
    expect(config.peoplesoft.get('peoplesoft-fscm')?.baseUrl).toBe('https://fscm.example.com:8443');
    expect(hcm?.auth.type === 'basic' && hcm.auth.password).toBe('${env:PS_HCM_PASSWORD}');
    expect(config.zoho.get('zoho')?.accountsUrl).toBe('');
    expect(JSON.stringify([...config.peoplesoft.values()])).not.toContain('not-loaded-here');
  });

  test('locate points at the line of a value inside a mapping', async () => {
    const config = await loadValidConfig('configs', { env: {} });
    const text = await readFile('configs/mappings/employees-to-contacts.yaml', 'utf8');
    const line = text.split('\n').findIndex((l) => l.includes('to: Email')) + 1;
    expect(config.locate('Mapping', 'employees-to-contacts', ['fields', 2, 'to'])).toEqual({
      file: 'configs/mappings/employees-to-contacts.yaml', line, column: 11,
    });
    expect(config.locate('Mapping', 'nope')).toBeUndefined();
  });

  test('digests are stable, follow the mapping, and ignore credentials', async () => {
    const a = await loadValidConfig('configs', { env: {} });
    const b = await loadValidConfig('configs', { env: {} });
    expect(a.digest()).toMatch(/^[0-9a-f]{64}$/);
    expect(a.digest()).toBe(b.digest());
    expect(a.mappingDigest('employees-to-contacts')).toBe(b.mappingDigest('employees-to-contacts'));
    expect(a.mappingDigest('employees-to-contacts')).not.toBe(a.mappingDigest('vendors-to-accounts'));
    expect(() => a.mappingDigest('nope')).toThrow(ConfigError);

    const dir = path.join(tmp, 'digest');
    await cp('configs', dir, { recursive: true });
    const hcmFile = path.join(dir, 'connections/peoplesoft-hcm.yaml');
    await writeFile(hcmFile, (await readFile(hcmFile, 'utf8')).replace('${env:PS_HCM_PASSWORD}', '${secret:PS_HCM_PASSWORD}'));
    const c = await loadValidConfig(dir, { env: {} });
    expect(c.mappingDigest('employees-to-contacts')).toBe(a.mappingDigest('employees-to-contacts'));
    const mapFile = path.join(dir, 'mappings/employees-to-contacts.yaml');
    await writeFile(mapFile, (await readFile(mapFile, 'utf8')).replace('{ to: Title, from: JOB_TITLE }', '{ to: Title, from: JOBCODE }'));
    const d = await loadValidConfig(dir, { env: {} });
    expect(d.mappingDigest('employees-to-contacts')).not.toBe(a.mappingDigest('employees-to-contacts'));
    expect(d.mappingDigest('vendors-to-accounts')).toBe(a.mappingDigest('vendors-to-accounts'));
    expect(d.digest()).not.toBe(a.digest());
  });

  test('the source field catalogue covers every field the example mappings read', () => {
    expect(SOURCE_FIELDS.employees).toContain('EMPLID');
    expect(SOURCE_FIELDS.vendors).toContain('VENDOR_KEY');
  });
});

describe('loading', () => {
  test('a directory without Project gets the default one', async () => {
    const dir = await dirWith('no-project', {
      'zoho.yaml': 'apiVersion: ml-connector/v1\nkind: ZohoConnection\nname: zoho\nregion: eu\nauth: { type: client_credentials, clientId: "1000.X", clientSecret: "${secret:ZOHO}", soid: ZohoCRM.123 }\n',
    });
    const config = await loadValidConfig(dir);
    expect(config.project).toMatchObject({ name: 'default', state: { path: '.ml-connector/state.db' } });
  });

  test('several documents in one file, issues sorted by file and line across files', async () => {
    const dir = await dirWith('multi', {
      'b.yaml': 'apiVersion: ml-connector/v1\nkind: Project\nname: p\ndefaults: { timezone: Mars/Olympus }\n',
      'a.yaml': 'apiVersion: ml-connector/v1\nkind: Schedule\nname: s\ncron: "0 6 * *"\nmappings: [m]\n---\napiVersion: ml-connector/v1\nkind: Schedule\nname: t\ncron: "0 6 * * *"\nmappings: [m]\nextra: 1\n',
    });
    const { issues } = await loadConfig(dir);
    expect(issues.map((i) => `${path.basename(i.file)}:${i.line} ${i.code}`)).toEqual([
      'a.yaml:4 CONFIG_BAD_CRON',
      'a.yaml:5 CONFIG_UNKNOWN_MAPPING',
      'a.yaml:11 CONFIG_UNKNOWN_MAPPING',
      'a.yaml:12 CONFIG_UNKNOWN_KEY',
      'b.yaml:4 CONFIG_BAD_TIMEZONE',
    ]);
    expect(issues[0]?.message).toMatch(/invalid cron '0 6 \* \*': it has 4 fields; use five fields/);
  });

  test('a 5 MB file is refused from its size, at once', async () => {
    const big = 'apiVersion: ml-connector/v1\nkind: Project\nname: big\ndescription: >\n' + '  lorem ipsum dolor sit amet\n'.repeat(200_000);
    expect(big.length).toBeGreaterThan(5_000_000);
    const dir = await dirWith('large', { 'big.yaml': big });
    const started = performance.now();
    const { issues } = await loadConfig(dir);
    expect(performance.now() - started).toBeLessThan(500);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 0, code: 'CONFIG_FILE_TOO_LARGE' });
    expect(issues[0]?.message).toMatch(/big\.yaml is 5\.\d MiB; configuration files are limited to 1 MiB: split it/);
  });

  test('an alias bomb is refused in milliseconds', async () => {
    await loadConfig('test/fixtures/config/anchors-aliases-ok'); // compile the schemas first
    const cpu = process.cpuUsage();
    const { issues } = await loadConfig('test/fixtures/config/alias-bomb');
    const used = process.cpuUsage(cpu);
    expect(issues.map((i) => i.code)).toEqual(['CONFIG_ALIAS_LIMIT']);
    expect((used.user + used.system) / 1000).toBeLessThan(200);
  });

  test('a binary file named .yaml is reported, not parsed', async () => {
    const dir = await dirWith('binary', { 'logo.yaml': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]) });
    const { issues, config } = await loadConfig(dir);
    expect(config).toBeUndefined();
    expect(issues.map((i) => i.code)).toEqual(['CONFIG_NOT_YAML']);
    expect(issues[0]?.message).toMatch(/logo\.yaml is not a YAML file: it holds binary content \(a NUL byte at offset 8\)/);
  });

  test('a link to nowhere is reported, the rest still loads', async () => {
    const dir = await dirWith('dangling', { 'p.yaml': 'apiVersion: ml-connector/v1\nkind: Project\nname: p\n' });
    await symlink(path.join(dir, 'gone.yaml'), path.join(dir, 'link.yaml'));
    const { issues, config } = await loadConfig(dir);
    expect(config?.project.name).toBe('p');
    expect(issues.map((i) => `${path.basename(i.file)} ${i.code} ${i.message.replace(/^.*link\.yaml: /, '')}`)).toEqual([
      'link.yaml CONFIG_UNREADABLE it is a link to a file that does not exist',
    ]);
  });

  test('a value from the environment is judged as resolved, in any field', async () => {
    const dir = await dirWith('env-enum', {
      'zoho.yaml': 'apiVersion: ml-connector/v1\nkind: ZohoConnection\nname: zoho\nregion: ${env:ZOHO_REGION:-eu}\nconcurrency: 5\nauth: { type: client_credentials, clientId: "1000.X", clientSecret: "${secret:ZOHO}", soid: ZohoCRM.123 }\n',
    });
    expect((await loadConfig(dir, { env: {} })).issues).toEqual([]);
    expect((await loadValidConfig(dir, { env: { ZOHO_REGION: 'in' } })).zoho.get('zoho')?.region).toBe('in');
    const { issues } = await loadConfig(dir, { env: { ZOHO_REGION: 'europe' } });
    expect(issues.map((i) => `${i.line}:${i.column} ${i.code} ${i.message}`)).toEqual([
      "4:9 CONFIG_INVALID_VALUE unknown region 'europe': use one of us, eu, in, au, jp, cn, ca, sa (resolved from '${env:ZOHO_REGION:-eu}')",
    ]);
  });

  test('a missing directory says so', async () => {
    const { issues, config, files } = await loadConfig(path.join(tmp, 'does-not-exist'));
    expect(config).toBeUndefined();
    expect(files).toEqual([]);
    expect(issues.map((i) => i.code)).toEqual(['CONFIG_DIR_NOT_FOUND']);
  });

  test('a file instead of a directory says which directory to pass', async () => {
    const { issues } = await loadConfig('configs/project.yaml');
    expect(issues.map((i) => i.message)).toEqual(["'configs/project.yaml' is a file: pass --config the directory that holds it (configs), since documents refer to each other across files"]);
  });

  test('a credential reference with a default is refused without echoing the default', async () => {
    const dir = await dirWith('cred-default', {
      'zoho.yaml': 'apiVersion: ml-connector/v1\nkind: ZohoConnection\nname: zoho\nregion: eu\nauth: { type: client_credentials, clientId: "1000.X", clientSecret: "${env:ZOHO_SECRET:-abc123def}", soid: ZohoCRM.123 }\n',
    });
    const { issues } = await loadConfig(dir);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 5, column: 69, code: 'CONFIG_LITERAL_SECRET', path: 'auth.clientSecret' });
    expect(issues[0]?.message).not.toContain('abc123def');
  });

  test('an alias without its anchor in the same document is explained', async () => {
    const dir = await dirWith('alias', { 'p.yaml': 'apiVersion: ml-connector/v1\nkind: Project\nname: p\ndescription: *missing\n' });
    const { issues } = await loadConfig(dir);
    expect(issues.map((i) => `${i.line}:${i.column} ${i.code}`)).toEqual(['4:14 CONFIG_YAML_SYNTAX']);
  });

  test('loadValidConfig throws CONFIG_INVALID with the issues; --strict makes warnings fail', async () => {
    const broken = loadValidConfig('test/fixtures/config/bad-cron');
    await expect(broken).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    const err = await broken.catch((e: unknown) => e as ConfigError);
    expect((err as ConfigError).meta.issues).toHaveLength(1);
    await expect(loadValidConfig('test/fixtures/config/unset-env', { env: {} })).resolves.toBeDefined();
    await expect(loadValidConfig('test/fixtures/config/unset-env', { env: {}, strict: true })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  test('requireResolved refuses a value whose variable was unset at load time', async () => {
    const config = await loadValidConfig('test/fixtures/config/unset-env', { env: {} });
    const url = config.peoplesoft.get('hcm')?.baseUrl ?? '';
    expect(() => requireResolved(url, 'hcm baseUrl')).toThrow(/hcm baseUrl needs the environment variable ML_FIXTURE_HCM_URL, which is not set/);
    expect(requireResolved('https://x.example.com', 'x')).toBe('https://x.example.com');
  });
});

describe('an unset ${env:NAME} is a warning for validate and an error for a command that uses it', () => {
  test('requireEnv names the variable and where it is written; a set variable passes', async () => {
    const config = await loadValidConfig('test/fixtures/config/unset-env', { env: {} });
    const err = (() => { try { config.requireEnv('PeopleSoftConnection', 'hcm'); } catch (e) { return e as ConfigError; } return undefined; })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ code: 'CONFIG_UNSET_ENV', meta: { variable: 'ML_FIXTURE_HCM_URL', path: 'baseUrl', line: 5, column: 10 } });
    expect(err?.message).toMatch(/^PeopleSoftConnection 'hcm' needs the environment variable ML_FIXTURE_HCM_URL for baseUrl \(.*unset-env\/hcm\.yaml:5:10\), which is not set$/);
    expect(err?.hint).toMatch(/set ML_FIXTURE_HCM_URL/);
    const set = await loadValidConfig('test/fixtures/config/unset-env', { env: { ML_FIXTURE_HCM_URL: 'https://hr.example.com:8443' } });
    expect(() => set.requireEnv('PeopleSoftConnection', 'hcm')).not.toThrow();
  });

  test('the example configuration needs no variable for its non-credential values', async () => {
    const config = await loadValidConfig('configs', { env: {} });
    for (const name of config.mappings.keys()) expect(() => config.requireEnvForMapping(name)).not.toThrow();
  });
});

describe('credentials are resolved only when a command needs them', () => {
  test('from the environment, and scrubbed from output afterwards', async () => {
    const value = await resolveCredential('${env:MLC_TEST_PASSWORD}', { env: { MLC_TEST_PASSWORD: 's3cret-value-42' }, what: 'hcm auth.password' });
    expect(value).toBe('s3cret-value-42');
    expect(scrub('login with s3cret-value-42 failed')).toBe('login with *** failed');
  });

  test('an unset variable is a CONFIG_UNSET_ENV error with a hint', async () => {
    const err = await resolveCredential('${env:MLC_NOT_SET}', { env: {}, what: 'hcm auth.password' }).catch((e: unknown) => e as ConfigError);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ code: 'CONFIG_UNSET_ENV', message: 'hcm auth.password needs the environment variable MLC_NOT_SET, which is not set' });
    expect((err as ConfigError).hint).toMatch(/set MLC_NOT_SET/);
  });

  test('a stored secret comes from the secret source; without one it is SECRET_UNAVAILABLE', async () => {
    const secrets = { get: async (name: string) => (name === 'ZOHO_REFRESH' ? 'r-token-value-1' : Promise.reject(new Error(`no secret ${name}`))) };
    await expect(resolveCredential('${secret:ZOHO_REFRESH}', { secrets, what: 'zoho auth.refreshToken' })).resolves.toBe('r-token-value-1');
    await expect(resolveCredential('${secret:OTHER}', { secrets, what: 'zoho auth.refreshToken' })).rejects.toMatchObject({ code: 'SECRET_UNAVAILABLE', message: 'zoho auth.refreshToken needs the stored secret OTHER: no secret OTHER' });
    await expect(resolveCredential('${secret:ZOHO_REFRESH}', { what: 'zoho auth.refreshToken' })).rejects.toMatchObject({ code: 'SECRET_UNAVAILABLE' });
  });

  test('a literal is refused without echoing it', async () => {
    const err = await resolveCredential('hunter2-literal', { what: 'hcm auth.password' }).catch((e: unknown) => e as ConfigError);
    expect(err).toMatchObject({ code: 'CONFIG_LITERAL_SECRET' });
    expect(JSON.stringify(err)).not.toContain('hunter2-literal');
  });
});

describe('generated artefacts are fresh', () => {
  test('src/config/types.generated.ts matches the schemas', async () => {
    await expect(run(process.execPath, ['scripts/gen-types.mjs', '--check'])).resolves.toBeDefined();
  });
  test('src/config/validators.generated.ts (precompiled ajv validators) matches the schemas', async () => {
    await expect(run(process.execPath, ['scripts/gen-validators.mjs', '--check'])).resolves.toBeDefined();
  });
  test('docs/configuration.md matches the schemas', async () => {
    await expect(run(process.execPath, ['scripts/gen-config-docs.mjs', '--check'])).resolves.toBeDefined();
  });
});
