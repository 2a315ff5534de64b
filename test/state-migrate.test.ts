import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COPIED_TABLES, openStateStore } from '../src/state/index.js';
import { NOT_COPIED } from '../src/state/copy.js';
import { openDb } from '../src/state/db.js';
import { migrate } from '../src/state/migrations.js';
import { stopTestPostgres, testPostgres } from './fixtures/state/backends.js';
import { startSimulatedSystems, type SimulatedSystems } from './simulated-systems.js';

/**
 * `state migrate` round trip with the built CLI against the simulators: an applied SQLite state
 * moved to PostgreSQL and back loses nothing: the same row counts, and the same plan from each.
 */
const BIN = join(process.cwd(), 'bin', 'ml-connector.js');
let dir: string;
let systems: SimulatedSystems;
let pgUrl: string;

interface Run { code: number | null; stdout: string; stderr: string }
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...systems.env, NO_COLOR: '1', CI: '', PG_STATE_URL: pgUrl, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const onPostgres = { ML_CONNECTOR_STATE_BACKEND: 'postgres', ML_CONNECTOR_STATE_URL: '' };

/**
 * The plan as JSON without the instant it was made and the mask key derived from that instant.
 * The configuration digest stays: it leaves out where the state lives, so it is the same on both.
 */
async function plan(env: Record<string, string>): Promise<unknown> {
  const r = await cli(['plan', '--config', systems.configDir, '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout.replace(/"createdAt":"[^"]*"/g, '"createdAt":"-"').replace(/"maskKey":"[0-9a-f]{32}"/g, '"maskKey":"-"'));
}

async function rows(state: string): Promise<Record<string, number>> {
  const store = await openStateStore(state, { readonly: true });
  try {
    return (await store.stats()).rows;
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ml-state-migrate-'));
  systems = await startSimulatedSystems(dir, { dataset: { employees: 120, vendors: 60 } });
  pgUrl = (await testPostgres()).schemaUrl('migrate');
  onPostgres.ML_CONNECTOR_STATE_URL = pgUrl;
}, 60_000);

afterAll(async () => {
  await systems?.close();
  await stopTestPostgres();
  rmSync(dir, { recursive: true, force: true });
});

describe('state migrate', () => {
  it('copies every table that holds state (a new table must be added to COPIED_TABLES)', async () => {
    const db = await openDb(join(dir, 'tables.db'));
    await migrate(db);
    const tables = (await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")).map((t) => t.name);
    await db.close();
    expect(tables.filter((t) => !NOT_COPIED.includes(t)).sort()).toEqual(COPIED_TABLES.map((t) => t.table).sort());
  });

  it('SQLite → PostgreSQL → SQLite: the same row counts and the same plan', async () => {
    expect((await cli(['apply', '--config', systems.configDir, '--auto-approve'])).code).toBe(0);
    // Something to plan: a person edits a managed field in Zoho (drift, labelled from the links' applied values).
    const contact = systems.zoho.records('Contacts').find((r) => r.Department)!;
    systems.zoho.editRecord('Contacts', String(contact.id), { Department: 'Edited by hand' }, 'user');
    const sqliteRows = await rows(systems.env.ML_CONNECTOR_STATE!);
    const sqlitePlan = await plan({});
    expect(JSON.stringify(sqlitePlan)).toContain('Edited by hand');

    const there = await cli(['state', 'migrate', '--config', systems.configDir, '--from', 'project', '--to', 'env:PG_STATE_URL', '--json']);
    expect(there.code, there.stderr).toBe(0);
    expect(JSON.parse(there.stdout)).toMatchObject({ rows: { links: sqliteRows.links, runs: sqliteRows.runs, audit: sqliteRows.audit }, secretsReencrypted: false });
    expect(there.stdout).not.toContain('postgres:postgres@'); // the URL's password is never printed
    // Moving again into a state that is not empty is refused.
    expect((await cli(['state', 'migrate', '--config', systems.configDir, '--from', 'project', '--to', 'env:PG_STATE_URL'])).stderr).toContain('STATE_NOT_EMPTY');

    expect(await rows(pgUrl)).toEqual(sqliteRows);
    expect(await plan(onPostgres)).toEqual(sqlitePlan);

    const back = join(dir, 'back.db');
    const home = await cli(['state', 'migrate', '--config', systems.configDir, '--from', 'env:PG_STATE_URL', '--to', `sqlite:${back}`]);
    expect(home.code, home.stderr).toBe(0);
    expect(await rows(back)).toEqual(sqliteRows);
    expect(await plan({ ML_CONNECTOR_STATE: back })).toEqual(sqlitePlan);
  }, 120_000);
});
