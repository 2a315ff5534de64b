import type { Command } from 'commander';
import { DEFAULT_CONFIG_DIR, loadValidConfig, type Config } from '../../config/index.js';
import type { Mapping } from '../../config/types.generated.js';
import { otherExternalIdFields } from '../../mapping/index.js';
import type { Pairing, StateStore } from '../../state/index.js';
import { MlError } from '../../support/errors.js';
import { scrub } from '../../support/redact.js';
import { createZohoClient } from '../../zoho/client.js';
import { checkPairing } from '../../zoho/pairing.js';
import { resolveZohoCredentials } from '../../zoho/setup.js';
import type { CommandContext } from '../shared/context.js';
import { paint, useColor } from '../output.js';
import { addExamples } from '../shared/help.js';
import { openStateFromOptions } from '../shared/state.js';

interface AdoptOptions {
  mapping?: string;
  config: string;
  state?: string;
  remove?: boolean;
  list?: boolean;
  json?: boolean;
}

function findMapping(config: Config, name: string | undefined): Mapping {
  const names = [...config.mappings.keys()];
  const m = name === undefined ? undefined : config.mappings.get(name);
  if (m === undefined) {
    throw new MlError(name === undefined ? 'CLI_MISSING_OPTION' : 'CONFIG_UNKNOWN_MAPPING', name === undefined ? 'Say which mapping the record belongs to: --mapping NAME.' : `There is no mapping named '${name}'.`, {
      meta: { mapping: name ?? null, known: names },
      hint: names.length ? `Mappings: ${names.join(', ')}` : 'The configuration defines no mapping.',
    });
  }
  return m;
}

function out(text: string, json: unknown, opts: AdoptOptions): void {
  process.stdout.write(scrub(opts.json ? JSON.stringify(json, null, 2) : text) + '\n');
}

