import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CommandContext } from '../shared/context.js';
import { firmHandMadeRecords } from '../../sim/firm-zoho.js';
import { addExamples } from '../shared/help.js';
import { connectionSummary, printHuman } from '../shared/sim-output.js';
import { parseNumberOption, parseSimSwitches, renderDotEnv, renderExports, type SimSwitches, type SimSwitchOptions } from '../shared/sim-switches.js';
import { simulatorEnv } from '../../demo/env.js';
import { OffsetClock } from '../../support/clock.js';
import { zoneOffsetMs } from '../../support/time-zone.js';
import { MlError } from '../../support/errors.js';
import { generateDataset, loadFixture, toPsDate, type PeopleSoftDataset } from '../../sim/dataset/index.js';
import { startPeopleSoftSimulator } from '../../sim/peoplesoft/index.js';
import { startSmtpSink, type SmtpSink } from '../../sim/smtp/index.js';
import { startZohoSimulator, type ZohoFixture, type ZohoSimulator } from '../../sim/zoho/index.js';

const DAY_MS = 86_400_000;

interface SimOptions extends SimSwitchOptions {
  preset?: string;
  employees?: string;
  vendors?: string;
  seed?: string;
  fixture?: string;
  zohoPort?: string;
  peoplesoftPort?: string;
  peoplesoftTimezone?: string;
  smtpPort?: string;
  smtp: boolean;
  emptyZoho?: boolean;
  json?: boolean;
  env?: boolean;
  writeEnv?: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
const parseInteger = (name: string, value: string | undefined, min: number, max: number): number | undefined => parseNumberOption(name, value, min, max);

/**
 * A fixture file is either a PeopleSoft dataset (docs/simulators.md) or
 * `{ "peoplesoft": <dataset>, "zoho": <Zoho fixture> }` with either part optional.
 */
async function readFixture(file: string): Promise<{ peoplesoft?: PeopleSoftDataset; zoho?: ZohoFixture }> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new MlError('SIM_FIXTURE_UNREADABLE', `Cannot read the fixture ${file}: ${err instanceof Error ? err.message : String(err)}`, {
      meta: { file },
      hint: 'Pass a JSON file in the format described in docs/simulators.md.',
    });
  }
  const o = (json ?? {}) as Record<string, unknown>;
  if ('peoplesoft' in o || 'zoho' in o) {
    return {
      ...(o.peoplesoft === undefined ? {} : { peoplesoft: loadFixture(o.peoplesoft) }),
      ...(o.zoho === undefined ? {} : { zoho: o.zoho as ZohoFixture }),
    };
  }
  return { peoplesoft: loadFixture(json) };
}

function describeStartError(err: unknown, which: 'Zoho' | 'PeopleSoft' | 'SMTP', port: number | undefined): unknown {
  if ((err as { code?: string }).code === 'EADDRINUSE') {
    return new MlError('SIM_PORT_IN_USE', `The ${which} simulator cannot listen on port ${port}: it is in use.`, {
      meta: { port },
      hint: `Choose another --${which.toLowerCase()}-port, or leave it out for a free port.`,
    });
  }
  return err;
}

/** Resolves on the first SIGINT or SIGTERM; `cancel` removes the handlers (start failed). */
function listenForStop(): { stopped: Promise<NodeJS.Signals>; cancel: () => void } {
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const cancel = (): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = (signal) => {
      cancel();
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return { stopped, cancel };
}

async function runSim(opts: SimOptions): Promise<void> {
  if (opts.preset !== undefined && opts.preset !== 'firm') {
    throw new MlError('CLI_INVALID_OPTION', `Unknown --preset "${opts.preset}".`, { hint: 'The only preset is "firm".' });
  }
  const employees = parseInteger('employees', opts.employees, 0, 1_000_000);
  const vendors = parseInteger('vendors', opts.vendors, 0, 200_000);
  const seed = parseInteger('seed', opts.seed, 0, 2 ** 31 - 1);
  const zohoPort = parseInteger('zoho-port', opts.zohoPort, 0, 65535);
  const psPort = parseInteger('peoplesoft-port', opts.peoplesoftPort, 0, 65535);
  const smtpPort = parseInteger('smtp-port', opts.smtpPort, 0, 65535);
  const switches = parseSimSwitches(opts);
  const fixture = opts.fixture === undefined ? {} : await readFixture(opts.fixture);
  // Listen for the stop signal before the (possibly long) start, so Ctrl+C during start also ends cleanly.
  const stop = listenForStop();
  try {
    const timezone = opts.peoplesoftTimezone ?? 'America/Chicago';
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    } catch {
      throw new MlError('CLI_INVALID_OPTION', `Unknown --peoplesoft-timezone "${timezone}".`, { hint: 'Use an IANA time zone such as America/Chicago or UTC.' });
    }
    const signal = await serveUntil(stop.stopped, opts, { employees, vendors, seed, zohoPort, psPort, smtpPort, fixture, timezone, switches });
    process.stderr.write(`Simulators stopped (${signal}).\n`);
  } finally {
    stop.cancel();
  }
}

