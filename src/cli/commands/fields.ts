import type { Command } from 'commander';
import { DEFAULT_CONFIG_DIR, loadValidConfig, resolveCredential, type Config } from '../../config/index.js';
import type { PeopleSoftConnection } from '../../config/types.generated.js';
import { MlError } from '../../support/errors.js';
import { scrub } from '../../support/redact.js';
import type { ZohoField } from '../../zoho/fields.js';
import type { ReaderDescription } from '../../peoplesoft/describe.js';
import type { CommandContext } from '../shared/context.js';
import { paint, useColor } from '../output.js';
import { addExamples } from '../shared/help.js';
import { lazyState } from '../shared/state.js';

/**
 * `ml-connector fields zoho MODULE` and `fields peoplesoft --reader NAME`: what there is to map.
 * Zoho's field metadata (API names, types, lengths, picklist values, unique/external) and a
 * PeopleSoft reader's columns (names and kinds, never values).
 */

interface FieldsOptions {
  config: string;
  connection?: string;
  state?: string;
  json?: boolean;
  reader?: string;
}

function table(rows: string[][], c: ReturnType<typeof paint>): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r, n) => {
    const line = r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd();
    return n === 0 ? c('bold', line) : line;
  }).join('\n');
}

function renderZohoFields(module: string, fields: ZohoField[], color: boolean): string {
  const c = paint(color);
  const flags = (f: ZohoField): string => [f.mandatory ? 'mandatory' : '', f.external ? 'external' : f.unique ? 'unique' : '', f.readOnly ? 'read-only' : '', f.custom ? 'custom' : ''].filter(Boolean).join(', ');
  const detail = (f: ZohoField): string => (f.picklist ? f.picklist.filter((v) => v !== '-None-').join(' | ') : f.lookupModule ? `→ ${f.lookupModule}` : '');
  const rows = [['API NAME', 'TYPE', 'LENGTH', 'FLAGS', 'VALUES / LOOKUP'], ...fields.map((f) => [f.apiName, f.dataType, f.length === undefined ? '' : String(f.length), flags(f), detail(f)])];
  return `${c('bold', module)}: ${fields.length} fields (API names are case-sensitive)\n${table(rows, c)}`;
}

function renderReader(d: ReaderDescription, color: boolean): string {
  const c = paint(color);
  const rows = [['COLUMN', 'KIND', 'COLLECTION', 'READ AS'], ...d.columns.map((col) => [col.name, col.kind, col.collection ?? '', col.canonical && col.canonical !== col.name ? col.canonical : col.canonical ? '✓' : c('gray', 'not read')])];
  const lines = [
    `${c('bold', `${d.connection} ${d.reader}`)} (${d.kind}): ${d.columns.length} columns of the first row of the ${d.call}`,
    table(rows, c),
  ];
  if (d.missing.length) lines.push(c('yellow', `Columns ml-connector reads that the answer lacks: ${d.missing.join(', ')}`), c('gray', '  Add them to the query, or map the customer\'s names with the reader\'s `columns:` (docs/peoplesoft.md).'));
  lines.push('', `${c('bold', 'Source fields a mapping may use')} (from:, templates, conditions): ${d.sourceFields.join(', ')}`);
  return lines.join('\n');
}

function pickPeopleSoft(config: Config, reader: string, name: string | undefined): PeopleSoftConnection {
  const all = [...config.peoplesoft.values()];
  const candidates = name ? all.filter((c) => c.name === name) : all.filter((c) => (c.readers as Record<string, unknown>)[reader] !== undefined);
  if (candidates.length === 1) return candidates[0]!;
  const known = all.map((c) => `${c.name} (${Object.keys(c.readers).join(', ')})`).join('; ');
  throw new MlError(name ? 'PS_CONNECTION_NOT_FOUND' : 'PS_READER_AMBIGUOUS', name ? `No PeopleSoft connection named "${name}".` : candidates.length ? `Several PeopleSoft connections have a ${reader} reader: say which with --connection.` : `No PeopleSoft connection has a reader "${reader}".`, {
    meta: { reader, ...(name ? { connection: name } : {}) },
    hint: `Connections and their readers: ${known || 'none'}.`,
  });
}

