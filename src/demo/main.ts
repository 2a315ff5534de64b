/**
 * `npm run demo`: the whole cycle against the built-in simulators, with the real CLI on the
 * example configuration (configs/, unchanged). Environment variables point the configuration's
 * URLs and credentials at the simulators; the state database lives in a temporary directory.
 * Exits 0 when every step did what it should, 1 otherwise (and says which step).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { ACTION_ORDER, headline, loadPlan } from '../plan/index.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OffsetClock } from '../support/clock.js';
import { startPeopleSoftSimulator } from '../sim/peoplesoft/index.js';
import { startZohoSimulator } from '../sim/zoho/index.js';
import { startSmtpSink } from '../sim/smtp/index.js';
import { simulatorEnv } from './env.js';
import { gitStamp } from '../gitops/stamp.js';
import { DAY_MS } from './time.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'ml-connector.js');
const CONFIG = join(ROOT, 'configs');
/** The example configuration's PeopleSoft server time zone (configs/connections/*.yaml). */
const SERVER_TZ = 'America/Chicago';

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (t: string): string => (color ? `\u001b[1m${t}\u001b[0m` : t);
const dim = (t: string): string => (color ? `\u001b[2m${t}\u001b[0m` : t);
const out = (t = ''): void => void process.stdout.write(t + '\n');

