import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { DEFAULT_CONFIG_DIR, loadValidConfig } from '../../config/index.js';
// Not state/index.js: that loads the store and the native sqlite3 module at registration.
import { checkSecretName } from '../../state/secrets.js';
import { MlError } from '../../support/errors.js';
import { scrub } from '../../support/redact.js';
import { createZohoClient } from '../../zoho/client.js';
import { buildAuthorizeUrl, chooseAccountsServer, DEFAULT_REDIRECT_URI, DEFAULT_SCOPES, exchangeGrantCode, listenForRedirect, newState, parseRedirect, type RedirectListener } from '../../zoho/oauth.js';
import { resolveZohoUrls } from '../../zoho/regions.js';
import { pickZohoConnection, resolveZohoCredentials } from '../../zoho/setup.js';
import { addExamples } from '../shared/help.js';
import type { CommandContext } from '../shared/context.js';
import { lazyState } from '../shared/state.js';

interface AuthOptions {
  connection?: string;
  config: string;
  state?: string;
  browser: boolean;
  code?: string;
  clientCredentials?: boolean;
  secret: string;
  timeout: string;
}

const say = (line: string): void => {
  process.stderr.write(scrub(line) + '\n');
};

/** Best effort: the URL is printed anyway. */
function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = process.platform === 'win32' ? ['/c', 'start', '""', url] : [url];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    /* no browser here: the printed URL is the way */
  }
}

