import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OffsetClock, type Clock } from '../../support/clock.js';
import { MlError } from '../../support/errors.js';
import { zoneOffsetMs } from '../../support/time-zone.js';
import { DAY_MS, toPsDate } from '../dataset/dates.js';
import { generateDataset } from '../dataset/generate.js';
import { applyScenarioDay, type ScenarioDayReport } from '../dataset/scenario.js';
import { DEFAULT_USERS, TokenIssuer } from './auth.js';
import { handleRequest, type GatewayState } from './gateway.js';
import { FaultPlan, RequestRecorder } from './traffic.js';
import type { PeopleSoftQuirks, PeopleSoftSimulator, StartPeopleSoftOptions } from './types.js';

export type * from './types.js';
export { DEFAULT_USERS, QAS_PERMISSION_LIST } from './auth.js';
export { EMPLOYEE_COLUMNS } from './employee-rows.js';
export { VENDOR_COLUMNS } from './vendor-rows.js';

export const DEFAULT_NODES = { hcm: 'PSFT_HR', fscm: 'PSFT_EP' } as const;
export const DEFAULT_OAUTH_CLIENT = { clientId: 'ml-connector-sim', clientSecret: 'ml-sim-client-secret' } as const;

/**
 * Start a PeopleSoft Integration Gateway simulator on 127.0.0.1 (an ephemeral port unless told):
 * QAS ExecuteQuery (ML_EMPLOYEES and ML_DEPARTMENTS on the HCM node, ML_VENDORS on the FSCM node), the custom REST
 * operation ML_EMPL_CHANGES, VENDOR_CI over CI REST, HTTP Basic and OAuth2 bearer auth, faults.
 * See docs/simulators.md for the data contract.
 */
/** The quirks' defaults (docs/simulators.md): the strict answer wherever the reference is unsure. */
export const DEFAULT_PEOPLESOFT_QUIRKS: Required<Omit<PeopleSoftQuirks, 'maxRowsCap'>> = {
  blankAsSpace: true,
  aliasPrefixes: false,
  querynameWithEquals: false,
  queryErrorStatus: 200,
  splitEncodedCommas: false,
  jsonRequiresJsonResp: true,
  ciNotFoundStatus: 404,
  ciHistoryItems: false,
  allowMissingNode: false,
  changedRowsOnly: false,
  omitColumns: {},
  controlCharsInNames: false,
};

export async function startPeopleSoftSimulator(opts: StartPeopleSoftOptions = {}): Promise<PeopleSoftSimulator> {
  const clock: Clock = opts.clock ?? new OffsetClock();
  // The database's wall time: what it writes into LASTUPDDTTM and what "today" means to it.
  const zone = opts.serverTimezone ?? 'UTC';
  const wallClock: Clock = zone === 'UTC' ? clock : { now: () => { const t = clock.now(); return t + zoneOffsetMs(zone, t); } };
  const users = opts.users ?? DEFAULT_USERS.map((u) => ({ ...u }));
  const syncUser = users.find((u) => u.oprid === 'ML_SYNC') ?? users[0];
  if (syncUser === undefined) throw new MlError('SIM_CONFIG_INVALID', 'The PeopleSoft simulator needs at least one user.');
  const q: PeopleSoftQuirks = opts.quirks ?? {};
  let issuer: TokenIssuer | undefined;
  const nextDay = (): ScenarioDayReport => {
    const movable = clock as Clock & { advance?: (ms: number) => void };
    if (typeof movable.advance !== 'function') {
      throw new MlError('SIM_CLOCK_FIXED', 'The simulator clock cannot be advanced.', {
        hint: 'Start the simulator with an OffsetClock or ManualClock to use scenario days.',
      });
    }
    movable.advance(DAY_MS);
    return applyScenarioDay(state.data, wallClock.now());
  };
  const state: GatewayState = {
    nextDay,
    data: opts.dataset ?? generateDataset({ preset: 'firm', seed: 1, asOf: toPsDate(wallClock.now()) }),
    clock: wallClock,
    nodes: opts.nodes ?? { ...DEFAULT_NODES },
    users,
    quirks: { ...DEFAULT_PEOPLESOFT_QUIRKS, ...Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined)), maxRowsCap: q.maxRowsCap },
    recorder: new RequestRecorder(),
    faults: new FaultPlan({ latencyMs: opts.latencyMs ?? 0, jitterMs: opts.jitterMs ?? 0, errorRate: opts.errorRate ?? 0 }, opts.seed ?? 1),
    issuer: () => {
      if (issuer === undefined) throw new Error('token issuer not ready');
      return issuer;
    },
    oauthClient: {
      clientId: opts.oauth?.clientId ?? DEFAULT_OAUTH_CLIENT.clientId,
      clientSecret: opts.oauth?.clientSecret ?? DEFAULT_OAUTH_CLIENT.clientSecret,
      oprid: opts.oauth?.oprid ?? syncUser.oprid,
    },
  };

  const server = createServer((req, res) => void handleRequest(state, req, res));
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const audience = opts.oauth?.audience ?? `${url}/PSIGW/RESTListeningConnector/`;
  issuer = await TokenIssuer.create(clock, `${url}/oauth2/v1`, audience, opts.oauth?.tokenTtlSec ?? 3600);
  const activeIssuer = issuer;

  return {
    url,
    nodes: state.nodes,
    clock,
    credentials: { username: syncUser.oprid, password: syncUser.password },
    oauth: {
      tokenUrl: `${url}/oauth2/v1/token`,
      jwksUrl: `${url}/oauth2/v1/keys`,
      issuer: activeIssuer.issuer,
      audience,
      clientId: state.oauthClient.clientId,
      clientSecret: state.oauthClient.clientSecret,
      issueToken: async (request = {}) => (await activeIssuer.issue(state.oauthClient.oprid, request)).token,
    },
    requests: state.recorder,
    inject: (fault) => state.faults.add(fault),
    get data() {
      return state.data;
    },
    set data(next) {
      state.data = next;
    },
    scenario: { nextDay },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
