import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { suggest } from './suggest.js';
import type { ConfigIssue } from './issues.js';

/**
 * Largest configuration file we parse. The yaml parser needs about 1.2 s per MiB (measured on
 * this machine), so a 5 MB file would stall `validate` for 6 s; real configuration files are a
 * few KiB. Larger files are refused from their size alone, before a byte is read.
 */
export const MAX_FILE_BYTES = 1024 * 1024;

export interface ConfigFile {
  /** Absolute path. */
  abs: string;
  /** What issues show: relative to the working directory when inside it. */
  display: string;
  text: string;
}

export interface ReadFilesResult {
  files: ConfigFile[];
  issues: ConfigIssue[];
}

/** The path as a user would type it. */
export function displayPath(abs: string): string {
  const rel = path.relative(process.cwd(), abs);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : abs;
}

function fileIssue(display: string, code: string, message: string, severity: 'error' | 'warning' = 'error'): ConfigIssue {
  return { file: display, line: 0, column: 0, path: '', code, severity, message };
}

/** Every *.yaml / *.yml under `dir`, recursively, sorted; hidden directories and node_modules skipped. */
async function listYamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const abs = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listYamlFiles(abs)));
    else if ((e.isFile() || e.isSymbolicLink()) && /\.ya?ml$/i.test(e.name)) out.push(abs);
  }
  return out.sort();
}

/** Text that is not UTF-8 or holds NUL bytes is not a configuration file, whatever its name. */
function checkText(buf: Buffer): string | undefined {
  const nul = buf.indexOf(0);
  if (nul !== -1) return `binary content (a NUL byte at offset ${nul})`;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    return 'bytes that are not UTF-8';
  }
  return undefined;
}

/**
 * For a --config that does not exist: a sibling directory with a similar name that holds YAML
 * (`config` → `configs`), as the user would type it. Best effort: unreadable parents give none.
 */
async function nearbyConfigDir(absDir: string): Promise<string | undefined> {
  const parent = path.dirname(absDir);
  const entries = await readdir(parent, { withFileTypes: true }).catch(() => []);
  const dirs = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  const name = suggest(path.basename(absDir), dirs);
  if (name === undefined) return undefined;
  const holdsYaml = (await readdir(path.join(parent, name)).catch(() => [] as string[])).some((f) => /\.ya?ml$/.test(f))
    || (await stat(path.join(parent, name, 'connections')).catch(() => undefined))?.isDirectory() === true;
  return holdsYaml ? displayPath(path.join(parent, name)) : undefined;
}

/** Read the configuration files under `dir`, reporting the ones that cannot be parsed at all. */
export async function readConfigFiles(dir: string): Promise<ReadFilesResult> {
  const absDir = path.resolve(dir);
  const shownDir = displayPath(absDir);
  const issues: ConfigIssue[] = [];
  const dirStat = await stat(absDir).catch(() => undefined);
  if (dirStat?.isFile() === true) {
    issues.push(
      fileIssue(shownDir, 'CONFIG_DIR_NOT_FOUND', `'${shownDir}' is a file: pass --config the directory that holds it (${displayPath(path.dirname(absDir))}), since documents refer to each other across files`),
    );
    return { files: [], issues };
  }
  if (!dirStat?.isDirectory()) {
    const near = await nearbyConfigDir(absDir);
    issues.push(
      fileIssue(shownDir, 'CONFIG_DIR_NOT_FOUND', `configuration directory '${shownDir}' not found${near ? `: did you mean '${near}'?` : ': pass --config DIR with the directory that holds your *.yaml files'}`),
    );
    return { files: [], issues };
  }
  let paths: string[];
  try {
    paths = await listYamlFiles(absDir);
  } catch (err) {
    issues.push(fileIssue(shownDir, 'CONFIG_UNREADABLE', `cannot list '${shownDir}': ${(err as Error).message}; check its permissions`));
    return { files: [], issues };
  }
  if (paths.length === 0) {
    issues.push(
      fileIssue(shownDir, 'CONFIG_NO_FILES', `no *.yaml or *.yml files under '${shownDir}': point --config at your configuration directory (the example is in configs/)`),
    );
    return { files: [], issues };
  }
  const files: ConfigFile[] = [];
  for (const abs of paths) {
    const display = displayPath(abs);
    const info = await stat(abs).catch((err: NodeJS.ErrnoException) => err);
    if (info instanceof Error) {
      issues.push(fileIssue(display, 'CONFIG_UNREADABLE', `cannot read ${display}: ${info.code === 'ENOENT' ? 'it is a link to a file that does not exist' : (info.code ?? info.message)}`));
      continue;
    }
    if (!info.isFile()) continue;
    if (info.size > MAX_FILE_BYTES) {
      const mb = (info.size / 1024 / 1024).toFixed(1);
      issues.push(
        fileIssue(display, 'CONFIG_FILE_TOO_LARGE', `${display} is ${mb} MiB; configuration files are limited to 1 MiB: split it into several files, or move data out of the configuration`),
      );
      continue;
    }
    let buf: Buffer;
    try {
      buf = await readFile(abs);
    } catch (err) {
      issues.push(fileIssue(display, 'CONFIG_UNREADABLE', `cannot read ${display}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; check its permissions`));
      continue;
    }
    const notText = checkText(buf);
    if (notText !== undefined) {
      issues.push(fileIssue(display, 'CONFIG_NOT_YAML', `${display} is not a YAML file: it holds ${notText}; remove it or rename it so it does not end in .yaml`));
      continue;
    }
    let text = buf.toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.trim() === '') {
      issues.push(fileIssue(display, 'CONFIG_EMPTY_FILE', `${display} is empty: it holds no configuration document`, 'warning'));
      continue;
    }
    files.push({ abs, display, text });
  }
  return { files, issues };
}
