import { isMlError } from '../support/errors.js';
import { scrub } from '../support/redact.js';

/** Colour only on a TTY, never with NO_COLOR (https://no-color.org), forced with FORCE_COLOR. */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY);
}

const codes = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1, dim: 2 } as const;
export type Style = keyof typeof codes;

export function paint(enabled: boolean): (style: Style, text: string) => string {
  return (style, text) => (enabled ? `\u001b[${codes[style]}m${text}\u001b[0m` : text);
}

/** Exit codes shared by every command. */
export const EXIT = {
  ok: 0,
  /** invalid input, failed run, or any error */
  error: 1,
  /** `plan --detailed-exitcode`: the plan has changes */
  changes: 2,
} as const;

/** Print an error for a person (stderr) or as a JSON envelope (stdout with --json). Never a secret. */
export function printError(err: unknown, json: boolean): void {
  if (json) {
    const body = isMlError(err)
      ? err.toJSON()
      : { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err), meta: {} };
    process.stdout.write(scrub(JSON.stringify({ error: body })) + '\n');
    return;
  }
  const c = paint(useColor(process.stderr));
  if (isMlError(err)) {
    process.stderr.write(scrub(`${c('red', 'error')} ${err.message} ${c('gray', `[${err.code}]`)}\n`));
    if (err.hint) process.stderr.write(scrub(`  ${err.hint}\n`));
  } else {
    const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(scrub(`${c('red', 'error')} ${msg}\n`));
  }
}
