import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import type { CommandContext } from '../shared/context.js';
import { paint, useColor } from '../output.js';
import { OffsetClock } from '../../support/clock.js';
import { zoneOffsetMs } from '../../support/time-zone.js';

const DAY_MS = 86_400_000;
import { MlError } from '../../support/errors.js';
import { generateDataset, loadFixture, toPsDate, type PeopleSoftDataset } from '../../sim/dataset/index.js';
import { startPeopleSoftSimulator, type PeopleSoftSimulator } from '../../sim/peoplesoft/index.js';
import { startZohoSimulator, type ZohoFixture, type ZohoSimulator } from '../../sim/zoho/index.js';
import { firmHandMadeRecords } from '../../sim/firm-zoho.js';

interface SimOptions {
  preset?: string;
  employees?: string;
  vendors?: string;
  seed?: string;
  fixture?: string;
  zohoPort?: string;
  peoplesoftPort?: string;
  peoplesoftTimezone?: string;
  emptyZoho?: boolean;
  json?: boolean;
}

function parseInteger(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new MlError('CLI_INVALID_OPTION', `--${name} must be a whole number from ${min} to ${max} (got "${value}").`, { meta: { [name]: value } });
  }
  return n;
}

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

function describeStartError(err: unknown, which: string, port: number | undefined): unknown {
  if ((err as { code?: string }).code === 'EADDRINUSE') {
    return new MlError('SIM_PORT_IN_USE', `The ${which} simulator cannot listen on port ${port}: it is in use.`, {
      meta: { port },
      hint: `Choose another --${which === 'Zoho' ? 'zoho' : 'peoplesoft'}-port, or leave it out for a free port.`,
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

function connectionSummary(ps: PeopleSoftSimulator, zoho: ZohoSimulator): Record<string, unknown> {
  return {
    zoho: {
      records: { Contacts: zoho.records('Contacts').length, Accounts: zoho.records('Accounts').length },
      url: zoho.url,
      accountsUrl: zoho.accountsUrl,
      apiDomain: zoho.apiDomain,
      clientId: zoho.credentials.clientId,
      clientSecret: zoho.credentials.clientSecret,
      refreshToken: zoho.credentials.refreshToken,
      orgId: zoho.credentials.orgId,
    },
    peoplesoft: {
      url: ps.url,
      node: ps.nodes.hcm,
      fscmNode: ps.nodes.fscm,
      username: ps.credentials.username,
      password: ps.credentials.password,
      oauth: { tokenUrl: ps.oauth.tokenUrl, clientId: ps.oauth.clientId, clientSecret: ps.oauth.clientSecret, audience: ps.oauth.audience },
      employees: ps.data.employees.length,
      vendors: ps.data.vendors.length,
      asOf: ps.data.asOf,
      nextDayUrl: `${ps.url}/sim/next-day`,
    },
  };
}

function printHuman(ps: PeopleSoftSimulator, zoho: ZohoSimulator): void {
  const c = paint(useColor());
  const out = (line: string): void => void process.stdout.write(line + '\n');
  out(`${c('bold', 'PeopleSoft')}  ${ps.url}  (HCM node ${ps.nodes.hcm}, FSCM node ${ps.nodes.fscm})`);
  out(`  Basic auth     ${ps.credentials.username} / ${ps.credentials.password}   ${c('gray', '(also ML_LIMITED: US001 only; ML_NOQAS: no QAS access)')}`);
  out(`  OAuth2         token ${ps.oauth.tokenUrl}  client ${ps.oauth.clientId} / ${ps.oauth.clientSecret}`);
  out(`  data           ${ps.data.employees.length} employees, ${ps.data.vendors.length} vendors, as of ${ps.data.asOf}`);
  out(`  next day       curl -X POST ${ps.url}/sim/next-day   ${c('gray', '(PeopleSoft starts yesterday: hires, a rehire, a termination, a transfer, a vendor move, dated today)')}`);
  out(`${c('bold', 'Zoho CRM')}    ${zoho.url}  (accounts ${zoho.accountsUrl})`);
  const contacts = zoho.records('Contacts').length;
  const accounts = zoho.records('Accounts').length;
  out(`  records        ${contacts} contacts, ${accounts} accounts   ${c('gray', contacts + accounts > 0 ? "(typed in by hand before ml-connector, as in the firm's story; --empty-zoho starts empty)" : '(an empty organisation)')}`);
  out(`  client         ${zoho.credentials.clientId} / ${zoho.credentials.clientSecret}`);
  out(`  refresh token  ${zoho.credentials.refreshToken}`);
  out(c('gray', 'These are simulator credentials, not secrets. Press Ctrl+C to stop.'));
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
    const signal = await serveUntil(stop.stopped, opts, { employees, vendors, seed, zohoPort, psPort, fixture, timezone });
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

  const ps = await startPeopleSoftSimulator({ clock, dataset, serverTimezone: settings.timezone, ...(psPort === undefined ? {} : { port: psPort }) }).catch((err: unknown) => {
    throw describeStartError(err, 'PeopleSoft', psPort);
  });
  let zoho: ZohoSimulator;
  try {
    // The firm's Zoho org is not empty: a dozen records typed in by hand before ml-connector came.
    const handMade = fixture.zoho === undefined && opts.emptyZoho !== true ? firmHandMadeRecords(dataset).records : undefined;
    zoho = await startZohoSimulator({
      ...(zohoPort === undefined ? {} : { port: zohoPort }),
      ...(fixture.zoho === undefined ? {} : { fixture: fixture.zoho }),
      ...(handMade === undefined ? {} : { handMade }),
    });
  } catch (err) {
    await ps.close();
    throw describeStartError(err, 'Zoho', zohoPort);
  }

  if (opts.json) process.stdout.write(JSON.stringify(connectionSummary(ps, zoho)) + '\n');
  else printHuman(ps, zoho);
  const signal = await stopped;
  await Promise.all([ps.close(), zoho.close()]);
  return signal;
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
    .option('--empty-zoho', "start the Zoho org empty (default: the firm's dozen hand-made contacts and accounts; a --fixture with a zoho part replaces them)")
    .option('--json', 'print one JSON object with URLs and credentials as the first line')
    .action(async (opts: SimOptions) => {
      await runSim(opts);
    });
}
