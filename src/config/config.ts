import { ConfigError } from '../support/errors.js';
import { canonicalJson, sha256 } from './digest.js';
import { formatPath } from './issues.js';
import { positionAt, type Entry } from './rule-context.js';
import { peopleSoftSource } from './source.js';
import type { Mapping, PeopleSoftConnection, Project, Schedule, ZohoConnection } from './types.generated.js';

/** The loaded configuration: documents by name, env references resolved, credentials still references. */
export interface Config {
  dir: string;
  /** The Project document, or a default one (name 'default', state.path '.ml-connector/state.db'). */
  project: Project;
  peoplesoft: Map<string, PeopleSoftConnection>;
  zoho: Map<string, ZohoConnection>;
  mappings: Map<string, Mapping>;
  schedules: Map<string, Schedule>;
  /** Where a document or a value inside it is, for errors naming the mapping line. */
  locate(kind: string, name: string, path?: (string | number)[]): { file: string; line: number; column: number } | undefined;
  /**
   * Throws ConfigError CONFIG_UNSET_ENV, naming the variable and where it is written, when the
   * document still holds an `${env:NAME}` whose variable was unset at load time (a warning for
   * `validate`, an error for a command that uses the document). Credential fields are not checked
   * here: they stay references until resolveCredential.
   */
  requireEnv(kind: string, name: string): void;
  /** requireEnv for a mapping and the two connections it reads and writes: what planning it needs. */
  requireEnvForMapping(name: string): void;
  /** sha256 of the whole normalized configuration (credentials appear only as references). */
  digest(): string;
  /** sha256 of one mapping plus the connection settings that shape its data (no auth, no secrets). */
  mappingDigest(name: string): string;
}

export const DEFAULT_STATE_PATH = '.ml-connector/state.db';

export function defaultProject(): Project {
  return { apiVersion: 'ml-connector/v1', kind: 'Project', name: 'default', state: { path: DEFAULT_STATE_PATH } };
}

function sortedObject<T>(map: Map<string, T>): Record<string, T> {
  return Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Build the Config from the usable documents; the first document of each name wins. */
export function buildConfig(dir: string, entries: Entry[]): Config {
  const docs = new Map<string, Entry>();
  const project = entries.find((e) => e.kind === 'Project')?.value as Project | undefined;
  const peoplesoft = new Map<string, PeopleSoftConnection>();
  const zoho = new Map<string, ZohoConnection>();
  const mappings = new Map<string, Mapping>();
  const schedules = new Map<string, Schedule>();
  for (const e of entries) {
    const key = `${e.kind}\u0000${e.name}`;
    if (docs.has(key)) continue;
    docs.set(key, e);
    if (e.kind === 'PeopleSoftConnection') peoplesoft.set(e.name, e.value as unknown as PeopleSoftConnection);
    else if (e.kind === 'ZohoConnection') zoho.set(e.name, e.value as unknown as ZohoConnection);
    else if (e.kind === 'Mapping') mappings.set(e.name, e.value as unknown as Mapping);
    else if (e.kind === 'Schedule') schedules.set(e.name, e.value as unknown as Schedule);
  }
  const projectDoc = project ?? defaultProject();
  let whole: string | undefined;
  return {
    dir,
    project: projectDoc,
    peoplesoft,
    zoho,
    mappings,
    schedules,
    locate(kind, name, path = []) {
      const e = docs.get(`${kind}\u0000${name}`);
      if (e === undefined) return undefined;
      const pos = positionAt(e.pd, path, false);
      return { file: e.pd.file.display, line: pos.line, column: pos.column };
    },
    requireEnv(kind, name) {
      const e = docs.get(`${kind}\u0000${name}`);
      const first = e?.unsetEnv?.[0];
      if (e === undefined || first === undefined) return;
      const pos = positionAt(e.pd, first.path, false);
      const where = `${e.pd.file.display}:${pos.line}:${pos.column}`;
      const path = formatPath(first.path);
      throw new ConfigError('CONFIG_UNSET_ENV', `${kind} '${name}' needs the environment variable ${first.variable} for ${path} (${where}), which is not set`, {
        meta: { kind, name, variable: first.variable, path, file: e.pd.file.display, line: pos.line, column: pos.column },
        hint: `set ${first.variable} in the environment, or give a default in the configuration: \${env:${first.variable}:-value}`,
      });
    },
    requireEnvForMapping(name) {
      const m = mappings.get(name);
      if (m === undefined) return;
      this.requireEnv('Mapping', name);
      const source = peopleSoftSource(m);
      if (source !== undefined) this.requireEnv('PeopleSoftConnection', source.connection);
      this.requireEnv('ZohoConnection', m.target.connection);
    },
    digest() {
      // Where the state lives and who is alerted are not what is synced: moving the state to
      // PostgreSQL (`state migrate`) or a plan made without the SMTP settings keeps a reviewed
      // plan applicable. Everything that decides what a plan holds is covered.
      const { state: _where, alerts: _who, ...project } = projectDoc;
      whole ??= sha256(
        canonicalJson({
          project,
          peoplesoft: sortedObject(peoplesoft),
          zoho: sortedObject(zoho),
          mappings: sortedObject(mappings),
          schedules: sortedObject(schedules),
        }),
      );
      return whole;
    },
    mappingDigest(name) {
      const m = mappings.get(name);
      if (m === undefined) {
        throw new ConfigError('CONFIG_UNKNOWN_MAPPING', `no mapping named '${name}'`, {
          meta: { mapping: name, known: [...mappings.keys()] },
          hint: `use one of: ${[...mappings.keys()].join(', ')}`,
        });
      }
      const source = peopleSoftSource(m);
      const ps = source === undefined ? undefined : peoplesoft.get(source.connection);
      const z = zoho.get(m.target.connection);
      // What changes the records this mapping produces: the mapping, the reader and code tables of
      // its source, the Zoho organisation it writes to, and the day boundary. Never auth or URLs.
      return sha256(
        canonicalJson({
          mapping: m,
          source: ps === undefined || source === undefined ? null : { name: ps.name, node: ps.node ?? null, reader: ps.readers[source.entity] ?? null, normalization: ps.normalization ?? null },
          target: z === undefined ? null : { name: z.name, region: z.region, environment: z.environment ?? 'production' },
          timezone: projectDoc.defaults?.timezone ?? 'UTC',
        }),
      );
    },
  };
}
