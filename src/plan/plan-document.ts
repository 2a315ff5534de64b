/**
 * Plans on disk: the spool a run writes its plan body to while planning, plan files
 * (`plan --out`), and the PlanView over either. A plan file is one JSON document laid out with
 * one body entry per line:
 *
 *   {"formatVersion":2,"header":{...},"entries":[
 *   {"t":"action","mapping":"employees-to-contacts","action":"create","externalId":"100151",...},
 *   ...
 *   ]}
 *
 * so `jq` reads it as JSON and ml-connector reads it a line at a time: a plan of any size is
 * written, shown and applied without holding its body in memory. The first keys of every entry
 * line are fixed (`t`, `mapping`, then `action` for actions), so a reader that wants one kind of
 * entry skips the others without parsing them.
 */
import { closeSync, createReadStream, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { RecordProblem } from '../model/index.js';
import { canonicalJson } from './canonical.js';
import type { ActionKind, EntryFilter, PlanAction, PlanEntry, PlanHeader, PlanView, ScheduledChange } from './types.js';
import { PLAN_FORMAT_VERSION } from './types.js';

/** Where the planner puts body entries. */
export interface PlanSink {
  write(entry: PlanEntry): void;
}

const FLUSH_BYTES = 1 << 20;

/** One entry as a line of JSON, its first keys in the fixed order readers filter on. */
export function encodeEntry(e: PlanEntry): string {
  const { t, mapping, ...rest } = e as PlanEntry & { mapping?: string };
  if (t === 'action') {
    const { action, ...more } = rest as Omit<PlanAction, 'mapping'>;
    return `{"t":"action","mapping":${JSON.stringify(mapping ?? '')},"action":"${action}",${JSON.stringify(more).slice(1)}`;
  }
  const body = JSON.stringify(rest);
  return `{"t":"${t}","mapping":${JSON.stringify(mapping ?? '')}${body === '{}' ? '}' : `,${body.slice(1)}`}`;
}

export function decodeEntry(line: string): PlanEntry {
  const e = JSON.parse(line) as PlanEntry & { mapping?: string };
  if (e.t === 'problem' && e.mapping === '') delete e.mapping;
  return e;
}

/** Line prefixes that select entries without parsing them. */
function prefixesOf(filter: EntryFilter & { kinds?: readonly ActionKind[] } | undefined): string[] | undefined {
  if (!filter) return undefined;
  const ts = filter.t ?? (filter.kinds ? ['action' as const] : undefined);
  if (!ts && filter.mapping === undefined) return undefined;
  const out: string[] = [];
  for (const t of ts ?? (['action', 'problem', 'scheduled', 'relink', 'refresh', 'source'] as const)) {
    const base = `{"t":"${t}"${filter.mapping !== undefined ? `,"mapping":${JSON.stringify(filter.mapping)}` : ''}`;
    if (t === 'action' && filter.kinds) {
      if (filter.mapping === undefined) {
        out.push(base); // filtered after parsing: the action key comes after the mapping
        continue;
      }
      for (const k of filter.kinds) out.push(`${base},"action":"${k}"`);
    } else out.push(base);
  }
  return out;
}

function matches(e: PlanEntry, filter: (EntryFilter & { kinds?: readonly ActionKind[] }) | undefined): boolean {
  if (!filter) return true;
  if (filter.t && !filter.t.includes(e.t)) return false;
  if (filter.mapping !== undefined && (e as { mapping?: string }).mapping !== filter.mapping) return false;
  if (filter.kinds && (e.t !== 'action' || !filter.kinds.includes(e.action))) return false;
  return true;
}

/**
 * The lines of a file as Buffers, read in 1 MiB chunks: cheaper than readline, and a line can be
 * skipped by its first bytes without decoding it.
 */
async function* rawLines(path: string): AsyncGenerator<Buffer> {
  let rest: Buffer | undefined;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const buf = rest ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
      yield buf.subarray(start, nl);
      start = nl + 1;
    }
    rest = start < buf.length ? Buffer.from(buf.subarray(start)) : undefined;
  }
  if (rest && rest.length > 0) yield rest;
}

