/**
 * The scratch space of one run: a private temporary SQLite file (never the state database, which
 * `plan` must not write and which may be remote) holding what a run needs by key but must not
 * hold in memory: the Zoho records of a module as listed, and the records a planned mapping will
 * create (for lookups from other mappings). Deleted when the run ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { insertMany } from './bulk.js';
import { openDb, type Db, type Param } from './db.js';

/** A Zoho record as kept in scratch: values as JSON text, parsed only when looked up. */
export interface ScratchRecord {
  externalId: string;
  zohoId: string;
  modifiedTime: string | undefined;
  values: Record<string, unknown>;
}

const MAX_KEYS = 900;

export class Scratch {
  private constructor(private readonly db: Db, private readonly dir: string) {}

  static async open(parent: string = tmpdir()): Promise<Scratch> {
    const dir = mkdtempSync(join(parent, 'ml-connector-run-'));
    const db = await openDb(join(dir, 'scratch.db'), { create: true });
    // Nothing here needs to survive a crash: no journal, no fsync.
    await db.exec(`PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA temp_store = FILE;
      CREATE TABLE zoho (mapping TEXT NOT NULL, ext TEXT NOT NULL, id TEXT NOT NULL, mtime TEXT, vals TEXT NOT NULL, PRIMARY KEY (mapping, ext)) WITHOUT ROWID;
      CREATE TABLE pending (mapping TEXT NOT NULL, ext TEXT NOT NULL, zoho_id TEXT, gone INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (mapping, ext)) WITHOUT ROWID;`);
    return new Scratch(db, dir);
  }

  /**
   * Keep Zoho records of a mapping (a page of a listing). A second record with the same external
   * id is not kept: returned so the caller can report the duplicate.
   */
  async putZoho(mapping: string, records: readonly ScratchRecord[]): Promise<string[]> {
    if (records.length === 0) return [];
    let inserted = 0;
    for (let i = 0; i < records.length; i += 1000) {
      const part = records.slice(i, i + 1000);
      const params: Param[] = [];
      for (const r of part) params.push(mapping, r.externalId, r.zohoId, r.modifiedTime ?? null, JSON.stringify(r.values));
      const res = await this.db.run(`INSERT INTO zoho (mapping, ext, id, mtime, vals) VALUES ${part.map(() => '(?, ?, ?, ?, ?)').join(', ')} ON CONFLICT (mapping, ext) DO NOTHING`, params);
      inserted += res.changes;
    }
    if (inserted === records.length) return [];
    // Rare: find which of this page were already there (kept: the first read).
    const kept = await this.getZoho(mapping, records.map((r) => r.externalId));
    return records.filter((r) => kept.get(r.externalId)?.zohoId !== r.zohoId).map((r) => r.externalId);
  }

  async countZoho(mapping: string): Promise<number> {
    return (await this.db.get<{ n: number }>('SELECT count(*) AS n FROM zoho WHERE mapping = ?', [mapping]))?.n ?? 0;
  }

  async getZoho(mapping: string, keys: readonly string[]): Promise<Map<string, ScratchRecord>> {
    const out = new Map<string, ScratchRecord>();
    for (let i = 0; i < keys.length; i += MAX_KEYS) {
      const part = keys.slice(i, i + MAX_KEYS);
      const rows = await this.db.all<{ ext: string; id: string; mtime: string | null; vals: string }>(
        `SELECT ext, id, mtime, vals FROM zoho WHERE mapping = ? AND ext IN (${part.map(() => '?').join(', ')})`, [mapping, ...part]);
      for (const r of rows) out.set(r.ext, { externalId: r.ext, zohoId: r.id, modifiedTime: r.mtime ?? undefined, values: JSON.parse(r.vals) as Record<string, unknown> });
    }
    return out;
  }

  /** A mapping's kept Zoho records in external-id order, a page at a time. */
  async *scanZoho(mapping: string, pageSize = 2000): AsyncGenerator<ScratchRecord[]> {
    let after = '';
    for (;;) {
      const rows = await this.db.all<{ ext: string; id: string; mtime: string | null; vals: string }>(
        'SELECT ext, id, mtime, vals FROM zoho WHERE mapping = ? AND ext > ? ORDER BY ext LIMIT ?', [mapping, after, pageSize]);
      if (rows.length === 0) return;
      yield rows.map((r) => ({ externalId: r.ext, zohoId: r.id, modifiedTime: r.mtime ?? undefined, values: JSON.parse(r.vals) as Record<string, unknown> }));
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1]!.ext;
    }
  }

  /** Records a planned mapping creates (no id yet), adopts or re-links (id), or removes, for lookups. */
  async putPending(mapping: string, rows: ReadonlyArray<{ externalId: string; zohoId?: string; gone?: boolean }>): Promise<void> {
    if (rows.length === 0) return;
    await insertMany(this.db, 'pending', ['mapping', 'ext', 'zoho_id', 'gone'], rows.map((r) => [mapping, r.externalId, r.zohoId ?? null, r.gone ? 1 : 0]),
      'ON CONFLICT (mapping, ext) DO UPDATE SET zoho_id = excluded.zoho_id, gone = excluded.gone');
  }

  async getPending(mapping: string, keys: readonly string[]): Promise<Map<string, { zohoId?: string; gone: boolean }>> {
    const out = new Map<string, { zohoId?: string; gone: boolean }>();
    for (let i = 0; i < keys.length; i += MAX_KEYS) {
      const part = keys.slice(i, i + MAX_KEYS);
      const rows = await this.db.all<{ ext: string; zoho_id: string | null; gone: number }>(
        `SELECT ext, zoho_id, gone FROM pending WHERE mapping = ? AND ext IN (${part.map(() => '?').join(', ')})`, [mapping, ...part]);
      for (const r of rows) out.set(r.ext, { ...(r.zoho_id !== null ? { zohoId: r.zoho_id } : {}), gone: r.gone === 1 });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.db.close().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
