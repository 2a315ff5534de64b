/**
 * One base class for every error ml-connector throws on purpose. Each carries a stable string
 * `code` (for scripts and tests), optional JSON `meta` (facts such as the HTTP call or record key,
 * never a secret) and an optional `hint`: the sentence that tells the user what to do next.
 * Only the CLI turns these into output and exit codes.
 */
export class MlError extends Error {
  override name = 'MlError';
  readonly code: string;
  readonly meta: Record<string, unknown>;
  readonly hint: string | undefined;

  constructor(
    code: string,
    message: string,
    options: { meta?: Record<string, unknown>; hint?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.meta = options.meta ?? {};
    this.hint = options.hint;
  }

  /** The JSON envelope the CLI prints with `--json`. */
  toJSON(): { code: string; message: string; hint?: string; meta: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      meta: this.meta,
    };
  }
}

/** Thrown for a problem in the configuration that a command needs resolved (unset env, bad ref). */
export class ConfigError extends MlError {
  override name = 'ConfigError';
}

/** Thrown when an HTTP call fails for good (after retries, or at once for non-retryable answers). */
export class HttpError extends MlError {
  override name = 'HttpError';
  readonly status: number | undefined;
  constructor(
    code: string,
    message: string,
    options: { status?: number; meta?: Record<string, unknown>; hint?: string; cause?: unknown } = {},
  ) {
    super(code, message, options);
    this.status = options.status;
  }
}

export function isMlError(err: unknown): err is MlError {
  return err instanceof MlError;
}

/** A readable one-line description of anything thrown. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
