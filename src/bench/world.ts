/**
 * The configuration a bench reconciles with: the example mappings of configs/ (guards off: an
 * initial sync of 100,000 is a large change by design) and connections to the simulators. Vendors
 * are read through the QAS query ML_VENDORS, not VENDOR_CI as in configs/ (one CI Get per vendor
 * would make the bench measure the component interface, not the reconciler).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadValidConfig, type Config } from '../config/index.js';
import { openSession, type Session } from '../engine/session.js';
import { openStateStore, type StateStore } from '../state/index.js';
import type { SimInfo } from './sims.js';

/** Rows per PeopleSoft QAS page (the connection default); the latency bound counts pages of this size. */
export const PS_MAX_ROWS = 5000;
const MAPPINGS = ['vendors-to-accounts', 'departments-to-accounts', 'employees-to-contacts'] as const;
/** Every guard off, the defaults included: an initial sync of 100,000 is a large change by design. */
const GUARDS_OFF = '\nguards: { maxDeactivations: off, maxDrop: off, minSourceRows: off, maxAdoptions: off }\n';

function benchEnv(info: SimInfo): Record<string, string> {
  return { BENCH_PS_PASSWORD: info.ps.password, BENCH_ZOHO_SECRET: info.zoho.clientSecret, BENCH_ZOHO_TOKEN: info.zoho.refreshToken };
}

/** The example's own `guards:` block removed (it is the last top-level key, or followed by one). */
function withoutGuards(yaml: string): string {
  return yaml.replace(/\nguards:.*(\n[ #].*)*/, '');
}

function writeBenchConfig(dir: string, info: SimInfo): string {
  const conf = join(dir, 'configs');
  mkdirSync(join(conf, 'mappings'), { recursive: true });
  const examples = fileURLToPath(new URL('../../configs/mappings/', import.meta.url));
  for (const m of MAPPINGS) {
    writeFileSync(join(conf, 'mappings', `${m}.yaml`), withoutGuards(readFileSync(join(examples, `${m}.yaml`), 'utf8')) + GUARDS_OFF);
  }
  const ps = (name: string, node: string, reader: string): string => `apiVersion: ml-connector/v1
kind: PeopleSoftConnection
name: ${name}
baseUrl: ${info.ps.url}
node: ${node}
auth: { type: basic, username: ML_SYNC, password: "\${env:BENCH_PS_PASSWORD}" }
timeouts: { requestMs: 120000 }
normalization: { serverTimezone: UTC }
readers:
${reader}`;
  writeFileSync(join(conf, 'hcm.yaml'), ps('peoplesoft-hcm', 'PSFT_HR', `  employees:
    kind: qas
    query: ML_EMPLOYEES
    maxRows: ${PS_MAX_ROWS}
    keyset: EMPLID
    prompts:
      - { name: LASTUPD_FROM, value: "{since}" }
      - { name: LASTUPD_TO, value: "{until}" }
      - { name: EFFDT_FROM, value: "{effdtFrom}" }
      - { name: EFFDT_TO, value: "{effdtTo}" }
      - { name: AFTER_EMPLID, value: "{after}" }
    changeDetection: { mode: cursor, cursorField: LASTUPDDTTM }
  departments:
    kind: qas
    query: ML_DEPARTMENTS
    maxRows: ${PS_MAX_ROWS}
    keyset: DEPTID
    prompts:
      - { name: SETID, value: SHARE }
      - { name: AFTER_DEPTID, value: "{after}" }
    changeDetection: { mode: hash }
`));
  writeFileSync(join(conf, 'fscm.yaml'), ps('peoplesoft-fscm', 'PSFT_EP', `  vendors:
    kind: qas
    query: ML_VENDORS
    maxRows: ${PS_MAX_ROWS}
    keyset: VENDOR_ID
    prompts:
      - { name: SETID, value: SHARE }
      - { name: AFTER_VENDOR_ID, value: "{after}" }
    changeDetection: { mode: hash }
`));
  writeFileSync(join(conf, 'zoho.yaml'), `apiVersion: ml-connector/v1
kind: ZohoConnection
name: zoho
region: us
accountsUrl: ${info.zoho.url}
apiUrl: ${info.zoho.url}
edition: enterprise
auth: { type: refresh_token, clientId: "${info.zoho.clientId}", clientSecret: "\${env:BENCH_ZOHO_SECRET}", refreshToken: "\${env:BENCH_ZOHO_TOKEN}" }
trigger: []
`);
  writeFileSync(join(conf, 'project.yaml'), `apiVersion: ml-connector/v1
kind: Project
name: bench
defaults: { timezone: UTC }
`);
  return conf;
}

/** Load the bench configuration as `apply` would (schema-validated, references resolved). */
export function loadBenchConfig(dir: string, info: SimInfo): Promise<Config> {
  return loadValidConfig(writeBenchConfig(dir, info), { env: benchEnv(info) });
}

/**
 * One run's session, opened the way a CLI run opens it: a fresh state connection and fresh
 * connector clients (the Zoho token comes from the token cache file, as in a new process).
 */
export async function openRunSession(config: Config, statePath: string, info: SimInfo): Promise<{ session: Session; store: StateStore; close(): Promise<void> }> {
  const store = await openStateStore(statePath);
  const session = openSession({ config, store, env: benchEnv(info) });
  return {
    session, store,
    close: async () => {
      await session.close();
      await store.close();
    },
  };
}
