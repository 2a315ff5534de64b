import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import AjvModule, { type ValidateFunction } from 'ajv/dist/2020.js';
import { MlError } from '../support/errors.js';
import { canonicalJson } from './canonical.js';
import { maskValue } from './mask.js';
import { fingerprintAction } from './plan-mapping.js';
import { PLAN_FORMAT_VERSION, type MappingPlan, type Plan } from './types.js';

const SCHEMA_PATH = fileURLToPath(new URL('../../schema/plan.schema.json', import.meta.url));
let validator: ValidateFunction | undefined;

function validatePlanJson(value: unknown): string[] {
  if (!validator) {
    const Ajv2020 = AjvModule.default;
    validator = new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object);
  }
  validator(value);
  return (validator.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}

/** The plan as saved: in-memory helpers dropped, `before` values of personal fields masked. */
export function toPlanDocument(plan: Plan): Plan {
  const mappings = plan.mappings.map((mp): MappingPlan => {
    const { baseline: _b, relink: _r, refresh: _f, sourceHashes: _s, ...rest } = mp;
    return {
      ...rest,
      actions: mp.actions.map((a) => ({
        ...a,
        changes: a.changes.map((c) => ({ ...c, before: maskValue(c.field, c.before) })),
        ...(a.drift ? { drift: a.drift.map((d) => ({ ...d, zoho: maskValue(d.field, d.zoho), applied: maskValue(d.field, d.applied) })) } : {}),
      })),
    };
  });
  return { ...plan, mappings };
}

/** Versioned JSON, keys sorted, two-space indent: the same plan gives the same bytes. */
export function serializePlan(plan: Plan): string {
  return canonicalJson(toPlanDocument(plan), 2) + '\n';
}

/** Read a plan file: format version, schema and every action's fingerprint are checked. */
export function parsePlan(text: string, source = 'plan file'): Plan {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new MlError('PLAN_INVALID', `${source} is not JSON.`, { cause: err, hint: 'Make a new plan with `ml-connector plan --out plan.json`.' });
  }
  const version = (value as { formatVersion?: unknown } | null)?.formatVersion;
  if (version !== PLAN_FORMAT_VERSION) {
    throw new MlError('PLAN_FORMAT_UNSUPPORTED', `${source} has format version ${JSON.stringify(version)}; this ml-connector reads version ${PLAN_FORMAT_VERSION}.`, {
      meta: { formatVersion: version ?? null },
      hint: 'Make the plan with the same ml-connector version that applies it.',
    });
  }
  const errors = validatePlanJson(value);
  if (errors.length > 0) {
    throw new MlError('PLAN_INVALID', `${source} does not match schema/plan.schema.json: ${errors.join('; ')}.`, { meta: { errors }, hint: 'Make a new plan with `ml-connector plan --out plan.json`; do not edit plan files.' });
  }
  const plan = value as Plan;
  for (const mp of plan.mappings) {
    for (const a of mp.actions) {
      const { fingerprint, ...rest } = a;
      if (fingerprintAction(mp.name, rest) !== fingerprint) {
        throw new MlError('PLAN_TAMPERED', `${source}: the action for ${mp.name} ${a.externalId} does not match its fingerprint.`, {
          meta: { mapping: mp.name, externalId: a.externalId },
          hint: 'The plan file was edited. Make a new plan with `ml-connector plan --out plan.json`.',
        });
      }
    }
  }
  return plan;
}
