import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';

/**
 * "Try your own changes against the simulators": `sim --env` prints export lines, a shell takes
 * them, and the built CLI plans the unchanged configs/ against the running simulators.
 */
const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin/ml-connector.js');
const dir = mkdtempSync(join(tmpdir(), 'ml-sim-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Start `sim` with `args`; resolve with its export lines (parsed) once the `# end` line came. */
function startSim(args: string[]): Promise<{ env: Record<string, string>; exports: string; stop: () => Promise<number | null>; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, 'sim', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((done) => child.once('exit', done));
  const lines: string[] = [];
  return new Promise((ready, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`no # end line within 20 s; stderr: ${err}`));
    }, 20_000);
    void exited.then((code) => fail(new Error(`sim exited ${code}: ${err}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (line !== '# end') return;
      clearTimeout(timer);
      const exports = lines.join('\n');
      // What a POSIX shell makes of them: source the lines, print the environment as JSON.
      const shell = spawnSync('sh', ['-c', `${exports}\nnode -e 'process.stdout.write(JSON.stringify(process.env))'`], { encoding: 'utf8', env: {} });
      const env = JSON.parse(shell.stdout) as Record<string, string>;
      ready({ env, exports, stderr: () => err, stop: async () => { child.kill('SIGINT'); return exited; } });
    });
  });
}

describe('ml-connector sim --env', () => {
  it('prints export lines that a plan of the unchanged configs/ runs on, and an SMTP sink alerts reach', async () => {
    const envFile = join(dir, '.env.sim');
    const sim = await startSim(['--env', '--write-env', envFile]);
    try {
      expect(sim.exports).toMatch(/^export PS_HCM_URL='http:\/\/127\.0\.0\.1:\d+'$/m);
      for (const name of ['PS_HCM_URL', 'PS_HCM_PASSWORD', 'PS_FSCM_URL', 'ZOHO_ACCOUNTS_URL', 'ZOHO_API_URL', 'ZOHO_CLIENT_SECRET', 'ZOHO_REFRESH_TOKEN', 'ML_CONNECTOR_STATE', 'ML_CONNECTOR_MASTER_KEY', 'SMTP_HOST', 'SMTP_PORT']) {
        expect(sim.env[name], name).toBeTruthy();
      }
      // The .env file holds the same values (what `node --env-file` reads).
      const dotenv = readFileSync(envFile, 'utf8');
      expect(dotenv).toContain(`ZOHO_REFRESH_TOKEN=${sim.env.ZOHO_REFRESH_TOKEN}`);

      const plan = spawnSync(process.execPath, [BIN, 'plan', '--config', 'configs', '--json'], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...sim.env, NO_COLOR: '1' }, timeout: 120_000 });
      expect(plan.status, plan.stderr).toBe(0);
      const body = JSON.parse(plan.stdout) as { header: { mappings: Array<{ name: string; counts: Record<string, number> }> } };
      const contacts = body.header.mappings.find((m) => m.name === 'employees-to-contacts')!;
      expect(contacts.counts.create).toBeGreaterThan(100);

      // configs/ sends alerts to SMTP_HOST:SMTP_PORT: the sink answers and says so on stderr.
      const transport = nodemailer.createTransport({ host: sim.env.SMTP_HOST, port: Number(sim.env.SMTP_PORT), secure: false, auth: { user: 'ml-connector', pass: sim.env.SMTP_PASSWORD! } });
      await transport.sendMail({ from: 'ml-connector@example.com', to: 'crm-admins@example.com', subject: 'test alert', text: 'hello' });
      transport.close();
      for (let i = 0; i < 50 && !sim.stderr().includes('mail to crm-admins@example.com: test alert'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(sim.stderr()).toContain('mail to crm-admins@example.com: test alert');
    } finally {
      expect(await sim.stop()).toBe(0);
    }
    // Its state database and .env were the session's own: gone with it.
    expect(existsSync(envFile)).toBe(false);
    expect(existsSync(sim.env.ML_CONNECTOR_STATE!)).toBe(false);
  }, 120_000);

  it('takes the simulators\' latency, quirks and faults as flags, and refuses unknown ones', async () => {
    const sim = await startSim(['--env', '--no-smtp', '--employees', '5', '--vendors', '2', '--zoho-latency', '150', '--zoho-fault', 'status=500,times=2,kind=org', '--peoplesoft-quirk', 'queryErrorStatus=500']);
    try {
      expect(sim.env.SMTP_PORT).toBeUndefined();
      const token = await (await fetch(`${sim.env.ZOHO_ACCOUNTS_URL}/oauth/v2/token?grant_type=refresh_token&client_id=${sim.env.ZOHO_CLIENT_ID}&client_secret=${sim.env.ZOHO_CLIENT_SECRET}&refresh_token=${sim.env.ZOHO_REFRESH_TOKEN}`, { method: 'POST' })).json() as { access_token: string };
      const org = (): Promise<Response> => fetch(`${sim.env.ZOHO_API_URL}/crm/v8/org`, { headers: { authorization: `Zoho-oauthtoken ${token.access_token}` } });
      expect((await org()).status).toBe(500);
      expect((await org()).status).toBe(500);
      const started = Date.now();
      expect((await org()).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      // A malformed QAS request answers with the switched status instead of 200 + "failure".
      const bad = await fetch(`${sim.env.PS_HCM_URL}/PSIGW/RESTListeningConnector/${sim.env.PS_HCM_NODE}/ExecuteQuery.v1/public/ML_EMPLOYEES/JSON/NONFILE?isconnectedquery=N&maxrows=0&json_resp=true`, { headers: { authorization: 'Basic ' + Buffer.from(`${sim.env.PS_HCM_USER}:${sim.env.PS_HCM_PASSWORD}`).toString('base64') } });
      expect(bad.status).toBe(500);
    } finally {
      await sim.stop();
    }
    const wrong = spawnSync(process.execPath, [BIN, 'sim', '--zoho-quirk', 'unknownField=ignore'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 20_000 });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('--zoho-quirk: there is no quirk "unknownField"');
    expect(wrong.stderr).toContain('unknownFields');
    expect(wrong.stderr).not.toMatch(/^\s+at /m);
    // A file the user named that cannot be written: one line, no stack trace, nothing left running.
    const unwritable = spawnSync(process.execPath, [BIN, 'sim', '--no-smtp', '--write-env', join(dir, 'no-such-dir', '.env')], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 20_000 });
    expect(unwritable.status).toBe(1);
    expect(unwritable.stderr).toBe(`error cannot open ${join(dir, 'no-such-dir', '.env')}: no such file or directory [ENOENT]\n`);
  }, 60_000);
});
