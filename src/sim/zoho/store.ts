import type { FieldDef, ModuleDef } from './schema.js';

/**
 * One module's records in memory: a Map by id, an index per duplicate-check field, and cached
 * sorted views so a list page of 200 out of 100,000 records costs a slice, not a sort.
 */

export interface StoredRecord {
  id: string;
  /** Field values as written; lookups and owners hold the referenced id. */
  values: Record<string, unknown>;
  ownerId: string;
  createdById: string;
  modifiedById: string;
  /** Epoch ms, whole seconds (Zoho shows seconds only). */
  createdAt: number;
  modifiedAt: number;
}

/** A record removed from the module, for `GET /{module}/deleted`. */
export interface DeletedRecord {
  id: string;
  displayName: string | null;
  deletedById: string;
  createdById: string;
  deletedAt: number;
}

export type SortField = 'id' | 'Created_Time' | 'Modified_Time';

/** Values compare case-insensitively and trimmed, as Zoho's duplicate check does. */
export const matchKey = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim().toLowerCase() : undefined;

const compareIds = (a: string, b: string): number => (a.length - b.length) || (a < b ? -1 : a > b ? 1 : 0);

export class ModuleStore {
  readonly def: ModuleDef;
  private readonly byId = new Map<string, StoredRecord>();
  /** Per duplicate-check field (unique fields and the system field): key → ids (oldest first). */
  private readonly indexes = new Map<string, Map<string, string[]>>();
  private version = 0;
  /** Deleted records, newest last (Zoho keeps them in the recycle bin). */
  readonly deleted: DeletedRecord[] = [];
  /** All ids ascending, kept incrementally: new ids only grow, deletes are compacted lazily. */
  private idOrder: string[] = [];
  private idOrderStale = false;
  private idOrderHoles = false;
  private readonly views = new Map<string, { version: number; ids: string[] }>();

  constructor(def: ModuleDef) {
    this.def = def;
    for (const f of this.indexedFields()) this.indexes.set(f.apiName, new Map());
  }

  /** Fields with an index: user unique/external fields plus the system duplicate-check field. */
  indexedFields(): FieldDef[] {
    return this.def.fields.filter((f) => f.unique === true || f.apiName === this.def.systemDuplicateField);
  }

  /** A field created after start (POST settings/fields): a unique one is indexed from now on (no record holds it yet). */
  addField(field: FieldDef): void {
    if ((field.unique === true || field.external === true) && !this.indexes.has(field.apiName)) this.indexes.set(field.apiName, new Map());
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: string): StoredRecord | undefined {
    return this.byId.get(id);
  }

  all(): IterableIterator<StoredRecord> {
    return this.byId.values();
  }

  /** Ids whose `field` matches `value`, oldest first. */
  findBy(field: string, value: unknown): string[] {
    const key = matchKey(value);
    if (key === undefined) return [];
    return this.indexes.get(field)?.get(key) ?? [];
  }

  isIndexed(field: string): boolean {
    return this.indexes.has(field);
  }

  put(rec: StoredRecord): void {
    const old = this.byId.get(rec.id);
    if (old) this.unindex(old);
    else {
      if (this.idOrderHoles) this.orderedIds();
      const last = this.idOrder[this.idOrder.length - 1];
      if (last === undefined || compareIds(last, rec.id) < 0) this.idOrder.push(rec.id);
      else this.idOrderStale = true;
    }
    this.byId.set(rec.id, rec);
    this.index(rec);
    this.version++;
  }

  remove(id: string, by?: { userId: string; at: number }): StoredRecord | undefined {
    const old = this.byId.get(id);
    if (!old) return undefined;
    if (by) {
      const name = old.values[this.def.nameField] ?? old.values.Last_Name;
      this.deleted.push({ id, displayName: typeof name === 'string' ? name : null, deletedById: by.userId, createdById: old.createdById, deletedAt: by.at });
    }
    this.unindex(old);
    this.byId.delete(id);
    this.idOrderHoles = true;
    this.version++;
    return old;
  }

  clear(): void {
    this.byId.clear();
    this.deleted.length = 0;
    for (const idx of this.indexes.values()) idx.clear();
    this.idOrder = [];
    this.idOrderStale = false;
    this.idOrderHoles = false;
    this.version++;
  }

  /**
   * Ids in ascending order of `sortBy` (ties by id), optionally only records modified after
   * `sinceMs` (or at it, when inclusive). Cached until the next write.
   */
  view(sortBy: SortField, sinceMs?: number, inclusive = false): string[] {
    if (sortBy === 'id' && sinceMs === undefined) return this.orderedIds();
    const key = `${sortBy}|${sinceMs ?? ''}|${inclusive}`;
    const hit = this.views.get(key);
    if (hit && hit.version === this.version) return hit.ids;
    let recs = [...this.byId.values()];
    if (sinceMs !== undefined) recs = recs.filter((r) => (inclusive ? r.modifiedAt >= sinceMs : r.modifiedAt > sinceMs));
    const field = sortBy === 'Created_Time' ? 'createdAt' : sortBy === 'Modified_Time' ? 'modifiedAt' : undefined;
    recs.sort((a, b) => (field ? a[field] - b[field] : 0) || compareIds(a.id, b.id));
    const ids = recs.map((r) => r.id);
    if (this.views.size > 16) this.views.clear();
    this.views.set(key, { version: this.version, ids });
    return ids;
  }

  private orderedIds(): string[] {
    if (this.idOrderStale) {
      this.idOrder = [...this.byId.keys()].sort(compareIds);
      this.idOrderStale = false;
      this.idOrderHoles = false;
    } else if (this.idOrderHoles) {
      this.idOrder = this.idOrder.filter((id) => this.byId.has(id));
      this.idOrderHoles = false;
    }
    return this.idOrder;
  }

  /** The newest modification time, for If-Modified-Since on whole lists. */
  latestModified(): number {
    let max = 0;
    for (const r of this.byId.values()) if (r.modifiedAt > max) max = r.modifiedAt;
    return max;
  }

  private index(rec: StoredRecord): void {
    for (const [field, idx] of this.indexes) {
      const key = matchKey(rec.values[field]);
      if (key === undefined) continue;
      const ids = idx.get(key);
      if (!ids) idx.set(key, [rec.id]);
      else {
        // Keep oldest (lowest id) first whatever the order of writes.
        let at = ids.length;
        while (at > 0 && compareIds(ids[at - 1]!, rec.id) > 0) at--;
        ids.splice(at, 0, rec.id);
      }
    }
  }

  private unindex(rec: StoredRecord): void {
    for (const [field, idx] of this.indexes) {
      const key = matchKey(rec.values[field]);
      if (key === undefined) continue;
      const ids = idx.get(key);
      if (!ids) continue;
      const rest = ids.filter((id) => id !== rec.id);
      if (rest.length === 0) idx.delete(key);
      else idx.set(key, rest);
    }
  }
}
