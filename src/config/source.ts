import type { Condition, Mapping, PeopleSoftSource, StaticSource } from './types.generated.js';

/**
 * A mapping's source is a PeopleSoft entity read through a connection, or records written in the
 * configuration (`source.static`). These helpers say which, so callers narrow the union once.
 */
export function isStaticSource(source: Mapping['source']): source is StaticSource {
  return 'static' in source;
}

/** The PeopleSoft connection and entity a mapping reads, or undefined for static records. */
export function peopleSoftSource(mapping: Mapping): PeopleSoftSource | undefined {
  return isStaticSource(mapping.source) ? undefined : mapping.source;
}

/** `source.include`: static records have no scope condition (every record is in scope). */
export function sourceInclude(mapping: Mapping): Condition | undefined {
  return isStaticSource(mapping.source) ? undefined : mapping.source.include;
}

/** `employees`, `vendors`, `departments`, or `static`: what kind of source records a mapping gets. */
export function sourceKind(mapping: Mapping): PeopleSoftSource['entity'] | 'static' {
  return isStaticSource(mapping.source) ? 'static' : mapping.source.entity;
}
