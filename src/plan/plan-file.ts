import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import AjvModule, { type ValidateFunction } from 'ajv/dist/2020.js';
import { MlError } from '../support/errors.js';
import { shortHash } from './canonical.js';
import { fallbackMaskKey, maskPlanValue, type PlanValue } from './mask.js';
import { valueText } from './value-text.js';
import { openPlanDocument, planDocumentChunks, writePlanFile } from './plan-document.js';
import { PLAN_FORMAT_VERSION, type PlanAction, type PlanEntry, type PlanHeader, type PlanView } from './types.js';

const SCHEMA_PATH = fileURLToPath(new URL('../../schema/plan.schema.json', import.meta.url));
let validators: { header: ValidateFunction; entry: ValidateFunction } | undefined;

function compileValidators(): { header: ValidateFunction; entry: ValidateFunction } {
  if (!validators) {
    const Ajv2020 = AjvModule.default;
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    ajv.addSchema(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object);
    validators = {
      header: ajv.getSchema('plan.schema.json#/$defs/header')!,
      entry: ajv.getSchema('plan.schema.json#/$defs/entry')!,
    };
  }
  return validators;
}

function schemaErrors(v: ValidateFunction, value: unknown): string[] {
  v(value);
  return (v.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}

/**
 * The fingerprint covers what apply writes and checks (not `before` values, which plan files mask),
 * so a hand-edited plan file is caught. Computed only when a plan file is written or read.
 */
export function fingerprintAction(a: PlanAction): string {
  // Plain concatenation with control-character separators: unambiguous, and several times cheaper than JSON.
  let text = `${a.mapping}\u0001${a.externalId}\u0001${a.action}\u0001${a.zohoId ?? ''}\u0001${a.event ?? ''}\u0001${a.cause}\u0001${a.plannedAgainst ?? ''}\u0001${a.match?.rule ?? ''}`;
  for (const c of a.changes) text += `\u0001${c.field}\u0002${valueText(c.after)}`;
  if (a.baseline) for (const k of Object.keys(a.baseline).sort()) text += `\u0004${k}\u0002${valueText(a.baseline[k] ?? null)}`;
  return shortHash(text);
}

/**
 * What a plan file holds of an entry: actions fingerprinted, the `before` values (and drift notes)
 * of personal fields replaced by their keyed digest, so the file shows and renders every change
 * without the values Zoho held. `after` values stay: they are what apply writes.
 */
function toSaved(entry: PlanEntry, header: PlanHeader): PlanEntry {
  if (entry.t !== 'action') return entry;
  const personal = personalOf(header, entry.mapping);
  const key = header.maskKey ?? fallbackMaskKey(header);
  const mask = (field: string, v: PlanValue): PlanValue => (personal.has(field) ? maskPlanValue(key, v) : v);
  const { fingerprint: _f, ...action } = entry;
  const saved: PlanEntry = {
    ...action,
    changes: entry.changes.map((c) => ({ ...c, before: mask(c.field, c.before) })),
    ...(entry.drift ? { drift: entry.drift.map((d) => ({ ...d, zoho: mask(d.field, d.zoho), applied: mask(d.field, d.applied) })) } : {}),
  };
  (saved as PlanAction).fingerprint = fingerprintAction(entry);
  return saved;
}

/** The personal fields of each mapping of a header, computed once per header (not per entry). */
const personalCache = new WeakMap<PlanHeader, Map<string, ReadonlySet<string>>>();

function personalOf(header: PlanHeader, mapping: string): ReadonlySet<string> {
  let byMapping = personalCache.get(header);
  if (!byMapping) {
    byMapping = new Map(header.mappings.map((m) => [m.name, new Set(m.personalFields)]));
    personalCache.set(header, byMapping);
  }
  return byMapping.get(mapping) ?? new Set();
}

/** Save a plan as a versioned JSON file, one body entry per line (docs/plan-format.md). */
export async function savePlan(view: PlanView, path: string): Promise<void> {
  await writePlanFile(view, path, toSaved);
}

/** The plan as `plan --json` prints it: exactly what `savePlan` writes. */
export function renderPlanJson(view: PlanView): AsyncGenerator<string> {
  return planDocumentChunks(view, toSaved);
}

function invalid(source: string, errors: string[]): MlError {
  return new MlError('PLAN_INVALID', `${source} does not match schema/plan.schema.json: ${errors.join('; ')}.`, {
    meta: { errors }, hint: 'Make a new plan with `ml-connector plan --out plan.json`; do not edit plan files.',
  });
}

/**
 * Open a plan file: format version, header schema, then one pass over the body checking every
 * entry's schema and every action's fingerprint, before anything is shown or applied.
 */
export async function loadPlan(path: string, source = path): Promise<PlanView> {
  let opened;
  try {
    opened = await openPlanDocument(path);
  } catch (err) {
    throw new MlError('PLAN_INVALID', `${source} is not a plan file (${(err as Error).message}).`, { cause: err, hint: 'Make a new plan with `ml-connector plan --out plan.json`.' });
  }
  const version = (opened.header as { formatVersion?: unknown } | null)?.formatVersion;
  if (version !== undefined && version !== PLAN_FORMAT_VERSION) {
    throw new MlError('PLAN_FORMAT_UNSUPPORTED', `${source} has format version ${JSON.stringify(version)}; this ml-connector reads version ${PLAN_FORMAT_VERSION}.`, {
      meta: { formatVersion: version ?? null },
      hint: 'Make the plan with the same ml-connector version that applies it.',
    });
  }
  const v = compileValidators();
  const headerErrors = schemaErrors(v.header, opened.header);
  if (headerErrors.length > 0) throw invalid(source, headerErrors);
  const view = opened.view(opened.header as PlanHeader);
  let line = 1;
  try {
    for await (const e of view.entries()) {
      line += 1;
      const errors = schemaErrors(v.entry, e);
      if (errors.length > 0) throw invalid(`${source} entry ${line - 1}`, errors);
      if (e.t === 'action' && fingerprintAction(e) !== e.fingerprint) {
        throw new MlError('PLAN_TAMPERED', `${source}: the action for ${e.mapping} ${e.externalId} does not match its fingerprint.`, {
          meta: { mapping: e.mapping, externalId: e.externalId },
          hint: 'The plan file was edited. Make a new plan with `ml-connector plan --out plan.json`.',
        });
      }
    }
  } catch (err) {
    if (err instanceof MlError) throw err;
    throw new MlError('PLAN_INVALID', `${source}: entry ${line} is not valid JSON (${(err as Error).message}).`, { cause: err, hint: 'Make a new plan with `ml-connector plan --out plan.json`.' });
  }
  return view;
}
