import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { addExamples } from '../shared/help.js';
import type { CommandContext } from '../shared/context.js';
import { addStateOptions, printJson, withState, type StateCliOptions } from '../shared/state.js';
import { SecretError } from '../../state/errors.js';
import { keyId, parseMasterKey } from '../../state/master-key.js';
import { checkSecretName } from '../../state/secrets.js';
import { registerSecret } from '../../support/redact.js';

type SecretsOptions = StateCliOptions & { masterKeyFile?: string };

/** Everything on stdin (piped), without the one trailing newline `echo` or a file adds. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Read a line from the terminal without echoing it. Ctrl-C aborts. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const done = (err?: Error): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (data: Buffer): void => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new SecretError('ABORTED', 'Aborted at the prompt; nothing was stored.'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** Secret values come from stdin or a hidden prompt, never from argv (shell history, `ps`). */
async function readSecretValue(question: string): Promise<string> {
  const value = process.stdin.isTTY ? await promptHidden(question) : await readStdin();
  registerSecret(value);
  return value;
}

function addKeyOption(cmd: Command): Command {
  return addStateOptions(cmd).option('--master-key-file <path>', 'file holding the base64 master key (default: $ML_CONNECTOR_MASTER_KEY, then $ML_CONNECTOR_MASTER_KEY_FILE)');
}

async function setSecret(name: string, opts: SecretsOptions): Promise<void> {
  checkSecretName(name);
  await withState(opts, { create: true }, async (store) => {
    // Fail on a missing key before anyone types a secret.
    await store.secrets.checkKey();
    const value = await readSecretValue(`Value for ${name} (not shown): `);
    const existed = await store.secrets.has(name);
    await store.secrets.set(name, value);
    if (opts.json) printJson({ name, stored: true, replaced: existed });
    else process.stdout.write(`${existed ? 'Replaced' : 'Stored'} secret ${name} (encrypted) in ${store.path}. Refer to it as \${secret:${name}} in the config.\n`);
  });
}

async function listSecrets(opts: SecretsOptions): Promise<void> {
  await withState(opts, { create: false }, async (store) => {
    const list = await store.secrets.list();
    if (opts.json) return printJson(list);
    if (list.length === 0) return void process.stdout.write('No secrets stored.\n');
    const width = Math.max(4, ...list.map((s) => s.name.length));
    process.stdout.write(`${'NAME'.padEnd(width)}  CREATED                   UPDATED\n`);
    for (const s of list) process.stdout.write(`${s.name.padEnd(width)}  ${s.createdAt}  ${s.updatedAt}\n`);
  });
}

async function removeSecret(name: string, opts: SecretsOptions): Promise<void> {
  await withState(opts, { create: false }, async (store) => {
    if (!(await store.secrets.remove(name))) {
      throw new SecretError('SECRET_NOT_FOUND', `There is no secret named ${name} in ${store.path}.`, { meta: { name }, hint: 'See the stored names with `ml-connector secrets list`.' });
    }
    if (opts.json) printJson({ name, removed: true });
    else process.stdout.write(`Removed secret ${name}.\n`);
  });
}

async function readNewKey(opts: { newKeyFile?: string; newKeyEnv?: string }): Promise<Buffer> {
  if (opts.newKeyFile !== undefined) return parseMasterKey(readFileSync(opts.newKeyFile), `the key file ${opts.newKeyFile}`);
  if (opts.newKeyEnv !== undefined) {
    const v = process.env[opts.newKeyEnv];
    if (!v) throw new SecretError('MASTER_KEY_MISSING', `$${opts.newKeyEnv} is not set.`, { meta: { env: opts.newKeyEnv }, hint: 'Export the new key in that variable, or pipe it on stdin.' });
    return parseMasterKey(v, `$${opts.newKeyEnv}`);
  }
  return parseMasterKey(await readSecretValue('New master key (base64, not shown): '), 'stdin');
}

async function rotateKey(opts: SecretsOptions & { newKeyFile?: string; newKeyEnv?: string }): Promise<void> {
  const next = await readNewKey(opts);
  await withState(opts, { create: false }, async (store) => {
    const { count } = await store.secrets.rotateKey(next);
    if (opts.json) printJson({ rotated: count, keyId: keyId(next) });
    else {
      process.stdout.write(
        `Re-encrypted ${count} secret${count === 1 ? '' : 's'} with the new master key (key id ${keyId(next)}).\n` +
          'Switch ML_CONNECTOR_MASTER_KEY (or the key file) to the new key now: the old one no longer opens them.\n',
      );
    }
  });
}

export function register(program: Command, _ctx: CommandContext): void {
  const secrets = program.command('secrets').description('Credentials encrypted in the state database (AES-256-GCM under the master key).');
  addExamples(addKeyOption(secrets.command('set').description('Store or replace a secret. The value is read from stdin, or a hidden prompt on a terminal; never from arguments.'))
    .argument('<name>', 'secret name, used as ${secret:NAME} in the config')
    .action((name: string, opts: SecretsOptions) => setSecret(name, opts)), [
    'secrets set ps-hcm-password                  # asks for the value without showing it',
    'secrets set zoho-client-secret < secret.txt  # or from a file or pipe',
  ], 'Needs the master key: ML_CONNECTOR_MASTER_KEY (base64 of 32 bytes), ML_CONNECTOR_MASTER_KEY_FILE or --master-key-file.');
  addExamples(addKeyOption(secrets.command('list').description('List secret names and dates (never values).')).action((opts: SecretsOptions) => listSecrets(opts)), ['secrets list', 'secrets list --json']);
  addExamples(addKeyOption(secrets.command('rm').description('Remove a secret.'))
    .argument('<name>', 'secret name')
    .action((name: string, opts: SecretsOptions) => removeSecret(name, opts)), ['secrets rm old-token']);
  addExamples(addKeyOption(secrets.command('rotate-key').description('Re-encrypt every secret with a new master key, in one transaction (all or nothing).'))
    .option('--new-key-file <path>', 'read the new base64 key from this file (default: stdin or a hidden prompt)')
    .option('--new-key-env <var>', 'read the new base64 key from this environment variable')
    .action((opts: SecretsOptions & { newKeyFile?: string; newKeyEnv?: string }) => rotateKey(opts)), [
    'secrets rotate-key --new-key-file /etc/ml-connector/master.key.new',
    'secrets rotate-key --new-key-env NEW_MASTER_KEY',
  ]);
  addExamples(secrets, ['secrets set zoho-refresh-token', 'secrets list'], 'Refer to a stored secret as ${secret:NAME} in a credential field.');
}
