import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import formatsModule from 'ajv-formats';

/** schema/ at the package root: two levels up from both src/config/ and dist/config/. */
export const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url));

type JsonSchema = Record<string, unknown>;

export interface KindValidator {
  kind: string;
  schemaId: string;
  /** Validate one document; returns the errors and the instance paths of credential fields seen. */
  validate(value: unknown): { errors: ErrorObject[]; credentials: string[] };
}

export interface Schemas {
  kinds: string[];
  byKind: Map<string, KindValidator>;
  /** The raw schemas by $id, for messages that need descriptions or property lists. */
  raw: Map<string, JsonSchema>;
}

let cached: Schemas | undefined;
/** Instance paths of `x-credential` fields met during the validation in progress (validation is synchronous). */
let credentialSink: string[] | undefined;

/** External `$ref` targets of a schema (file part only). */
function externalRefs(node: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(node)) for (const n of node) externalRefs(n, out);
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && !v.startsWith('#')) out.add(v.split('#')[0] ?? v);
      else externalRefs(v, out);
    }
  }
  return out;
}

/**
 * config.schema.json and every schema it reaches through `$ref` (their $id is their file name).
 * Other schemas in schema/ (plan files, ...) are not configuration and are not loaded.
 */
function readSchemas(): Map<string, JsonSchema> {
  const raw = new Map<string, JsonSchema>();
  const queue = ['config.schema.json'];
  while (queue.length > 0) {
    const id = queue.shift() ?? '';
    if (raw.has(id)) continue;
    const schema = JSON.parse(readFileSync(SCHEMA_DIR + id, 'utf8')) as JsonSchema;
    raw.set(id, schema);
    queue.push(...externalRefs(schema, new Set()));
  }
  return raw;
}

/**
 * kind → schema $id, read from config.schema.json's `if kind = K then $ref` dispatch, so a new kind
 * needs only a schema and a line there.
 */
function kindsFromDispatcher(dispatcher: JsonSchema | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const allOf = (dispatcher?.allOf ?? []) as JsonSchema[];
  for (const branch of allOf) {
    const kind = ((branch.if as JsonSchema | undefined)?.properties as Record<string, JsonSchema> | undefined)?.kind?.const;
    const ref = (branch.then as JsonSchema | undefined)?.$ref;
    if (typeof kind === 'string' && typeof ref === 'string') out.set(kind, ref);
  }
  return out;
}

/** Compile the schemas once per process (about 150 ms of CPU on the development machine). */
export function loadSchemas(): Schemas {
  if (cached !== undefined) return cached;
  const Ajv2020 = AjvModule.default;
  const ajv = new Ajv2020({
    allErrors: true,
    coerceTypes: false,
    discriminator: true,
    // `x-credential` and `x-unconfirmed` are our annotations; strict mode would reject unknown keywords.
    strict: false,
    verbose: true,
    useDefaults: false,
    // ajv's code optimizer costs ~100 ms of CPU per start (40% of compiling these schemas) and
    // saves nothing measurable on documents of a few KiB.
    code: { optimize: false },
  });
  formatsModule.default(ajv, ['email']);
  ajv.addKeyword({
    keyword: 'x-credential',
    schemaType: 'boolean',
    errors: false,
    validate: (flag: boolean, _data: unknown, _parent: unknown, cxt?: { instancePath: string }) => {
      if (flag && credentialSink !== undefined && cxt !== undefined) credentialSink.push(cxt.instancePath);
      return true;
    },
  });
  const raw = readSchemas();
  for (const schema of raw.values()) ajv.addSchema(schema);
  const byKind = new Map<string, KindValidator>();
  for (const [kind, schemaId] of kindsFromDispatcher(raw.get('config.schema.json'))) {
    const fn = ajv.getSchema(schemaId) as ValidateFunction | undefined;
    if (fn === undefined) throw new Error(`schema ${schemaId} for kind ${kind} is missing from ${SCHEMA_DIR}`);
    byKind.set(kind, {
      kind,
      schemaId,
      validate(value) {
        credentialSink = [];
        try {
          fn(value);
          return { errors: [...(fn.errors ?? [])], credentials: [...new Set(credentialSink)] };
        } finally {
          credentialSink = undefined;
        }
      },
    });
  }
  cached = { kinds: [...byKind.keys()], byKind, raw };
  return cached;
}
