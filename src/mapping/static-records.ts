import { canonicalJson, sha256 } from '../config/digest.js';
import { isStaticSource } from '../config/source.js';
import type { Mapping } from '../config/types.generated.js';
import type { SourceRecord, SourceValue } from '../model/index.js';
import { MlError } from '../support/errors.js';

/**
 * The source records of a mapping whose records are written in the configuration
 * (`source.static`), e.g. the firm itself as one account. Like PeopleSoft records, strings are
 * trimmed and blanks are null; the key is also the field KEY. Pure: the same YAML gives the
 * same records (and hashes), so a static mapping plans nothing until someone edits it.
 */
export function readStaticRecords(mapping: Mapping): SourceRecord[] {
  if (!isStaticSource(mapping.source)) {
    throw new MlError('MAPPING_NOT_STATIC', `Mapping ${mapping.name} reads PeopleSoft, not static records.`, {
      meta: { mapping: mapping.name },
      hint: 'Read it with readSourceRecords; readStaticRecords is for mappings with source.static.',
    });
  }
  return mapping.source.static.map((r) => {
    const key = r.key.trim();
    const fields: Record<string, SourceValue> = { KEY: key };
    for (const [name, value] of Object.entries(r.fields)) {
      const v = typeof value === 'string' ? value.trim() : value;
      fields[name] = v === '' || v === undefined ? null : v;
    }
    const status = r.status ?? 'active';
    return { entity: 'static', key, fields, status, hash: sha256(canonicalJson({ key, fields, status })) };
  });
}