/** The redirected URL: from the loopback listener, or pasted on stdin, whichever comes first. */
async function waitForRedirect(listener: RedirectListener | undefined, paste: boolean, timeoutMs: number): Promise<string> {
  const waits: Array<Promise<string>> = [];
  if (listener) waits.push(listener.redirected);
  let rl: ReturnType<typeof createInterface> | undefined;
  if (paste) {
    rl = createInterface({ input: process.stdin, terminal: false });
    const r = rl;
    waits.push(
      new Promise<string>((resolve) => {
        r.on('line', (line) => {
          if (/^https?:\/\//.test(line.trim())) resolve(line.trim());
        });
      }),
    );
  }
  let timer: NodeJS.Timeout | undefined;
  waits.push(
    new Promise<string>((_, reject) => {
      timer = setTimeout(() => reject(new MlError('ZOHO_AUTH_TIMEOUT', `No authorization arrived within ${Math.round(timeoutMs / 1000)} s`, { hint: 'run ml-connector auth zoho again; the grant code is valid only 2 minutes' })), timeoutMs);
    }),
  );
  try {
    return await Promise.race(waits);
  } finally {
    clearTimeout(timer);
    rl?.close();
    process.stdin.pause();
  }
}

async function authZoho(opts: AuthOptions): Promise<void> {
  checkSecretName(opts.secret);
  const config = await loadValidConfig(opts.config);
  const conn = pickZohoConnection(config, opts.connection);
  const state = lazyState({ config: opts.config, ...(opts.state ? { state: opts.state } : {}) }, true);
  try {
    const creds = await resolveZohoCredentials(conn, { secrets: state, withRefreshToken: false });
    const { accountsUrl } = resolveZohoUrls(conn);
    const endpoint = { accountsUrl, clientId: creds.clientId, clientSecret: creds.clientSecret, region: conn.region };

    if (opts.clientCredentials) {
      if (conn.auth.type !== 'client_credentials') {
        throw new MlError('ZOHO_AUTH_WRONG_GRANT', `Connection ${conn.name} uses auth.type ${conn.auth.type}`, {
          hint: 'set auth.type: client_credentials with soid: ZohoCRM.<org id> to use the client-credentials grant',
        });
      }
      const client = createZohoClient(conn, { credentials: creds });
      const { apiDomain } = await client.connect();
      const org = await client.getOrg();
      say(`The client-credentials grant works: a token for organisation ${org.companyName ?? org.id} (${org.id}) from ${accountsUrl}; API domain ${apiDomain}.`);
      say('Nothing to store: ml-connector asks for a new token whenever it needs one.');
      await client.close();
      return;
    }

    // The refresh token must be stored encrypted: make sure the master key is there before the
    // user consents and the single-use grant code is spent, not after.
    await (await state.store()).secrets.checkKey();

    let code: string;
    let exchangeAt = accountsUrl;
    let redirectUri: string | undefined;
    let location: string | undefined;
    if (opts.code) {
      // A self client's grant code (API console > Self Client > Generate Code): no redirect.
      code = opts.code;
    } else {
      if (conn.auth.type !== 'refresh_token') throw new MlError('ZOHO_AUTH_WRONG_GRANT', `Connection ${conn.name} uses auth.type ${conn.auth.type}; use --client-credentials`);
      redirectUri = conn.auth.redirectUri ?? DEFAULT_REDIRECT_URI;
      const expected = newState();
      const url = buildAuthorizeUrl({ accountsUrl, clientId: creds.clientId, redirectUri, scopes: conn.auth.scopes ?? DEFAULT_SCOPES, state: expected });
      let listener: RedirectListener | undefined;
      try {
        listener = await listenForRedirect(redirectUri);
      } catch (err) {
        // Not a loopback URI, or the port is taken: the pasted URL still works.
        say(`Not listening for the redirect: ${(err as Error).message}`);
      }
      say(`Open this URL in a browser, sign in to Zoho as the integration user and accept:\n\n  ${url}\n`);
      if (listener) say(`Waiting for Zoho to redirect to ${redirectUri} ...`);
      if (!opts.browser || !listener) say('If the browser is on another machine, paste the address it ends up on here and press Enter.');
      if (opts.browser) openBrowser(url);
      try {
        const redirected = await waitForRedirect(listener, !opts.browser || !listener, Number(opts.timeout) * 1000);
        const back = parseRedirect(redirected, expected);
        code = back.code;
        location = back.location;
        exchangeAt = chooseAccountsServer(accountsUrl, back.accountsServer);
      } finally {
        await listener?.close();
      }
    }

    const answer = await exchangeGrantCode({ ...endpoint, accountsUrl: exchangeAt }, code, redirectUri);
    const store = await state.store();
    await store.secrets.set(opts.secret, answer.refreshToken);

    // Prove it works before telling anyone to use it.
    const client = createZohoClient(conn, { credentials: { ...creds, refreshToken: answer.refreshToken } });
    const user = await client.getCurrentUser().catch(() => undefined);
    await client.close();
    say(`Authorized${user ? ` as ${user.fullName ?? user.id}${user.email ? ` <${user.email}>` : ''}` : ''}; API domain ${answer.apiDomain ?? 'not given'}.`);
    say(`Stored the refresh token as the secret "${opts.secret}" in the state database (encrypted).`);
    if (exchangeAt !== accountsUrl) say(`Note: Zoho answered from ${exchangeAt}${location ? ` (data center ${location})` : ''}; set region${location ? `: ${location}` : ''} in the connection.`);
    process.stdout.write(`# in the ZohoConnection "${conn.name}":\nauth:\n  refreshToken: \${secret:${opts.secret}}\n`);
  } finally {
    await state.close();
  }
}

export function register(program: Command, _ctx: CommandContext): void {
  const auth = program.command('auth').description('Obtain credentials for a connection');
  auth
    .command('zoho')
    .description('Authorize ml-connector in Zoho CRM (OAuth code flow, offline access) and store the refresh token as a secret')
    .option('--connection <name>', 'Zoho connection (default: the only one)')
    .option('-c, --config <dir>', 'configuration directory', DEFAULT_CONFIG_DIR)
    .option('--state <path>', "state database to store the secret in (default: the Project's state.path)")
    .option('--no-browser', 'do not open a browser; print the URL and accept the redirected URL pasted on stdin')
    .option('--code <grantCode>', "exchange a self client's grant code instead of the browser flow")
    .option('--client-credentials', 'check the client-credentials grant (self client with soid) instead; nothing is stored')
    .option('--secret <name>', 'name of the secret to store the refresh token as', 'zoho-refresh-token')
    .option('--timeout <seconds>', 'how long to wait for the browser', '300')
    .action((opts: AuthOptions) => authZoho(opts));
  addExamples(auth.commands.find((c) => c.name() === 'zoho')!, [
    'auth zoho -c configs                         # opens the consent page, stores the refresh token',
    'auth zoho --no-browser                       # print the URL; paste the address the browser ends on',
    'auth zoho --code 1000.abc...                 # a Self Client grant code from the API console',
    'auth zoho --client-credentials               # check a client-credentials connection (nothing stored)',
  ]);
  addExamples(auth, ['auth zoho -c configs']);
}