const ENTRY_START = Buffer.from('{"t":"');

/** Entry lines of a spool or plan file: the plan file's header line and closing line are skipped. */
async function* readLines(path: string, filter: (EntryFilter & { kinds?: readonly ActionKind[] }) | undefined): AsyncGenerator<PlanEntry> {
  const prefixes = prefixesOf(filter)?.map((p) => Buffer.from(p));
  for await (const raw of rawLines(path)) {
    if (raw.length < ENTRY_START.length || raw.compare(ENTRY_START, 0, ENTRY_START.length, 0, ENTRY_START.length) !== 0) continue;
    if (prefixes && !prefixes.some((p) => raw.length >= p.length && raw.compare(p, 0, p.length, 0, p.length) === 0)) continue;
    let end = raw[raw.length - 1] === 13 /* \r */ ? raw.length - 1 : raw.length;
    if (raw[end - 1] === 44 /* , */) end -= 1;
    const e = decodeEntry(raw.toString('utf8', 0, end));
    if (matches(e, filter)) yield e;
  }
}

/** A PlanView whose body is read from a file each time it is asked for. */
function fileView(header: PlanHeader, path: string): PlanView {
  const view: PlanView = {
    header,
    entries: (filter) => readLines(path, filter),
    actions: (filter) => readLines(path, { t: ['action'], ...(filter?.mapping !== undefined ? { mapping: filter.mapping } : {}), ...(filter?.kinds ? { kinds: filter.kinds } : {}) }) as AsyncIterable<PlanAction>,
    problems: (filter) => readLines(path, { t: ['problem'], ...(filter?.mapping !== undefined ? { mapping: filter.mapping } : {}) }) as AsyncIterable<RecordProblem>,
    scheduled: (filter) => readLines(path, { t: ['scheduled'], ...(filter?.mapping !== undefined ? { mapping: filter.mapping } : {}) }) as AsyncIterable<ScheduledChange>,
  };
  return view;
}

/** A PlanView over entries in memory (tests, fixtures, small plans read whole). */
export function memoryPlan(header: PlanHeader, entries: readonly PlanEntry[]): PlanView {
  async function* pick(filter?: EntryFilter & { kinds?: readonly ActionKind[] }): AsyncGenerator<PlanEntry> {
    for (const e of entries) if (matches(e, filter)) yield e;
  }
  return {
    header,
    entries: (filter) => pick(filter),
    actions: (filter) => pick({ t: ['action'], ...filter }) as AsyncIterable<PlanAction>,
    problems: (filter) => pick({ t: ['problem'], ...filter }) as AsyncIterable<RecordProblem>,
    scheduled: (filter) => pick({ t: ['scheduled'], ...filter }) as AsyncIterable<ScheduledChange>,
  };
}

