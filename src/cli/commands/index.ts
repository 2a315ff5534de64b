import type { Command } from 'commander';
import type { CommandContext } from '../main.js';

/** Each command lives in its own file and registers itself here (one line per command). */
export type RegisterCommand = (program: Command, ctx: CommandContext) => void;

export const commands: RegisterCommand[] = [
];
