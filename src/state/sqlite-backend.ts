import { existsSync, statSync } from 'node:fs';
import type { StateBackend } from './backend.js';
import { openDb, type Db, type DbOptions } from './db.js';
import { SCHEMA_VERSION, migrate, readSchemaVersion, tooNewError } from './migrations.js';

/** The SQLite file: `user_version` migrations, file sizes, `PRAGMA quick_check`. */
export class SqliteBackend implements StateBackend {
  readonly latestVersion = SCHEMA_VERSION;

  private constructor(readonly db: Db) {}

  static async open(path: string, options: DbOptions): Promise<{ backend: SqliteBackend; existed: boolean }> {
    const existed = path !== ':memory:' && existsSync(path);
    return { backend: new SqliteBackend(await openDb(path, options)), existed };
  }

  readVersion(): Promise<number> {
    return readSchemaVersion(this.db);
  }
  async migrate(): Promise<{ from: number }> {
    return { from: (await migrate(this.db)).from };
  }
  tooNew(found: number) {
    return tooNewError(this.db.path, found);
  }
  async sizes(): Promise<{ sizeBytes: number; walBytes: number }> {
    const size = (p: string): number => (existsSync(p) ? statSync(p).size : 0);
    return { sizeBytes: size(this.db.path), walBytes: size(`${this.db.path}-wal`) };
  }
  async checkIntegrity(): Promise<string[]> {
    const rows = await this.db.all<{ quick_check: string }>('PRAGMA quick_check');
    return rows.map((r) => r.quick_check);
  }
  async afterExplicitIds(): Promise<void> {
    // AUTOINCREMENT keeps sqlite_sequence at the largest id inserted, explicit ones included.
  }
}
