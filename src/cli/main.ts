import { Command, CommanderError, Help } from 'commander';
import { readFileSync } from 'node:fs';
import { commands } from './commands/index.js';
import { EXIT, printError } from './output.js';

import type { CommandContext } from './shared/context.js';

export type { CommandContext } from './shared/context.js';

/** The arguments that are not options: the command being run comes first, if any. */
const words = (argv: string[]): string[] => argv.slice(2).filter((arg) => !arg.startsWith('-'));

/**
 * The one command whose module must be loaded: the one being run, or the one `help NAME` is about.
 * Anything else (`--help`, `--version`, no command, an unknown one) is answered from the table.
 */
export function commandToLoad(argv: string[]): string | undefined {
  const [first, second] = words(argv);
  const name = first === 'help' ? second : first;
  return name !== undefined && Object.hasOwn(commands, name) ? name : undefined;
}

const version = (): string => (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export async function buildProgram(ctx: CommandContext, argv: string[] = []): Promise<Command> {
  const program = new Command('ml-connector')
    .description('Keep Zoho CRM in step with Oracle PeopleSoft: declarative plan/apply from YAML in git.')
    .version(version())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const name = commandToLoad(argv);
  if (name !== undefined) {
    (await commands[name]!.load())(program, ctx);
    return program;
  }
  // Placeholders named and described from the table, so the top-level help, "unknown command"
  // and its suggestions need no command module. They are never run: a known name loads its module.
  const standard = new Help();
  program.configureHelp({ subcommandTerm: (cmd) => (cmd.parent === program ? commands[cmd.name()]?.usage : undefined) ?? standard.subcommandTerm(cmd) });
  for (const [key, entry] of Object.entries(commands)) program.command(key).description(entry.summary);
  return program;
}

let pipesGuarded = false;

/**
 * `ml-connector audit | head`: once the reader has gone, what is left to print has nowhere to go.
 * Stop printing quietly instead of crashing with an EPIPE stack trace; other errors still throw.
 */
function ignoreClosedPipes(): void {
  if (pipesGuarded) return;
  pipesGuarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
}

/** Entry point: parse argv, run the command, return the exit code. The only place that exits. */
export async function main(argv: string[]): Promise<number> {
  ignoreClosedPipes();
  let exitCode: number = EXIT.ok;
  const ctx: CommandContext = { setExitCode: (code) => { exitCode = code; } };
  const program = await buildProgram(ctx, argv);
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with exitCode 0; usage errors were already printed.
      return err.exitCode === 0 ? EXIT.ok : EXIT.error;
    }
    printError(err, argv.includes('--json'));
    return EXIT.error;
  }
}
