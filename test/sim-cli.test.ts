import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** `ml-connector sim` as a user runs it: the built CLI in a subprocess, stopped by a signal. */

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin/ml-connector.js');

interface Running {
  child: ChildProcessWithoutNullStreams;
  firstLine: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Start the CLI and wait for its first stdout line (or its exit). */
function startCli(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let err = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal })),
  );
  return new Promise((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`no output within 15 s; stderr: ${err}`)), 15_000);
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        ready({ child, firstLine: out.slice(0, nl), stdout: () => out, stderr: () => err, exited });
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      ready({ child, firstLine: out.split('\n')[0] ?? '', stdout: () => out, stderr: () => err, exited });
    });
  });
}

const basic = (u: string, p: string): string => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64');

interface Summary {
  zoho: { url: string; accountsUrl: string; clientId: string; clientSecret: string; refreshToken: string; records?: unknown };
  peoplesoft: { url: string; node: string; fscmNode: string; username: string; password: string; nextDayUrl?: string };
}

async function countEmployees(ps: Summary['peoplesoft']): Promise<number> {
  const url =
    `${ps.url}/PSIGW/RESTListeningConnector/${ps.node}/ExecuteQuery.v1/public/ML_EMPLOYEES/JSON/NONFILE?isconnectedquery=N&maxrows=0` +
    '&prompt_uniquepromptname=LASTUPD_FROM,LASTUPD_TO,EFFDT_FROM,EFFDT_TO,AFTER_EMPLID&prompt_fieldvalue=,,,,&json_resp=true';
  const res = await fetch(url, { headers: { authorization: basic(ps.username, ps.password) } });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { data: { query: { rows: Array<{ EMPLID: string }> } } };
  return new Set(body.data.query.rows.map((r) => r.EMPLID)).size;
}

describe('ml-connector sim (built CLI)', () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist/cli/commands/sim.js'))) {
      throw new Error('dist/cli/commands/sim.js is missing: run `npx tsc -p tsconfig.build.json` (npm test does) before this test');
    }
    dir = mkdtempSync(join(tmpdir(), 'ml-sim-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints one JSON object first, serves both simulators with those credentials, and stops cleanly on SIGTERM', async () => {
    const run = await startCli(['sim', '--json', '--employees', '30', '--vendors', '12', '--seed', '3']);
    try {
      const summary = JSON.parse(run.firstLine) as Summary;
      expect(summary.peoplesoft).toMatchObject({ node: 'PSFT_HR', fscmNode: 'PSFT_EP', username: 'ML_SYNC', password: 'ml-sync-secret' });
      expect(summary.zoho.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await countEmployees(summary.peoplesoft)).toBe(30);
      // A second day on demand: two hires join.
      const day = await fetch(summary.peoplesoft.nextDayUrl as string, { method: 'POST' });
      expect(((await day.json()) as { hires: unknown[] }).hires).toHaveLength(2);
      expect(await countEmployees(summary.peoplesoft)).toBe(32);
      const token = await fetch(`${summary.zoho.accountsUrl}/oauth/v2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token', refresh_token: summary.zoho.refreshToken,
          client_id: summary.zoho.clientId, client_secret: summary.zoho.clientSecret,
        }).toString(),
      });
      const accessToken = ((await token.json()) as { access_token?: string }).access_token;
      expect(accessToken).toBeTruthy();
      // The firm's Zoho org is not empty: what was typed in by hand before, created by a person.
      const records = summary.zoho.records as { Contacts: number; Accounts: number };
      expect(records.Contacts).toBeGreaterThan(2);
      const listed = await fetch(`${summary.zoho.url}/crm/v8/Contacts?fields=Last_Name,Created_By`, { headers: { authorization: `Zoho-oauthtoken ${accessToken}` } });
      const contacts = ((await listed.json()) as { data: Array<{ Created_By: { name: string } }> }).data;
      expect(contacts).toHaveLength(records.Contacts);
      expect(new Set(contacts.map((c) => c.Created_By.name))).toEqual(new Set(['Sam Rivera']));
    } finally {
      run.child.kill('SIGTERM');
    }
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.stderr()).toContain('Simulators stopped (SIGTERM)');
  });

  it('seeds PeopleSoft from a fixture file, prints URLs for people, and stops on SIGINT', async () => {
    const file = join(dir, 'fixture.json');
    writeFileSync(file, JSON.stringify({ peoplesoft: { asOf: '2026-01-05', employees: [{ EMPLID: 'E1', jobs: [{ EFFDT: '2025-01-01' }] }, { EMPLID: 'E2' }] } }));
    const run = await startCli(['sim', '--fixture', file]);
    try {
      const text = run.stdout();
      expect(text).toMatch(/PeopleSoft\s+http:\/\/127\.0\.0\.1:\d+/);
      const psUrl = /PeopleSoft\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1] as string;
      expect(await countEmployees({ url: psUrl, node: 'PSFT_HR', fscmNode: 'PSFT_EP', username: 'ML_SYNC', password: 'ml-sync-secret' })).toBe(1);
      // The fixture has no Zoho part: Zoho holds the hand-made records the story derives from that data.
      expect(run.stdout()).toMatch(/records\s+\d+ contacts, \d+ accounts/);
    } finally {
      run.child.kill('SIGINT');
    }
    expect((await run.exited).code).toBe(0);
  });

  it('rejects a bad option with exit code 1 and says why', async () => {
    const run = await startCli(['sim', '--employees', 'many']);
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toContain('--employees must be a whole number');
  });
});
