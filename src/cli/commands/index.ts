import type { Command } from 'commander';
import type { CommandContext } from '../main.js';

/** Each command lives in its own file and exports `register(program, ctx)`. */
export type RegisterCommand = (program: Command, ctx: CommandContext) => void;

/**
 * Commands by name, loaded on demand: a command's module pulls in its whole layer (ajv, sqlite3,
 * undici...), and loading all of them costs ~0.4 s of CPU at every start. `main` loads only the
 * one being run, or all of them for the top-level `--help`.
 */
export const commands: Record<string, () => Promise<RegisterCommand>> = {
  validate: async () => (await import('./validate.js')).register,
  check: async () => (await import('./check.js')).register,
  fields: async () => (await import('./fields.js')).register,
  plan: async () => (await import('./plan.js')).register,
  apply: async () => (await import('./apply.js')).register,
  auth: async () => (await import('./auth.js')).register,
  webhooks: async () => (await import('./webhooks.js')).register,
  secrets: async () => (await import('./secrets.js')).register,
  state: async () => (await import('./state.js')).register,
  runs: async () => (await import('./runs.js')).register,
  audit: async () => (await import('./audit.js')).register,
  serve: async () => (await import('./serve.js')).register,
  sim: async () => (await import('./sim.js')).register,
};
