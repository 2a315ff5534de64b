import type { Command } from 'commander';
import type { CommandContext } from '../main.js';
import { register as registerValidate } from './validate.js';
import { register as registerSecrets } from './secrets.js';
import { register as registerState } from './state.js';
import { register as registerAudit } from './audit.js';
import { register as registerRuns } from './runs.js';
import { register as registerSim } from './sim.js';
import { register as registerAuth } from './auth.js';
import { register as registerWebhooks } from './webhooks.js';
import { register as registerCheck } from './check.js';
import { register as registerServe } from './serve.js';
import { register as registerPlan } from './plan.js';
import { register as registerApply } from './apply.js';

/** Each command lives in its own file and registers itself here (one line per command). */
export type RegisterCommand = (program: Command, ctx: CommandContext) => void;

export const commands: RegisterCommand[] = [
  registerAuth,
  registerWebhooks,
  registerCheck,
  registerSim,
  registerValidate,
  registerSecrets,
  registerState,
  registerAudit,
  registerRuns,
  registerServe,
  registerPlan,
  registerApply,
];
