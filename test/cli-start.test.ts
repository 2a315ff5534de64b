/**
 * Start-up of the built CLI: `--version` and `--help` are answered from the static command table
 * and load no command module (and none of ajv, sqlite3, undici, yaml or the simulators); the
 * table says exactly what each command's module registers.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command, Help } from 'commander';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { commands } from '../src/cli/commands/index.js';
import { commandToLoad } from '../src/cli/main.js';

const CLI = 'bin/ml-connector.js';
const TRACE = 'test/fixtures/start/trace-imports.mjs';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ml-start-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Run the built CLI with every loaded module recorded; returns the output and the modules. */
async function traced(args: string[]): Promise<{ code: number; stdout: string; modules: string[] }> {
  const out = path.join(dir, `trace-${args.join('_').replace(/\W/g, '')}.txt`);
  const run = await new Promise<{ code: number; stdout: string }>((resolve) => {
    const child = execFile(process.execPath, ['--import', `./${TRACE}`, CLI, ...args], { env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', TRACE_IMPORTS_FILE: out } }, (err, stdout) =>
      resolve({ code: child.exitCode ?? (err ? 1 : 0), stdout }),
    );
  });
  const root = new URL(`file://${process.cwd()}/`).href;
  const modules = [...new Set((await readFile(out, 'utf8')).split('\n').filter((l) => l.startsWith('esm ')).map((l) => l.slice(4).replace(root, '')))];
  return { ...run, modules };
}

const ours = (modules: string[]): string[] => modules.filter((m) => m.startsWith('dist/')).sort();
const packages = (modules: string[]): string[] => [...new Set(modules.filter((m) => m.startsWith('node_modules/')).map((m) => m.split('/')[1]!))];

describe('start-up of the built CLI', () => {
  test.each([['--version'], ['--help'], ['help']])('`ml-connector %s` loads no command module, only commander', async (arg) => {
    const run = await traced([arg]);
    expect(run.code).toBe(0);
    expect(ours(run.modules)).toEqual(['dist/cli/commands/index.js', 'dist/cli/main.js', 'dist/cli/output.js', 'dist/support/errors.js', 'dist/support/redact.js']);
    expect(packages(run.modules)).toEqual(['commander']);
    if (arg === '--version') expect(run.stdout).toBe(`${JSON.parse(await readFile('package.json', 'utf8')).version}\n`);
    else for (const name of Object.keys(commands)) expect(run.stdout).toContain(`  ${commands[name]!.usage}`);
  });

  test("a command's own help loads that command and no other", async () => {
    const run = await traced(['validate', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: ml-connector validate \[options\]/);
    expect(ours(run.modules).filter((m) => m.startsWith('dist/cli/commands/'))).toEqual(['dist/cli/commands/index.js', 'dist/cli/commands/validate.js']);
  });

  test('an unknown command gets a suggestion from the table alone', async () => {
    const run = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [CLI, 'valdate'], { env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' } }, (err, _o, stderr) => resolve({ code: child.exitCode ?? 1, stderr }));
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("unknown command 'valdate'");
    expect(run.stderr).toContain('Did you mean validate?');
  });
});

describe('the static command table', () => {
  test.each(Object.keys(commands))('%s: usage and summary are what its module registers', async (name) => {
    const program = new Command('ml-connector');
    (await commands[name]!.load())(program, { setExitCode: () => undefined });
    const registered = program.commands.find((c) => c.name() === name);
    expect(registered, `${name} registers a command of that name`).toBeDefined();
    expect(commands[name]!.summary).toBe(registered!.description());
    expect(commands[name]!.usage).toBe(new Help().subcommandTerm(registered!));
  });

  test.each([
    [['plan', '--json'], 'plan'],
    [['help', 'apply'], 'apply'],
    [['--help'], undefined],
    [['--version'], undefined],
    [['help'], undefined],
    [['nope'], undefined],
    [['toString'], undefined],
  ])('argv %j loads %s', (args, expected) => {
    expect(commandToLoad(['node', 'ml-connector', ...args])).toBe(expected);
  });
});
