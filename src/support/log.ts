import { redact, scrub } from './redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Structured logging. Library code takes a Logger; only the CLI decides where lines go. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

export interface LoggerOptions {
  level?: LogLevel;
  /** `json`: one JSON object per line (serve, CI); `text`: `level msg key=value` for people. */
  format?: 'json' | 'text';
  write?: (line: string) => void;
  base?: Record<string, unknown>;
  now?: () => number;
}

/** A logger that redacts secrets from every line it writes. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const format = options.format ?? 'text';
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const now = options.now ?? Date.now;
  const base = options.base ?? {};

  const emit = (lvl: LogLevel, msg: string, fields: Record<string, unknown> = {}): void => {
    if (ORDER[lvl] < ORDER[level]) return;
    const all = redact({ ...base, ...fields });
    if (format === 'json') {
      write(scrub(JSON.stringify({ time: new Date(now()).toISOString(), level: lvl, msg, ...all })));
    } else {
      const kv = Object.entries(all)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      write(scrub(`${lvl.padEnd(5)} ${msg}${kv ? ' ' + kv : ''}`));
    }
  };
  const make = (extra: Record<string, unknown>): Logger => {
    const merged = { ...base, ...extra };
    const child = createLogger({ ...options, base: merged });
    return child;
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: make,
  };
}