interface SimSettings {
  employees: number | undefined;
  vendors: number | undefined;
  seed: number | undefined;
  zohoPort: number | undefined;
  psPort: number | undefined;
  smtpPort: number | undefined;
  switches: SimSwitches;
  fixture: { peoplesoft?: PeopleSoftDataset; zoho?: ZohoFixture };
  /** The PeopleSoft database's time zone (configs/ says America/Chicago). */
  timezone: string;
}

async function serveUntil(stopped: Promise<NodeJS.Signals>, opts: SimOptions, settings: SimSettings): Promise<NodeJS.Signals> {
  const { employees, vendors, seed, zohoPort, psPort, fixture } = settings;
  // PeopleSoft starts yesterday, so that the first scenario day (POST /sim/next-day) is today for
  // the tools, which read the real clock: a PeopleSoft a day ahead would have made tomorrow's
  // rows current and dropped today's from its answers. Zoho keeps real time, as Zoho does.
  const clock = new OffsetClock();
  clock.advance(-DAY_MS);
  const dataset = fixture.peoplesoft ?? generateDataset({
    preset: 'firm',
    asOf: toPsDate(clock.now() + zoneOffsetMs(settings.timezone, clock.now())),
    ...(employees === undefined ? {} : { employees }),
    ...(vendors === undefined ? {} : { vendors }),
    ...(seed === undefined ? {} : { seed }),
  });

  const { switches } = settings;
  const ps = await startPeopleSoftSimulator({
    clock, dataset, serverTimezone: settings.timezone, ...(psPort === undefined ? {} : { port: psPort }),
    ...switches.peoplesoft, quirks: switches.peoplesoft.quirks as never,
  }).catch((err: unknown) => {
    throw describeStartError(err, 'PeopleSoft', psPort);
  });
  const opened: Array<{ close(): Promise<void> }> = [ps];
  const closeAll = async (): Promise<void> => {
    for (const o of opened.reverse()) await o.close();
  };
  let zoho: ZohoSimulator;
  let smtp: SmtpSink | undefined;
  let stateDir: string | undefined;
  try {
    // The firm's Zoho org is not empty: a dozen records typed in by hand before ml-connector came.
    const handMade = fixture.zoho === undefined && opts.emptyZoho !== true ? firmHandMadeRecords(ps.data).records : undefined;
    zoho = await startZohoSimulator({
      ...(zohoPort === undefined ? {} : { port: zohoPort }),
      ...(fixture.zoho === undefined ? {} : { fixture: fixture.zoho }),
      ...(handMade === undefined ? {} : { handMade }),
      ...switches.zoho, edition: (switches.zoho.edition ?? 'enterprise') as never, quirks: switches.zoho.quirks as never,
    }).catch((err: unknown) => {
      throw describeStartError(err, 'Zoho', zohoPort);
    });
    opened.push(zoho);
    if (opts.smtp) {
      smtp = await startSmtpSink({
        ...(settings.smtpPort === undefined ? {} : { port: settings.smtpPort }),
        onMessage: (m) => process.stderr.write(`mail to ${m.to.join(', ')}: ${m.subject}\n`),
      }).catch((err: unknown) => {
        throw describeStartError(err, 'SMTP', settings.smtpPort);
      });
      opened.push(smtp);
    }
    for (const f of switches.zohoFaults) zoho.inject(f);
    for (const f of switches.peoplesoftFaults) ps.inject(f);

    // A state database of its own for this session: the simulators start empty every time, so
    // links kept from an earlier session would point at records that no longer exist.
    stateDir = await mkdtemp(join(tmpdir(), 'ml-connector-sim-'));
    const env = {
      ...simulatorEnv({
        zoho: { url: zoho.url, accountsUrl: zoho.accountsUrl, clientId: zoho.credentials.clientId, clientSecret: zoho.credentials.clientSecret, refreshToken: zoho.credentials.refreshToken },
        peoplesoft: { url: ps.url, node: ps.nodes.hcm, fscmNode: ps.nodes.fscm, username: ps.credentials.username, password: ps.credentials.password },
        ...(smtp ? { smtp: { host: smtp.host, port: smtp.port } } : {}),
      }, join(stateDir, 'state.db')),
      // Lets the state database keep the Zoho access token and secrets between commands.
      ML_CONNECTOR_MASTER_KEY: randomBytes(32).toString('base64'),
    };
    const envFile = opts.writeEnv === undefined ? undefined : resolve(opts.writeEnv);
    if (envFile) await writeFile(envFile, renderDotEnv(env, `ml-connector sim (pid ${process.pid}): configs/ pointed at the simulators; valid while it runs`), { mode: 0o600 });

    if (opts.json) process.stdout.write(JSON.stringify(connectionSummary(ps, zoho, smtp, env)) + '\n');
    else if (opts.env) {
      process.stdout.write(`# ml-connector sim: paste into another shell, then run e.g. ml-connector plan --config configs\n${renderExports(env)}# end\n`);
      printHuman(ps, zoho, smtp, envFile, process.stderr);
    } else printHuman(ps, zoho, smtp, envFile, process.stdout);
    const signal = await stopped;
    if (envFile) await rm(envFile, { force: true });
    return signal;
  } finally {
    await closeAll();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  }
}

