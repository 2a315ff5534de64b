import { peopleSoftSource, sourceInclude } from '../config/source.js';
import type { Mapping } from '../config/types.generated.js';
import type { SourceRecord } from '../model/index.js';
import { matchCondition } from './conditions.js';
import { externalIdSource } from './map-record.js';

/**
 * Sibling mappings: several mappings of one source into one Zoho module under one external-id
 * field, told apart by disjoint `source.include` scopes (employees and contractors, both keyed by
 * EMPLID in PeopleSoft_Employee_ID). Validation guarantees the scopes cannot overlap; these
 * helpers let the planner give each Zoho record to exactly one of them: a record in a sibling's
 * scope is the sibling's (a contractor who became an employee is handed over, not deactivated
 * by one mapping while the other updates it).
 */
export function siblingMappings(mapping: Mapping, all: Iterable<Mapping>): Mapping[] {
  const mine = peopleSoftSource(mapping);
  if (mine === undefined) return [];
  const out: Mapping[] = [];
  for (const m of all) {
    const theirs = peopleSoftSource(m);
    if (m.name === mapping.name || theirs === undefined) continue;
    if (m.target.connection !== mapping.target.connection || m.target.module !== mapping.target.module) continue;
    if (m.externalId.field !== mapping.externalId.field || theirs.connection !== mine.connection || theirs.entity !== mine.entity) continue;
    out.push(m);
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** True when the record is in this mapping's scope (no `source.include`: every record). */
export function inScope(mapping: Mapping, record: Pick<SourceRecord, 'fields'>): boolean {
  const include = sourceInclude(mapping);
  return include === undefined || matchCondition(include, record.fields);
}

/** The external id a source record has in this mapping (as mapRecord computes it). */
export function externalIdOf(mapping: Mapping, record: Pick<SourceRecord, 'fields' | 'key'>): string {
  return String(record.fields[externalIdSource(mapping)] ?? record.key);
}

/**
 * Which mapping answers for a Zoho record that no source record of any sibling claims (gone from
 * PeopleSoft) and no sibling has linked: the first by name, so that it is deactivated once.
 */
export function ownerOfOrphans(mapping: Mapping, siblings: readonly Mapping[]): boolean {
  return siblings.every((s) => mapping.name < s.name);
}

/**
 * The external-id fields of the other mappings writing this mapping's module of the same Zoho
 * connection (vendors and departments into Accounts): a Zoho record holding one of them belongs to
 * that mapping, so it is never a match candidate or pairable for this one.
 */
export function otherExternalIdFields(mapping: Mapping, all: Iterable<Mapping>): Array<{ field: string; mapping: string }> {
  const out: Array<{ field: string; mapping: string }> = [];
  for (const m of all) {
    if (m.name === mapping.name || m.target.connection !== mapping.target.connection || m.target.module !== mapping.target.module) continue;
    if (m.externalId.field !== mapping.externalId.field) out.push({ field: m.externalId.field, mapping: m.name });
  }
  return out.sort((a, b) => (a.mapping < b.mapping ? -1 : 1));
}
