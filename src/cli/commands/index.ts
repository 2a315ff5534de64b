import type { Command } from 'commander';
import type { CommandContext } from '../shared/context.js';

/** Each command lives in its own file and exports `register(program, ctx)`. */
export type RegisterCommand = (program: Command, ctx: CommandContext) => void;

export interface CommandEntry {
  /** How the top-level help lists it, as commander would write it (`apply [options] [plan]`). */
  usage: string;
  /** The command's one-line description, exactly as its module registers it. */
  summary: string;
  load: () => Promise<RegisterCommand>;
}

/**
 * Every command, with what the top-level `--help` shows of it. A command's module pulls in its
 * whole layer (ajv, sqlite3, undici, the simulators...), so `main` loads one only to run it or to
 * show its own help; `--help` and `--version` are answered from this table alone.
 * test/cli-start.test.ts checks that `usage` and `summary` match what each module registers.
 */
export const commands: Record<string, CommandEntry> = {
  validate: {
    usage: 'validate [options]',
    summary: 'Check the configuration (YAML syntax, schemas, references, secrets, cron, time zones) and report every issue with file:line:col',
    load: async () => (await import('./validate.js')).register,
  },
  check: {
    usage: 'check [options]',
    summary: 'Probe every connection with cheap calls: PeopleSoft readers, Zoho token, user, org, modules, mapping fields, credits',
    load: async () => (await import('./check.js')).register,
  },
  fields: {
    usage: 'fields',
    summary: "Show what there is to map: a Zoho module's fields, or the columns a PeopleSoft reader answers with",
    load: async () => (await import('./fields.js')).register,
  },
  plan: {
    usage: 'plan [options]',
    summary: 'Show what apply would change in Zoho, record by record and field by field (reads only)',
    load: async () => (await import('./plan.js')).register,
  },
  show: {
    usage: 'show [options] <plan>',
    summary: 'Show a saved plan (from `plan --out`) exactly as `plan` printed it: text, --markdown or --json',
    load: async () => (await import('./show.js')).register,
  },
  apply: {
    usage: 'apply [options] [plan]',
    summary: 'Make Zoho match the plan: a saved plan file, or a fresh plan confirmed first',
    load: async () => (await import('./apply.js')).register,
  },
  adopt: {
    usage: 'adopt [options] [externalId] [zohoId]',
    summary: 'Pair a source record with an existing Zoho record that match rules cannot find (like terraform import): the next plan adopts it instead of creating a duplicate',
    load: async () => (await import('./adopt.js')).register,
  },
  auth: {
    usage: 'auth',
    summary: 'Obtain credentials for a connection',
    load: async () => (await import('./auth.js')).register,
  },
  webhooks: {
    usage: 'webhooks',
    summary: 'Manage the Zoho notification channels (one per mapped module) that tell `serve` about changes made in Zoho',
    load: async () => (await import('./webhooks.js')).register,
  },
  secrets: {
    usage: 'secrets',
    summary: 'Credentials encrypted in the state database (AES-256-GCM under the master key).',
    load: async () => (await import('./secrets.js')).register,
  },
  state: {
    usage: 'state',
    summary: 'Inspect, manage and move the state database (links, watermarks, runs, locks; migrate between SQLite and PostgreSQL).',
    load: async () => (await import('./state.js')).register,
  },
  runs: {
    usage: 'runs [options] [id]',
    summary: 'List recent plan/apply/serve runs (newest first), or show one run.',
    load: async () => (await import('./runs.js')).register,
  },
  audit: {
    usage: 'audit [options]',
    summary: 'Show the audit trail: per record and run, the action, lifecycle event, field names changed and outcome (values are never stored).',
    load: async () => (await import('./audit.js')).register,
  },
  serve: {
    usage: 'serve [options]',
    summary:
      'Run inside your network: apply on the schedules, take Zoho notifications on /webhooks/zoho, renew notification channels, optionally pull the configuration from git; /healthz and /metrics; JSON logs; stops cleanly on SIGTERM.',
    load: async () => (await import('./serve.js')).register,
  },
  sim: {
    usage: 'sim [options]',
    summary: 'Run the built-in PeopleSoft and Zoho CRM simulators on 127.0.0.1 until Ctrl+C; prints URLs and credentials for a local config.',
    load: async () => (await import('./sim.js')).register,
  },
};
