/**
 * Offline stats: what a pull request from a fork needs for its offline estimate, published by the
 * apply workflow next to the (encrypted) state database. A fork's workflow gets no secrets, so it
 * cannot decrypt the state; and whatever it can read, its author can print. So the stats hold
 * counts only: per mapping the linked records, per managed field how many hold a value and how
 * many hold each value the configuration itself names (constants, value tables, `set` values).
 * No record key, no name, no address, no value a reader of the repository does not already know.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Config } from '../config/index.js';
import { managedFields } from '../mapping/index.js';
import { MlError } from '../support/errors.js';
import { collectStats, namedValues, storedPages, type MappingStats, type StoredState } from './impact.js';

export const OFFLINE_STATS_FORMAT = 'ml-connector-offline-stats/1';

export interface OfflineStats {
  format: typeof OFFLINE_STATS_FORMAT;
  createdAt: string;
  mappings: Record<string, MappingStats>;
}

/** Stats of every mapping of `config` from the state database, streamed (pages of links). */
export async function collectOfflineStats(state: StoredState, config: Pick<Config, 'mappings'>, now = Date.now()): Promise<OfflineStats> {
  const named = namedValues(config.mappings.values());
  const mappings: Record<string, MappingStats> = {};
  for (const m of config.mappings.values()) mappings[m.name] = await collectStats(storedPages(state, m.name), managedFields(m), named);
  return { format: OFFLINE_STATS_FORMAT, createdAt: new Date(now).toISOString(), mappings };
}

export function writeOfflineStats(path: string, stats: OfflineStats): void {
  writeFileSync(path, JSON.stringify(stats) + '\n', { mode: 0o644 });
}

export function readOfflineStats(path: string): OfflineStats {
  let doc: Partial<OfflineStats>;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as Partial<OfflineStats>;
  } catch (err) {
    throw new MlError('OFFLINE_STATS_UNREADABLE', `Cannot read the offline stats ${path}: ${(err as Error).message}.`, { meta: { path }, cause: err, hint: 'The apply workflow writes them (node dist/gitops/offline-stats-main.js); without them the offline estimate lists the changes without counts.' });
  }
  if (doc.format !== OFFLINE_STATS_FORMAT || typeof doc.mappings !== 'object' || doc.mappings === null) {
    throw new MlError('OFFLINE_STATS_UNREADABLE', `${path} is not an offline stats file of this version (${OFFLINE_STATS_FORMAT}).`, { meta: { path }, hint: 'Let the apply workflow write it again with this version of ml-connector.' });
  }
  return doc as OfflineStats;
}
