import type { Clock } from '../../support/clock.js';
import { formatZohoTime, IdSource } from './ids.js';
import { defineModules, type ModuleDef } from './schema.js';
import { ModuleStore, type StoredRecord } from './store.js';
import type { ZohoEdition, ZohoQuirks } from './types.js';

/** The simulated org: its users, modules, records, id source and clock. */

export interface ZohoUser {
  id: string;
  zuid: string;
  firstName: string;
  lastName: string;
  email: string;
  role: string;
  profile: string;
}

/** Quirks with every default filled in. */
export type ResolvedQuirks = Required<ZohoQuirks>;

export const DEFAULT_QUIRKS: ResolvedQuirks = {
  accessDeniedStatus: 200,
  accessDeniedCooldownSec: 900,
  grantCodeTtlSec: 120,
  unknownIdAnswer: 'invalid-data',
  unknownFields: 'error',
  picklistValues: 'error',
  multipleErrors: 'first',
  upsertMultipleMatches: 'oldest',
  ifModifiedSinceInclusive: false,
  searchLagMs: 0,
  searchMaxResults: 2000,
  searchNeedsSecureSearchScope: false,
  sortByIsHeavy: true,
  callbackResourceUriVersion: 'v2',
  notifyRetries: 0,
  notifyOwnChanges: true,
  creditsHeader: true,
  missingModuleStatus: 400,
};

/** The connected app's user (API writes) and a second person who edits records in the Zoho UI. */
export const API_USER: ZohoUser = {
  id: '5725767000000411001',
  zuid: '60011223344',
  firstName: 'Patricia',
  lastName: 'Boyle',
  email: 'patricia.boyle@example.com',
  role: 'CEO',
  profile: 'Administrator',
};
export const HUMAN_USER: ZohoUser = {
  id: '5725767000000411017',
  zuid: '60011223399',
  firstName: 'Sam',
  lastName: 'Rivera',
  email: 'sam.rivera@example.com',
  role: 'Sales Manager',
  profile: 'Standard',
};

export class Org {
  readonly modules: Map<string, ModuleDef>;
  readonly stores = new Map<string, ModuleStore>();
  readonly users = [API_USER, HUMAN_USER];
  readonly ids = new IdSource();
  readonly startedAt: number;

  constructor(
    readonly clock: Clock,
    readonly offsetMinutes: number,
    readonly quirks: ResolvedQuirks,
    vendors: boolean,
    readonly edition: ZohoEdition,
    customFields = true,
  ) {
    this.modules = defineModules(vendors, customFields);
    for (const def of this.modules.values()) this.stores.set(def.apiName, new ModuleStore(def));
    this.startedAt = this.nowSeconds();
  }

  /** Simulator time, truncated to whole seconds as Zoho stores it. */
  nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000) * 1000;
  }

  private lastTime: [number, string] = [Number.NaN, ''];

  /** A datetime as Zoho shows it; the last answer is reused, since a batch shares one second. */
  time(ms: number): string {
    if (this.lastTime[0] !== ms) this.lastTime = [ms, formatZohoTime(ms, this.offsetMinutes)];
    return this.lastTime[1];
  }

  user(id: string): ZohoUser | undefined {
    return this.users.find((u) => u.id === id);
  }

  store(module: string): ModuleStore | undefined {
    return this.stores.get(module);
  }

  userRef(id: string, withEmail = true): Record<string, unknown> {
    const u = this.user(id) ?? API_USER;
    const ref: Record<string, unknown> = { name: `${u.firstName} ${u.lastName}`, id: u.id };
    if (withEmail) ref.email = u.email;
    return ref;
  }

  /** The display name a lookup to this record shows. */
  recordName(module: string, id: string): string | null {
    const store = this.stores.get(module);
    const rec = store?.get(id);
    if (!store || !rec) return null;
    const v = rec.values[store.def.nameField];
    return typeof v === 'string' ? v : null;
  }

  /** A record as the API returns it: every field (or only `fields`), unset ones as null. */
  serialize(store: ModuleStore, rec: StoredRecord, fields?: readonly string[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const names = fields ?? store.def.fields.map((f) => f.apiName);
    for (const name of names) {
      const f = store.def.byName.get(name);
      if (!f) continue;
      switch (name) {
        case 'Owner':
          out.Owner = this.userRef(rec.ownerId);
          continue;
        case 'Created_By':
          out.Created_By = this.userRef(rec.createdById);
          continue;
        case 'Modified_By':
          out.Modified_By = this.userRef(rec.modifiedById);
          continue;
        case 'Created_Time':
          out.Created_Time = this.time(rec.createdAt);
          continue;
        case 'Modified_Time':
          out.Modified_Time = this.time(rec.modifiedAt);
          continue;
      }
      const v = rec.values[name];
      if (f.type === 'lookup' && typeof v === 'string' && f.lookupModule) {
        // A lookup to a record deleted since reads as empty, as Zoho clears it.
        out[name] = this.stores.get(f.lookupModule)?.get(v) ? { name: this.recordName(f.lookupModule, v), id: v } : null;
      } else {
        out[name] = v ?? null;
      }
    }
    out.id = rec.id;
    if (!fields) {
      out.$approval_state = 'approved';
      out.$editable = true;
      out.$state = 'save';
    }
    return out;
  }

  /** `details` of a successful write result. */
  writeDetails(rec: StoredRecord): Record<string, unknown> {
    return {
      Modified_Time: this.time(rec.modifiedAt),
      Modified_By: this.userRef(rec.modifiedById, false),
      Created_Time: this.time(rec.createdAt),
      id: rec.id,
      Created_By: this.userRef(rec.createdById, false),
      $approval_state: 'approved',
    };
  }
}
