import type { ErrorObject } from 'ajv/dist/2020.js';
import * as generated from './validators.generated.js';

export interface KindValidator {
  kind: string;
  schemaId: string;
  /** Validate one document; returns the errors and the instance paths of credential fields seen. */
  validate(value: unknown): { errors: ErrorObject[]; credentials: string[] };
}

export interface Schemas {
  kinds: string[];
  byKind: Map<string, KindValidator>;
}

/** What ajv's standalone code exports for each kind: a validate function with `errors` after a call. */
interface GeneratedValidate {
  (value: unknown): boolean;
  errors?: ErrorObject[] | null;
}

const validators = generated as unknown as Record<string, GeneratedValidate | undefined> & {
  schemaIds: Record<string, string>;
  setCredentialSink(sink: string[] | undefined): void;
};

let cached: Schemas | undefined;

/**
 * The validator of every configuration kind. They are precompiled from schema/ by
 * `npm run gen:validators` (ajv standalone code, src/config/validators.generated.ts; a test fails
 * when it is stale), so no process pays ajv's ~150 ms of schema compilation at start.
 */
export function loadSchemas(): Schemas {
  if (cached !== undefined) return cached;
  const byKind = new Map<string, KindValidator>();
  for (const [kind, schemaId] of Object.entries(validators.schemaIds)) {
    const fn = validators[kind];
    if (typeof fn !== 'function') throw new Error(`validators.generated.ts has no validator for kind ${kind}: run npm run gen:validators`);
    byKind.set(kind, {
      kind,
      schemaId,
      validate(value) {
        const sink: string[] = [];
        validators.setCredentialSink(sink);
        try {
          fn(value);
          return { errors: [...(fn.errors ?? [])], credentials: [...new Set(sink)] };
        } finally {
          validators.setCredentialSink(undefined);
        }
      },
    });
  }
  cached = { kinds: [...byKind.keys()], byKind };
  return cached;
}