/** Buffered appends to a file descriptor: the planner writes synchronously, in 1 MiB chunks. */
class LineWriter {
  private buffer = '';
  private fd: number | undefined;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w', 0o600);
  }

  line(text: string): void {
    this.buffer += text + '\n';
    if (this.buffer.length >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.fd === undefined || this.buffer === '') return;
    writeSync(this.fd, this.buffer);
    this.buffer = '';
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The files a mapping's spool is split into, in the order its entries are read back. */
const CATEGORIES = ['write', 'adopt', 'delete', 'scheduled', 'problem', 'book'] as const;
type Category = (typeof CATEGORIES)[number];

function categoryOf(e: PlanEntry): Category {
  if (e.t === 'action') return e.action === 'adopt' ? 'adopt' : e.action === 'delete' ? 'delete' : 'write';
  if (e.t === 'problem' || e.t === 'scheduled') return e.t;
  return 'book';
}

/** The categories holding entries a filter can select. */
function categoriesFor(filter: (EntryFilter & { kinds?: readonly ActionKind[] }) | undefined): readonly Category[] {
  const t = filter?.t;
  const kinds = filter?.kinds;
  return CATEGORIES.filter((c) => {
    if (c === 'write' || c === 'adopt' || c === 'delete') {
      if (t && !t.includes('action')) return false;
      if (!kinds) return true;
      return c === 'adopt' ? kinds.includes('adopt') : c === 'delete' ? kinds.includes('delete') : kinds.some((k) => k !== 'adopt' && k !== 'delete');
    }
    if (kinds) return false;
    if (c === 'book') return !t || t.some((x) => x === 'relink' || x === 'refresh' || x === 'source');
    return !t || t.includes(c);
  });
}

/**
 * The body of one mapping's plan being made, appended to private temporary files (they hold the
 * values apply writes, personal data among them: mode 0600 in a 0700 directory, removed by
 * `dispose`), one per kind of entry, so each reader (the applier's writes, its deletions, the
 * renderer's deactivations, the bookkeeping) reads only the lines it wants.
 */
export class PlanSpool implements PlanSink {
  private readonly writers = new Map<Category, LineWriter>();
  private closed = false;
  /** Entries written, by kind. */
  readonly written: Record<PlanEntry['t'], number> = { action: 0, problem: 0, scheduled: 0, relink: 0, refresh: 0, source: 0 };

  constructor(readonly base: string) {}

  path(c: Category): string {
    return `${this.base}.${c}.jsonl`;
  }

  has(c: Category): boolean {
    return this.writers.has(c);
  }

  write(entry: PlanEntry): void {
    if (this.closed) throw new Error('plan spool is closed');
    this.written[entry.t] += 1;
    const c = categoryOf(entry);
    let w = this.writers.get(c);
    if (!w) {
      w = new LineWriter(this.path(c));
      this.writers.set(c, w);
    }
    w.line(encodeEntry(entry));
  }

  close(): void {
    if (!this.closed) for (const w of this.writers.values()) w.close();
    this.closed = true;
  }
}

/** A directory of per-mapping spools for one plan; removed by `dispose`. */
export class SpoolDir {
  readonly dir: string;
  private readonly spools = new Map<string, PlanSpool>();

  constructor(parent: string = tmpdir()) {
    this.dir = mkdtempSync(join(parent, 'ml-connector-plan-'));
  }

  spool(mapping: string): PlanSpool {
    let s = this.spools.get(mapping);
    if (!s) {
      s = new PlanSpool(join(this.dir, String(this.spools.size)));
      this.spools.set(mapping, s);
    }
    return s;
  }

  /**
   * The plan: the header, and the spools of the mappings it lists as planned (a mapping that
   * failed part-way is not part of the plan, whatever it had written).
   */
  view(header: PlanHeader): PlanView {
    for (const s of this.spools.values()) s.close();
    const planned = new Map<string, PlanSpool>();
    for (const mp of header.mappings) {
      const s = this.spools.get(mp.name);
      if (s && mp.status === 'planned') planned.set(mp.name, s);
    }
    return spooledView(header, planned);
  }

  dispose(): void {
    for (const s of this.spools.values()) s.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function spooledView(header: PlanHeader, spools: ReadonlyMap<string, PlanSpool>): PlanView {
  async function* read(filter: (EntryFilter & { kinds?: readonly ActionKind[] }) | undefined): AsyncGenerator<PlanEntry> {
    const names = filter?.mapping !== undefined ? [filter.mapping] : header.mappings.map((m) => m.name);
    const categories = categoriesFor(filter);
    for (const name of names) {
      const spool = spools.get(name);
      if (!spool) continue;
      for (const c of categories) if (spool.has(c)) yield* readLines(spool.path(c), filter);
    }
  }
  const only = (t: PlanEntry['t'], filter?: { mapping?: string; kinds?: readonly ActionKind[] }): EntryFilter & { kinds?: readonly ActionKind[] } =>
    ({ t: [t], ...(filter?.mapping !== undefined ? { mapping: filter.mapping } : {}), ...(filter?.kinds ? { kinds: filter.kinds } : {}) });
  return {
    header,
    entries: (filter) => read(filter),
    actions: (filter) => read(only('action', filter)) as AsyncIterable<PlanAction>,
    problems: (filter) => read(only('problem', filter)) as AsyncIterable<RecordProblem>,
    scheduled: (filter) => read(only('scheduled', filter)) as AsyncIterable<ScheduledChange>,
  };
}

/** How a plan file's entries are turned into what is saved (fingerprints added, personal `before` values masked). */
export type EntryFinisher = (entry: PlanEntry, header: PlanHeader) => PlanEntry;

/** The plan document, a chunk of lines at a time: header line, one entry per line, closing line. */
export async function* planDocumentChunks(view: PlanView, finish: EntryFinisher = (e) => e): AsyncGenerator<string> {
  let chunk = `{"formatVersion":${PLAN_FORMAT_VERSION},"header":${canonicalJson(view.header)},"entries":[\n`;
  let previous: string | undefined;
  for await (const e of view.entries()) {
    if (previous !== undefined) chunk += previous + ',\n';
    previous = encodeEntry(finish(e, view.header));
    if (chunk.length >= FLUSH_BYTES) {
      yield chunk;
      chunk = '';
    }
  }
  if (previous !== undefined) chunk += previous + '\n';
  yield chunk + ']}\n';
}

/** Write a plan file (mode 0600: it holds the values apply writes). */
export async function writePlanFile(view: PlanView, path: string, finish?: EntryFinisher): Promise<void> {
  const fd = openSync(path, 'w', 0o600);
  try {
    for await (const chunk of planDocumentChunks(view, finish)) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
}

/** Largest plan file read whole when its layout is not one entry per line (re-saved by another tool). */
const WHOLE_READ_LIMIT = 256 * 1024 * 1024;

export interface OpenedPlanFile {
  /** The header as read (still to be checked by the caller: version, schema, fingerprints). */
  header: unknown;
  view: (header: PlanHeader) => PlanView;
}

/**
 * Open a plan file: the header from its first line, the body streamed from the rest. A file laid
 * out otherwise (valid JSON re-saved by another tool) is read whole when it is small enough.
 */
export async function openPlanDocument(path: string): Promise<OpenedPlanFile> {
  const first = await readFirstLine(path);
  const prefix = `{"formatVersion":`;
  const suffix = `,"entries":[`;
  if (first.startsWith(prefix) && first.endsWith(suffix)) {
    const doc = JSON.parse(first.slice(0, -suffix.length) + '}') as { formatVersion: unknown; header: unknown };
    if (doc.formatVersion !== PLAN_FORMAT_VERSION) return { header: { formatVersion: doc.formatVersion }, view: (h) => memoryPlan(h, []) };
    return { header: doc.header, view: (h) => fileView(h, path) };
  }
  const text = readFileSync(path, 'utf8');
  if (text.length > WHOLE_READ_LIMIT) throw new Error(`plan file is ${text.length} bytes and not laid out one entry per line`);
  const doc = JSON.parse(text) as { formatVersion?: unknown; header?: unknown; entries?: unknown };
  if (doc.formatVersion !== PLAN_FORMAT_VERSION) return { header: { formatVersion: doc.formatVersion }, view: (h) => memoryPlan(h, []) };
  const entries = Array.isArray(doc.entries) ? (doc.entries as PlanEntry[]) : [];
  return { header: doc.header, view: (h) => memoryPlan(h, entries) };
}

async function readFirstLine(path: string): Promise<string> {
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8', highWaterMark: 64 * 1024 }), crlfDelay: Infinity });
  try {
    for await (const line of rl) return line;
    return '';
  } finally {
    rl.close();
  }
}
