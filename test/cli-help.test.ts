import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { Command as Program } from 'commander';
import { commands } from '../src/cli/commands/index.js';

/** Every command's --help ends with examples; every command that reads the configuration takes -c. */
function walk(cmd: Command, path: string[] = []): Array<{ name: string; cmd: Command }> {
  return cmd.commands.flatMap((c) => [{ name: [...path, c.name()].join(' '), cmd: c }, ...walk(c, [...path, c.name()])]);
}

function helpOf(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => { text += s; }, writeErr: (s) => { text += s; } });
  cmd.outputHelp();
  return text;
}

const LEAD_OWNED = new Set<string>();

/** The whole command tree: every command module registered (the CLI loads only the one it runs). */
async function buildProgram(ctx: { setExitCode(code: number): void }): Promise<Program> {
  const program = new Program('ml-connector');
  for (const entry of Object.values(commands)) (await entry.load())(program, ctx);
  return program;
}

describe('--help', () => {
  it('every command shows examples', async () => {
    const program = await buildProgram({ setExitCode: () => undefined });
    const all = walk(program).filter((c) => !LEAD_OWNED.has(c.name));
    expect(all.length).toBeGreaterThan(25);
    const without = all.filter((c) => !/\nExamples:\n {2}\$ ml-connector /.test(helpOf(c.cmd))).map((c) => c.name);
    expect(without).toEqual([]);
  });

  it('every command with --config also takes -c', async () => {
    const program = await buildProgram({ setExitCode: () => undefined });
    const missing = walk(program)
      .filter((c) => !LEAD_OWNED.has(c.name) && c.cmd.options.some((o) => o.long === '--config'))
      .filter((c) => !c.cmd.options.some((o) => o.long === '--config' && o.short === '-c'))
      .map((c) => c.name);
    expect(missing).toEqual([]);
  });
});
