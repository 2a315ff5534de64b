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

const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
};

/**
 * A file the user named that cannot be read or written (`--write-env /root/x`, `state export
 * /full/disk`) is a user action gone wrong, not a bug: it is told as one line with the path and
 * the reason, never a stack trace.
 */
function systemError(err: unknown): { code: string; message: string; meta: Record<string, unknown> } | undefined {
  const e = err as NodeJS.ErrnoException;
  if (!(err instanceof Error) || typeof e.code !== 'string' || typeof e.syscall !== 'string' || !(e.code in SYSTEM_ERRORS)) return undefined;
  const what = e.syscall === 'open' || e.syscall === 'read' ? 'cannot open' : e.syscall.startsWith('write') ? 'cannot write' : `cannot ${e.syscall}`;
  return { code: e.code, message: `${what} ${e.path ?? ''}: ${SYSTEM_ERRORS[e.code]}`.replace(/ :/, ':'), meta: { ...(e.path ? { path: e.path } : {}), syscall: e.syscall } };
}

/** Print an error for a person (stderr) or as a JSON envelope (stdout with --json). Never a secret. */
export function printError(err: unknown, json: boolean): void {
  const system = systemError(err);
  if (json) {
    const body = isMlError(err)
      ? err.toJSON()
      : system ?? { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err), meta: {} };
    process.stdout.write(scrub(JSON.stringify({ error: body })) + '\n');
    return;
  }
  const c = paint(useColor(process.stderr));
  if (isMlError(err)) {
    process.stderr.write(scrub(`${c('red', 'error')} ${err.message} ${c('gray', `[${err.code}]`)}\n`));
    if (err.hint) process.stderr.write(scrub(`  ${err.hint}\n`));
  } else if (system) {
    process.stderr.write(scrub(`${c('red', 'error')} ${system.message} ${c('gray', `[${system.code}]`)}\n`));
  } else {
    const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(scrub(`${c('red', 'error')} ${msg}\n`));
  }
}
