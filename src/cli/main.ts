import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { commands } from './commands/index.js';
import { EXIT, printError } from './output.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** What a command's action reports back: the process exit code. */
export interface CommandContext {
  setExitCode(code: number): void;
}

/** The first argument that is not an option: the command being run, if any. */
function commandName(argv: string[]): string | undefined {
  return argv.slice(2).find((arg) => !arg.startsWith('-'));
}

export async function buildProgram(ctx: CommandContext, argv: string[] = []): Promise<Command> {
  const program = new Command('ml-connector')
    .description('Keep Zoho CRM in step with Oracle PeopleSoft: declarative plan/apply from YAML in git.')
    .version(pkg.version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const name = commandName(argv);
  const wanted = name !== undefined && name in commands ? [name] : Object.keys(commands);
  for (const key of wanted) (await commands[key]!())(program, ctx);
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
