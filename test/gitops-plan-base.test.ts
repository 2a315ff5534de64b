import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeopleSoftSimulator } from '../src/sim/peoplesoft/index.js';
import type { ZohoSimulator } from '../src/sim/zoho/index.js';
import { startSimulatedSystems } from './simulated-systems.js';

/** `ml-connector plan --base REF` (built CLI) online against the simulators, in a real git repository. */
const BIN = join(process.cwd(), 'bin', 'ml-connector.js');
let dir: string;
let ps: PeopleSoftSimulator;
let zoho: ZohoSimulator;
let env: Record<string, string>;
let target: string;

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, ...env, NO_COLOR: '1', CI: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ml-plan-base-'));
  ({ ps, zoho, env, configDir: target } = await startSimulatedSystems(dir));
  const git = (...a: string[]): void => { execFileSync('git', a, { cwd: dir }); };
  git('init', '-q', '-b', 'main');
  git('add', 'configs');
  git('-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'base');
  // The pull request: contacts' Department now shows the department id; Title no longer managed.
  const people = join(target, 'mappings', 'employees-to-contacts.yaml');
  writeFileSync(people, readFileSync(people, 'utf8').replace('{ to: Department, from: DEPT_DESCR }', '{ to: Department, from: DEPTID }').replace('  - { to: Title, from: JOB_TITLE }\n', ''));
});

afterAll(async () => {
  await zoho?.close();
  await ps?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('plan --base (online)', () => {
  it('counts, per changed field, the records it touches, with masked samples, then the plan', async () => {
    const r = await cli(['plan', '--config', 'configs', '--base', 'main']);
    expect(r.code, r.stderr).toBe(0);
    const text = r.stdout;
    expect(text).toMatch(/Configuration change: main \([0-9a-f]{12}\) → [0-9a-f]{12} \+ uncommitted changes, counted from PeopleSoft/);
    // The firm's 150 people are 142 employees and 8 contractors (their own mapping, unchanged).
    expect(text).toContain('employees-to-contacts → Contacts (changed; 142 of 142 records would change)');
    expect(text).toContain('Department: re-mapped from DEPT_DESCR → from DEPTID: 142 records');
    expect(text).not.toContain('contractors-to-contacts → Contacts (changed');
    expect(text).toMatch(/Title: no longer managed \(was from JOB_TITLE; Zoho keeps the values\): \d+ records/);
    expect(text).not.toContain('vendors-to-accounts → Accounts (changed');
    // The record-level plan follows.
    expect(text).toMatch(/Plan: \d+ to create/);
  }, 60_000);

  it('the before value of a re-mapped field is what Zoho holds now, not (empty)', async () => {
    // Zoho holds what the base configuration wrote: apply it (from the committed files), then put the pull request back.
    const people = join(target, 'mappings', 'employees-to-contacts.yaml');
    const pr = readFileSync(people, 'utf8');
    execFileSync('git', ['checkout', '--', 'configs'], { cwd: dir });
    const applied = await cli(['apply', '--config', 'configs', '--auto-approve']);
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    writeFileSync(people, pr);
    const r = await cli(['plan', '--config', 'configs', '--base', 'main']);
    expect(r.code, r.stderr).toBe(0);
    const section = r.stdout.slice(r.stdout.indexOf('Department: re-mapped'), r.stdout.indexOf('Title: no longer managed'));
    const samples = [...section.matchAll(/^ {6}(\d+): (.*) → (.*)$/gm)];
    expect(samples.length).toBeGreaterThan(0);
    for (const [, emplid, before, after] of samples) {
      const contact = zoho.records('Contacts').find((c) => c.PeopleSoft_Employee_ID === emplid)!;
      expect(before).toBe(JSON.stringify(contact.Department));
      expect(after).not.toBe(before);
    }
  }, 60_000);

  it('--offline reads neither system and says so', async () => {
    const r = await cli(['plan', '--config', 'configs', '--base', 'main', '--offline', '--markdown']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('**Offline estimate** from the state database');
    expect(r.stdout).toContain('#### `employees-to-contacts` → Contacts (changed)');
    expect(r.stdout).not.toContain('### ml-connector plan');
  }, 60_000);
});