/** Check with Zoho, then store the pairing and its audit row under a run of kind `adopt`. */
async function pair(config: Config, store: StateStore, mapping: Mapping, externalId: string, zohoId: string, opts: AdoptOptions): Promise<void> {
  const module = mapping.target.module;
  const link = (await store.getLinks(mapping.name)).get(externalId);
  if (link !== undefined && link.zohoId !== zohoId) {
    throw new MlError('ADOPT_EXTERNAL_ID_TAKEN', `${mapping.name} ${externalId} is already linked to ${link.module} record ${link.zohoId}.`, {
      meta: { mapping: mapping.name, externalId, linkedTo: link.zohoId, zohoId },
      hint: `It was created or adopted before. Merge the two records in Zoho, or delete ${link.zohoId} there; the next plan re-links by external id.`,
    });
  }
  config.requireEnv('ZohoConnection', mapping.target.connection);
  const conn = config.zoho.get(mapping.target.connection)!;
  const credentials = await resolveZohoCredentials(conn, { secrets: store.secrets });
  const client = createZohoClient(conn, { credentials });
  let verdict;
  try {
    verdict = await checkPairing(client, { module, externalIdField: mapping.externalId.field, externalId, zohoId, otherExternalIdFields: otherExternalIdFields(mapping, config.mappings.values()), connection: conn.name });
  } finally {
    await client.close();
  }
  const stats = client.stats();
  if (verdict.kind === 'already-linked') {
    out(`${module} record ${zohoId} already carries ${mapping.externalId.field} ${externalId}: nothing to pair, the next plan links it.`, { paired: false, alreadyLinked: true, mapping: mapping.name, externalId, module, zohoId }, opts);
    return;
  }
  const runId = await store.startRun({ kind: 'adopt', trigger: 'cli', configDigest: config.digest(), mappings: [mapping.name] });
  try {
    await store.putPairing(
      { mapping: mapping.name, externalId, module, zohoId, runId },
      { runId, mapping: mapping.name, externalId, zohoId, action: 'pair', fields: [mapping.externalId.field], outcome: 'applied' },
    );
  } catch (err) {
    await store.finishRun(runId, { status: 'failed', counts: {}, apiCalls: stats.calls, credits: stats.credits, error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
  await store.finishRun(runId, { status: 'succeeded', counts: { pair: 1 }, apiCalls: stats.calls, credits: stats.credits });
  const c = paint(useColor());
  out(
    `${c('green', '✔')} Paired ${mapping.name} ${externalId} with ${module} record ${zohoId} (run ${runId}).\n` +
      `  The next plan shows it as ${c('bold', 'adopt')} (rule explicit); apply writes ${mapping.externalId.field} and the managed fields to that record.`,
    { paired: true, mapping: mapping.name, externalId, module, zohoId, runId },
    opts,
  );
}

async function unpair(config: Config, store: StateStore, mapping: Mapping, externalIds: string[], opts: AdoptOptions): Promise<void> {
  const existing = await store.getPairings(mapping.name, externalIds);
  const missing = externalIds.filter((k) => !existing.has(k));
  const runId = await store.startRun({ kind: 'adopt', trigger: 'cli:remove', configDigest: config.digest(), mappings: [mapping.name] });
  const audit = [...existing.values()].map((p) => ({ runId, mapping: mapping.name, externalId: p.externalId, zohoId: p.zohoId, action: 'unpair', fields: [], outcome: 'applied' as const }));
  const removed = await store.removePairings(mapping.name, [...existing.keys()], audit);
  await store.finishRun(runId, { status: 'succeeded', counts: { unpair: removed }, apiCalls: 0, credits: 0 });
  out(
    [
      ...[...existing.values()].map((p) => `Removed the pairing of ${mapping.name} ${p.externalId} with ${p.module} record ${p.zohoId}.`),
      ...missing.map((k) => `${mapping.name} ${k} had no pairing.`),
    ].join('\n'),
    { removed: [...existing.values()], notPaired: missing },
    opts,
  );
}

function renderList(pairings: Pairing[]): string {
  if (pairings.length === 0) return 'No pairings: every adoption so far came from match rules, or none is pending.';
  return pairings.map((p) => `${p.mapping.padEnd(28)} ${p.externalId.padEnd(16)} → ${p.module} ${p.zohoId}  (${p.createdAt})`).join('\n');
}

export function register(program: Command, _ctx: CommandContext): void {
  const cmd = program
    .command('adopt')
    .description('Pair a source record with an existing Zoho record that match rules cannot find (like terraform import): the next plan adopts it instead of creating a duplicate')
    .argument('[externalId]', "the source record's external id, e.g. an EMPLID (100042) or SETID-VENDOR_ID")
    .argument('[zohoId]', 'the id of the Zoho record it is (from the record URL in Zoho CRM)')
    .option('--mapping <name>', 'the mapping the source record belongs to')
    .option('--remove', 'remove the pairings of the external ids given instead (before they are adopted)')
    .option('--list', "list the pairings not yet adopted (of --mapping, or all)")
    .option('-c, --config <dir>', 'configuration directory', DEFAULT_CONFIG_DIR)
    .option('--state <path>', "state database (default: the Project's state.path)")
    .option('--json', 'print JSON for scripts')
    .action(async (externalId: string | undefined, zohoId: string | undefined, opts: AdoptOptions) => {
      const config = await loadValidConfig(opts.config);
      if (opts.list) {
        const mapping = opts.mapping === undefined ? undefined : findMapping(config, opts.mapping);
        const store = await openStateFromOptions({ config: opts.config, ...(opts.state ? { state: opts.state } : {}) }, { create: false }).catch((err: unknown) => {
          if (err instanceof MlError && err.code === 'STATE_NOT_FOUND') return undefined;
          throw err;
        });
        try {
          const pairings = store === undefined ? [] : await store.listPairings(mapping?.name);
          out(renderList(pairings), { pairings }, opts);
        } finally {
          await store?.close();
        }
        return;
      }
      const mapping = findMapping(config, opts.mapping);
      const key = externalId?.trim();
      if (!key) throw new MlError('CLI_MISSING_ARGUMENT', 'Give the external id of the source record (and the Zoho id to pair it with).', { hint: 'ml-connector adopt --mapping NAME EXTERNAL_ID ZOHO_ID' });
      const store = await openStateFromOptions({ config: opts.config, ...(opts.state ? { state: opts.state } : {}) }, { create: true });
      try {
        if (opts.remove) {
          await unpair(config, store, mapping, [key, ...(zohoId === undefined ? [] : [zohoId.trim()])].filter((k) => k !== ''), opts);
          return;
        }
        const id = zohoId?.trim();
        if (!id) throw new MlError('CLI_MISSING_ARGUMENT', `Give the Zoho id of the ${mapping.target.module} record to pair ${key} with.`, { hint: `ml-connector adopt --mapping ${mapping.name} ${key} ZOHO_ID` });
        await pair(config, store, mapping, key, id, opts);
      } finally {
        await store.close();
      }
    });
  addExamples(cmd, [
    'adopt --mapping employees-to-contacts 100042 5725767000000900001   # pair EMPLID 100042 with that Zoho contact',
    'adopt --mapping employees-to-contacts --remove 100042',
    'adopt --list',
  ], 'Zoho is asked first: the record must exist and carry no external id of another source record.\nThe pairing is stored in the state database and recorded in the audit trail (`ml-connector audit`); the next plan shows it as adopt.');
}