export function register(program: Command, _ctx: CommandContext): void {
  program
    .command('sim')
    .description('Run the built-in PeopleSoft and Zoho CRM simulators on 127.0.0.1 until Ctrl+C; prints URLs and credentials for a local config.')
    .option('--preset <name>', 'dataset preset (firm: 150 employees, 220 vendors)', 'firm')
    .option('--employees <n>', 'number of employees to generate')
    .option('--vendors <n>', 'number of vendors to generate')
    .option('--seed <n>', 'dataset seed (same seed, same data)')
    .option('--fixture <file>', 'JSON fixture instead of generated data (docs/simulators.md)')
    .option('--zoho-port <port>', 'Zoho simulator port (default: a free port)')
    .option('--peoplesoft-port <port>', 'PeopleSoft simulator port (default: a free port)')
    .option('--peoplesoft-timezone <zone>', "IANA time zone of the simulated PeopleSoft database; match the connection's normalization.serverTimezone", 'America/Chicago')
    .option('--env', 'print `export NAME=...` lines (stdout) that point configs/ at the simulators; the rest goes to stderr')
    .option('--write-env <path>', 'also write them to a .env file (removed when sim stops; read it with node --env-file=PATH)')
    .option('--empty-zoho', "start the Zoho org empty (default: the firm's dozen hand-made contacts and accounts; a --fixture with a zoho part replaces them)")
    .option('--json', 'print one JSON object with URLs, credentials and the environment as the first line')
    .option('--smtp-port <port>', 'port of the local SMTP sink that receives alerts (default: a free port)')
    .option('--no-smtp', 'no SMTP sink (alerts then fail to send, as with an unreachable relay)')
    .option('--zoho-latency <ms>', 'add this delay to every Zoho answer')
    .option('--zoho-jitter <ms>', 'and up to this much more, at random')
    .option('--zoho-error-rate <share>', 'answer this share of Zoho API calls (0..1) with a 500')
    .option('--zoho-edition <edition>', 'free, standard, professional, enterprise or ultimate (concurrency, credits, Vendors module)', 'enterprise')
    .option('--zoho-daily-credits <n>', 'API credits per 24 h before 429 TOO_MANY_REQUESTS')
    .option('--zoho-concurrency <n>', 'concurrent API calls before 429')
    .option('--zoho-fresh-org', 'a Zoho org without the PeopleSoft custom fields (try `check --create-fields`)')
    .option('--zoho-quirk <name=value>', 'switch one Zoho behaviour the reference is unsure about (repeatable; docs/simulator-zoho.md)', collect)
    .option('--zoho-fault <spec>', 'inject a fault, e.g. status=429,times=3,kind=upsert or reset,kind=token (repeatable)', collect)
    .option('--peoplesoft-latency <ms>', 'add this delay to every PeopleSoft answer')
    .option('--peoplesoft-jitter <ms>', 'and up to this much more, at random')
    .option('--peoplesoft-error-rate <share>', 'answer this share of gateway requests (0..1) with a 500')
    .option('--peoplesoft-quirk <name=value>', 'switch one PeopleSoft behaviour (repeatable; docs/simulators.md)', collect)
    .option('--peoplesoft-fault <spec>', 'inject a fault, e.g. status=503,retryAfter=2 or zeroRows,kind=qas (repeatable)', collect)
    .action(async (opts: SimOptions) => {
      await runSim(opts);
    });
  addExamples(program.commands.find((c) => c.name() === 'sim')!, [
    'sim --write-env .env.sim                     # then, in another shell:',
    '  (node --env-file=.env.sim bin/ml-connector.js plan --config configs)',
    'sim --env                                    # the same as export lines to paste',
    'sim --zoho-latency 300 --zoho-fault status=429,times=5,kind=upsert',
    'sim --peoplesoft-quirk queryErrorStatus=500 --employees 5000',
    'sim --zoho-fresh-org                         # then: ml-connector check --create-fields',
  ]);
}
