import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** `npm run demo` end to end: the built demo drives the built CLI against both simulators. */
describe('npm run demo', () => {
  it('runs the whole cycle in under a minute and exits 0', async () => {
    const started = Date.now();
    const child = spawn(process.execPath, [join('dist', 'demo', 'main.js')], { env: { ...process.env, NO_COLOR: '1', CI: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const seconds = (Date.now() - started) / 1000;
    expect(code, out.slice(-3000)).toBe(0);
    expect(seconds).toBeLessThan(60);

    // The first plan: every current vendor becomes an account and every current employee a contact
    // (people and vendors that were already inactive before the first sync are not created).
    const accounts = Number(/vendors-to-accounts → Accounts: (\d+) to create\n/.exec(out)?.[1]);
    expect(accounts).toBeGreaterThanOrEqual(150);
    expect(Number(/employees-to-contacts → Contacts: (\d+) to create\n/.exec(out)?.[1])).toBeGreaterThanOrEqual(100);
    expect(out).toMatch(/Apply complete: \d+ records applied, 0 not/);
    // The plan after apply: nothing to do.
    expect(out).toMatch(/── 5\. Plan again[\s\S]*Plan: No changes: Zoho already matches PeopleSoft/);

    // Day two: exactly the HR events, labelled, and the vendor's new address.
    const day = out.slice(out.indexOf('── 7.'), out.indexOf('── 8.'));
    expect(day.match(/create \(hire\)/g)).toHaveLength(2);
    expect(day.match(/(create|reactivate) \(rehire\)/g)).toHaveLength(1);
    expect(day.match(/deactivate \(termination\)/g)).toHaveLength(1);
    expect(day.match(/update \(transfer\)/g)).toHaveLength(1);
    expect(day).toContain('vendors-to-accounts → Accounts: 1 to update\n');
    expect(day).toMatch(/employees-to-contacts → Contacts: (3 to create, 1 to update, 1 to deactivate|2 to create, 1 to update, 1 to deactivate, 1 to reactivate)\n/);
    // The headline first: the day's events, then what apply does.
    expect(day).toMatch(/In short: 2 hires, 1 rehire, 1 termination, 1 transfer, 1 vendor change → /);
    expect(day).toMatch(/Deactivations and deletions: 1\n/);
    expect(day).toContain('Billing_Street');
    // Personal data masked: no readable email address anywhere in the demo.
    expect(out).not.toMatch(/[A-Za-z0-9._%+-]{2,}@[A-Za-z0-9-]+\.[A-Za-z]{2,}/);
    expect(out).toMatch(/Apply complete: 6 records applied, 0 not/);
    // Paths as the reader knows them: configs/, not this machine's checkout path.
    expect(out).toContain('✔ configs is valid');
    expect(out).not.toContain(join(process.cwd(), 'configs'));
    expect(out).toMatch(/── 9\. What happened[\s\S]*apply succeeded[\s\S]*deactivate \(termination\) applied/);
  }, 90_000);
});
