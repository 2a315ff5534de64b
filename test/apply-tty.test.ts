import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedSystems, type SimulatedSystems } from './simulated-systems.js';

/**
 * `apply` on a real terminal (a pseudo-terminal from util-linux `script`): it shows the plan, asks
 * for "yes", shows progress while it writes, then reports. Off a terminal it needs --auto-approve
 * (test/e2e-cli.test.ts).
 */
const BIN = join(process.cwd(), 'bin', 'ml-connector.js');
const SCRIPT = '/usr/bin/script';
let dir: string;
let systems: SimulatedSystems;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ml-apply-tty-'));
  systems = await startSimulatedSystems(dir, { zohoLatencyMs: 20 });
});

afterAll(async () => {
  await systems?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!existsSync(SCRIPT))('apply on a terminal', () => {
  it('asks for "yes", shows progress while writing, and applies', async () => {
    const command = `${process.execPath} ${BIN} apply --config ${systems.configDir}`;
    const child = spawn(SCRIPT, ['-q', '-e', '-c', command, '/dev/null'], {
      cwd: dir,
      env: { ...process.env, ...systems.env, NO_COLOR: '1', CI: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    let answered = false;
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString();
      if (!answered && screen.includes('Only "yes" is accepted')) {
        answered = true;
        child.stdin.write('yes\n');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(answered).toBe(true);
    expect(code).toBe(0);
    expect(screen).toMatch(/employees-to-contacts: [\d,]+ of [\d,]+ records written \(\d+%\)/);
    const done = /Apply complete: (\d+) records applied, 0 not/.exec(screen);
    expect(done).not.toBeNull();
    expect(systems.zoho.records('Contacts').length + systems.zoho.records('Accounts').length).toBe(Number(done![1]));
  });
});