async function showZoho(module: string, opts: FieldsOptions): Promise<void> {
  const config = await loadValidConfig(opts.config);
  const { pickZohoConnection, resolveZohoCredentials } = await import('../../zoho/setup.js');
  const { createZohoClient } = await import('../../zoho/client.js');
  const conn = pickZohoConnection(config, opts.connection);
  config.requireEnv('ZohoConnection', conn.name);
  const state = lazyState({ config: opts.config, ...(opts.state ? { state: opts.state } : {}) }, false);
  try {
    const client = createZohoClient(conn, { credentials: await resolveZohoCredentials(conn, { secrets: state }) });
    try {
      const modules = await client.getModules();
      if (!modules.some((m) => m.apiName === module)) {
        const { suggest } = await import('../../config/suggest.js');
        const near = suggest(module, modules.map((m) => m.apiName));
        throw new MlError('ZOHO_MODULE_UNKNOWN', `Zoho has no module "${module}"${near ? ` (did you mean "${near}"?)` : ''}.`, {
          meta: { module },
          hint: `Module API names are case-sensitive: ${modules.filter((m) => m.apiSupported).map((m) => m.apiName).join(', ')}.`,
        });
      }
      const fields = await client.getFields(module);
      process.stdout.write(scrub(opts.json ? JSON.stringify({ connection: conn.name, module, fields }, null, 2) : renderZohoFields(module, fields, useColor())) + '\n');
    } finally {
      await client.close();
    }
  } finally {
    await state.close();
  }
}

async function showPeopleSoft(opts: FieldsOptions): Promise<void> {
  const reader = opts.reader;
  if (reader !== 'employees' && reader !== 'vendors') {
    throw new MlError('CLI_INVALID_OPTION', `--reader must be employees or vendors (got "${reader ?? ''}").`, { hint: 'The readers are keyed by entity in the connection: readers.employees, readers.vendors.' });
  }
  const config = await loadValidConfig(opts.config);
  const conn = pickPeopleSoft(config, reader, opts.connection);
  config.requireEnv('PeopleSoftConnection', conn.name);
  const { resolvePeopleSoftCredentials } = await import('../../peoplesoft/credentials.js');
  const { describeReader } = await import('../../peoplesoft/describe.js');
  const state = lazyState({ config: opts.config, ...(opts.state ? { state: opts.state } : {}) }, false);
  try {
    const credentials = await resolvePeopleSoftCredentials(conn, (ref, what) => resolveCredential(ref, { secrets: state, what }));
    const d = await describeReader(conn, reader, { credentials });
    process.stdout.write(scrub(opts.json ? JSON.stringify(d, null, 2) : renderReader(d, useColor())) + '\n');
  } finally {
    await state.close();
  }
}

export function register(program: Command, _ctx: CommandContext): void {
  const fields = program
    .command('fields')
    .description('Show what there is to map: a Zoho module\'s fields, or the columns a PeopleSoft reader answers with');
  const common = (cmd: Command): Command =>
    cmd
      .option('-c, --config <dir>', 'configuration directory', DEFAULT_CONFIG_DIR)
      .option('--connection <name>', 'connection to ask (default: the only one that fits)')
      .option('--state <path>', "state database holding ${secret:} values (default: the Project's state.path)")
      .option('--json', 'print JSON (schema/output/fields-zoho.schema.json, fields-peoplesoft.schema.json)');
  common(fields.command('zoho').description("A Zoho module's fields: API names, types, lengths, picklist values, unique/external, read-only, custom"))
    .argument('<module>', 'module API name, e.g. Contacts, Accounts, Vendors');
  addExamples(fields.commands.at(-1)!, ['fields zoho Contacts', "fields zoho Accounts --json | jq '.fields[] | select(.custom) | .apiName'"])
    .action((module: string, opts: FieldsOptions) => showZoho(module, opts));
  common(fields.command('peoplesoft').description("The columns a PeopleSoft reader's query, service operation or component interface answers with (one row read; values never shown)"))
    .requiredOption('--reader <name>', 'employees or vendors');
  addExamples(fields.commands.at(-1)!, ['fields peoplesoft --reader employees', 'fields peoplesoft --reader vendors --connection peoplesoft-fscm --json'])
    .action((opts: FieldsOptions) => showPeopleSoft(opts));
  addExamples(fields, ['fields zoho Contacts', 'fields peoplesoft --reader employees']);
}
