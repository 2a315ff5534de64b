import type { Command } from 'commander';
import { DEFAULT_CONFIG_DIR, loadValidConfig } from '../../config/index.js';
import { systemClock } from '../../support/clock.js';
import { scrub } from '../../support/redact.js';
import { createZohoClient, type ZohoClient } from '../../zoho/client.js';
import { pickZohoConnection, resolveZohoCredentials } from '../../zoho/setup.js';
import { channelIdFor, disableChannels, enableChannels, planChannels, renewChannels, type ChannelContext, type ChannelReport } from '../../zoho/webhooks.js';
import type { ZohoConnection } from '../../config/types.generated.js';
import { addExamples } from '../shared/help.js';
import type { CommandContext } from '../shared/context.js';
import { lazyState, type LazyState } from '../shared/state.js';

interface WebhookOptions {
  connection?: string;
  module?: string;
  config: string;
  state?: string;
  json?: boolean;
  force?: boolean;
}

type Action = 'enable' | 'renew' | 'disable' | 'list';

const when = (ms: number | undefined): string => (ms === undefined ? 'unknown expiry' : `expires ${new Date(ms).toISOString()}`);

function print(rows: ChannelReport[], json: boolean | undefined): void {
  if (json) {
    process.stdout.write(JSON.stringify({ channels: rows.map((r) => ({ ...r, ...(r.expiresAt !== undefined ? { expiresAt: new Date(r.expiresAt).toISOString() } : {}) })) }, null, 2) + '\n');
    return;
  }
  for (const r of rows) process.stdout.write(scrub(`${r.action.padEnd(8)} ${r.module.padEnd(10)} channel ${r.channelId}  ${r.action === 'disabled' || r.action === 'absent' ? '' : when(r.expiresAt)}`.trimEnd()) + '\n');
}

async function listChannels(client: ZohoClient, conn: ZohoConnection, modules: string[]): Promise<ChannelReport[]> {
  const ours = new Map(modules.map((m) => [channelIdFor(conn.name, m), m]));
  const rows: ChannelReport[] = [];
  for (const ch of await client.channels.list()) {
    const module = ours.get(ch.channelId);
    if (module) rows.push({ module, channelId: ch.channelId, action: 'kept', ...(ch.expiresAt !== undefined ? { expiresAt: ch.expiresAt } : {}) });
  }
  for (const [id, module] of ours) if (!rows.some((r) => r.channelId === id)) rows.push({ module, channelId: id, action: 'absent' });
  return rows;
}

async function runWebhooks(action: Action, opts: WebhookOptions): Promise<void> {
  const config = await loadValidConfig(opts.config);
  const conn = pickZohoConnection(config, opts.connection);
  const modules = opts.module ? [opts.module] : planChannels(conn, [...config.mappings.values()]);
  const state: LazyState = lazyState({ config: opts.config, ...(opts.state ? { state: opts.state } : {}) }, action !== 'list');
  try {
    const credentials = await resolveZohoCredentials(conn, { secrets: state });
    const client = createZohoClient(conn, { credentials });
    const secrets = (await state.store()).secrets;
    const ctx: ChannelContext = { conn, client, secrets, clock: systemClock };
    try {
      const rows =
        action === 'enable'
          ? await enableChannels(ctx, modules)
          : action === 'renew'
            ? await renewChannels(ctx, modules, { force: opts.force === true })
            : action === 'disable'
              ? await disableChannels(ctx, modules)
              : await listChannels(client, conn, modules);
      print(rows, opts.json);
    } finally {
      await client.close();
    }
  } finally {
    await state.close();
  }
}

export function register(program: Command, _ctx: CommandContext): void {
  const webhooks = program.command('webhooks').description('Manage the Zoho notification channels (one per mapped module) that tell `serve` about changes made in Zoho');
  const add = (name: Action, description: string): Command =>
    webhooks
      .command(name)
      .description(description)
      .option('--connection <name>', 'Zoho connection (default: the only one)')
      .option('--module <module>', "only this module (default: every module the connection's mappings target)")
      .option('-c, --config <dir>', 'configuration directory', DEFAULT_CONFIG_DIR)
      .option('--state <path>', "state database holding the channel tokens (default: the Project's state.path)")
      .option('--json', 'print JSON for scripts');
  addExamples(add('enable', 'Create (or replace) each channel with a new random verification token, stored as a secret').action((o: WebhookOptions) => runWebhooks('enable', o)), ['webhooks enable -c configs', 'webhooks enable --module Contacts --json']);
  addExamples(add('renew', 'Push the expiry of channels due within half their lifetime (re-create those Zoho dropped)')
    .option('--force', 'renew every channel now')
    .action((o: WebhookOptions) => runWebhooks('renew', o)), ['webhooks renew', 'webhooks renew --force     # every channel, now']);
  addExamples(add('disable', 'Delete the channels and their tokens').action((o: WebhookOptions) => runWebhooks('disable', o)), ['webhooks disable', 'webhooks disable --module Accounts']);
  addExamples(add('list', 'Show our channels and when they expire').action((o: WebhookOptions) => runWebhooks('list', o)), ['webhooks list', 'webhooks list --json']);
  addExamples(webhooks, ['webhooks list', 'webhooks enable -c configs'], 'serve enables and renews the channels itself; these are for a look or a change by hand.');
}