let stepNo = 0;
function heading(title: string, explain: string): void {
  stepNo += 1;
  out();
  out(bold(`── ${stepNo}. ${title}`));
  for (const line of explain.split('\n')) out(dim(`   ${line}`));
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run the built CLI and echo what it prints, indented (long output shortened, and said so). */
/** Paths as a reader wants to see them: configs/ for the repository's, bare names for the temporary ones. */
let shorten = (text: string): string => text.split(ROOT).join('');

async function cli(args: string[], env: Record<string, string>, show: { head?: number; tail?: number; liveProgress?: boolean } = {}): Promise<CliResult> {
  out(`   $ ml-connector ${shorten(args.join(' '))}`);
  const started = Date.now();
  // apply draws its progress line on a terminal's stderr: hand it ours when we have one.
  const live = show.liveProgress === true && process.stderr.isTTY;
  // Colour when the demo has it; NO_COLOR and FORCE_COLOR together make Node print a warning.
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.NO_COLOR;
  delete childEnv.FORCE_COLOR;
  if (color) childEnv.FORCE_COLOR = '1';
  else childEnv.NO_COLOR = '1';
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', live ? 'inherit' : 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  // Notes and errors arrive on stderr: shown after the command's output, where the CLI prints them
  // in a terminal (e.g. "Saved the plan to ..." after the plan).
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const code = await new Promise<number>((resolve) => child.once('close', (c) => resolve(c ?? 1)));
  const lines = shorten(stdout).replace(/\n$/, '').split('\n');
  const head = show.head ?? 40;
  const tail = show.tail ?? 0;
  if (lines.length > head + tail + 1) {
    for (const l of lines.slice(0, head)) out(`   ${l}`);
    out(dim(`   … ${lines.length - head - tail} more lines …`));
    for (const l of lines.slice(lines.length - tail)) out(`   ${l}`);
  } else if (stdout !== '') {
    for (const l of lines) out(`   ${l}`);
  }
  if (stderr !== '') process.stdout.write(shorten(stderr).replace(/^(?=.)/gm, '   '));
  return { code, stdout, stderr, ms: Date.now() - started };
}

class DemoFailure extends Error {}

/** One line per mapping from a saved plan file (its header): what the plan would do, in numbers. */
async function describePlanFile(file: string): Promise<void> {
  // What a reviewer reads first: the headline (events → actions), then per mapping.
  const plan = (await loadPlan(file)).header;
  out(bold(`   In short: ${headline(plan)}`));
  for (const m of plan.mappings) {
    const parts = ACTION_ORDER.filter((k) => m.counts[k] > 0).map((k) => `${m.counts[k]} to ${k}`);
    out(`   ${m.name} → ${m.module}: ${parts.length ? parts.join(', ') : 'nothing to do'}`);
  }
}

function expectCode(r: CliResult, codes: number[], what: string): void {
  if (!codes.includes(r.code)) throw new DemoFailure(`${what}: the command exited ${r.code}`);
}

async function main(): Promise<number> {
  const began = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'ml-connector-demo-'));
  const rootShort = shorten;
  shorten = (text) => rootShort(text.split(`${dir}/`).join(''));
  out(bold('ml-connector demo: PeopleSoft → Zoho CRM, declaratively'));
  out(dim('The real command-line tool runs on the example configuration in configs/ (a firm with 150 employees'));
  out(dim('and 200+ vendors), against built-in simulators of PeopleSoft and Zoho CRM: nothing leaves this machine.'));

  // The simulated PeopleSoft starts a day in the past so that when its clock moves a day, "today"
  // is today for the CLI too. Its database runs in the zone configs/ expects (serverTimezone).
  const psClock = new OffsetClock();
  psClock.advance(-DAY_MS);
  const ps = await startPeopleSoftSimulator({ clock: psClock, serverTimezone: SERVER_TZ });
  const zoho = await startZohoSimulator();
  // configs/ sends alert emails; here they land in a local SMTP sink instead of nowhere.
  const smtp = await startSmtpSink();
  const env = simulatorEnv({
    zoho: { url: zoho.url, accountsUrl: zoho.accountsUrl, clientId: zoho.credentials.clientId, clientSecret: zoho.credentials.clientSecret, refreshToken: zoho.credentials.refreshToken },
    peoplesoft: { url: ps.url, node: ps.nodes.hcm, fscmNode: ps.nodes.fscm, username: ps.credentials.username, password: ps.credentials.password },
    smtp: { host: smtp.host, port: smtp.port },
  }, join(dir, 'state.db'));

  try {
    heading('Start the simulators', 'PeopleSoft (HCM and FSCM Integration Gateway) and Zoho CRM (accounts server and API) on local ports.\nThe configuration reads their URLs and credentials from environment variables (PS_HCM_URL, ZOHO_REFRESH_TOKEN, ...).');
    out(`   PeopleSoft  ${ps.url}  nodes ${ps.nodes.hcm} / ${ps.nodes.fscm}, ${ps.data.employees.length} employees, ${ps.data.vendors.length} vendors`);
    out(`   Zoho CRM    ${zoho.url}  (empty organisation)`);
    out(`   SMTP        ${smtp.host}:${smtp.port}  (a local sink: alert emails land here)`);
    out(`   State       ${join(dir, 'state.db')} (temporary)`);

    // apply refuses uncommitted configuration; the demo only writes to the simulator, so edits are welcome.
    const dirty = (await gitStamp(CONFIG)).dirty;
    const allowDirty = dirty ? ['--allow-dirty'] : [];

    heading('Validate the configuration', 'Every YAML document is checked against its JSON Schema and against the others\n(connections exist, source fields exist, lookups point at real mappings) before anything connects.');
    expectCode(await cli(['validate', '--config', CONFIG], env), [0], 'validate');

    heading('Plan', 'Read employees and vendors from PeopleSoft and the managed records from Zoho, then show what apply\nwould change: a headline first, then record by record and field by field. Nothing is written. Personal\ndata (names, emails, phones, addresses) shows as short digests, so a change still shows as a change;\nwhich fields are personal comes from the mapping (`personal:`) and the Zoho field types.\nThe plan is saved to a file: apply will do exactly what was shown, nothing else.');
    const firstPlan = join(dir, 'initial.plan.json');
    expectCode(await cli(['plan', '--config', CONFIG, '--out', firstPlan], env, { head: 20, tail: 2 }), [0], 'first plan');
    await describePlanFile(firstPlan);

    heading('Apply', 'Make Zoho match the plan: accounts first (employees point at their department\'s account, contractors at\ntheir vendor\'s), upserts in batches of up to 100 matched by the PeopleSoft key, every record\'s result in the audit trail.');
    if (dirty) out(dim('   configs/ has uncommitted changes: apply would refuse them (what is applied is what is committed);\n   the demo passes --allow-dirty because it only writes to the simulator.'));
    expectCode(await cli(['apply', '--config', CONFIG, ...allowDirty, firstPlan], env, { head: 30, liveProgress: true }), [0], 'first apply');
    out(`   Zoho now holds ${zoho.records('Accounts').length} accounts and ${zoho.records('Contacts').length} contacts.`);

    heading('Plan again', 'Zoho now matches PeopleSoft, so a second plan finds nothing to do (and a second apply would write nothing).');
    expectCode(await cli(['plan', '--config', CONFIG], env, { head: 14, tail: 2 }), [0], 'plan after apply');

    heading('A day passes in PeopleSoft', 'The simulated PeopleSoft moves to the next day, and the HR and purchasing teams do their work.');
    const day = ps.scenario.nextDay();
    out(`   ${day.date}: hired ${day.hires.map((h) => h.emplid).join(' and ')}, rehired ${day.rehire?.emplid ?? '-'}, terminated ${day.termination?.emplid ?? '-'},`);
    out(`   transferred ${day.transfer ? `${day.transfer.emplid} to ${day.transfer.toDeptDescr}` : '-'}, vendor ${day.vendorAddressChange ? `${day.vendorAddressChange.setid}-${day.vendorAddressChange.vendorId}` : '-'} moved address.`);

    heading('Plan the day\'s changes', 'An incremental read picks up only what changed since the last apply. The headline counts the day\'s\nevents, and each change is labelled with the event behind it: hire, rehire, termination, transfer.\nThe termination is listed apart, under a warning: deactivations are what a reviewer must check.');
    const dayPlan = join(dir, 'day-two.plan.json');
    expectCode(await cli(['plan', '--config', CONFIG, '--out', dayPlan], env, { head: 60 }), [0], 'plan of day two');
    await describePlanFile(dayPlan);

    heading('Apply the day\'s changes', 'The termination sets Employment_Status to Terminated (nothing is deleted); the rehire brings back the same\nZoho contact. A record someone edited in Zoho since the plan was made would be skipped, not overwritten.');
    expectCode(await cli(['apply', '--config', CONFIG, ...allowDirty, dayPlan], env, { head: 30, liveProgress: true }), [0], 'second apply');

    heading('What happened', 'Every run and every record written is recorded in the state database: `runs` and `audit` read it.');
    expectCode(await cli(['runs', '--config', CONFIG, '--limit', '5'], env, { head: 12 }), [0], 'runs');
    expectCode(await cli(['audit', '--config', CONFIG, '--since', '1h', '--limit', '8'], env, { head: 12 }), [0], 'audit');

    out();
    out(bold(`Done in ${((Date.now() - began) / 1000).toFixed(1)} s.`));
    out(bold('Try your own changes against the simulators:'));
    out('   $ npx ml-connector sim --write-env .env.sim        # keeps PeopleSoft, Zoho and an SMTP sink running');
    out('   $ node --env-file=.env.sim bin/ml-connector.js plan --config configs   # in another shell');
    out('   Edit a mapping in configs/mappings/, plan again, apply. README.md, "Try your own changes against');
    out('   the simulators", has the rest; "Going to production" says what to ask the PeopleSoft and Zoho teams for.');
    return 0;
  } catch (err) {
    out();
    out(bold(`The demo stopped at step ${stepNo}: ${err instanceof Error ? err.message : String(err)}`));
    return 1;
  } finally {
    await smtp.close();
    await zoho.close();
    await ps.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
