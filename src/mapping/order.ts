import type { Mapping } from '../config/types.generated.js';
import { MlError } from '../support/errors.js';

/** Mappings a mapping looks records up in (its `lookup.mapping` names). */
export function lookupTargets(mapping: Mapping): string[] {
  const names = new Set<string>();
  for (const f of mapping.fields) if (f.lookup) names.add(f.lookup.mapping);
  names.delete(mapping.name);
  return [...names].sort();
}

/**
 * Order mappings so that every mapping comes after the ones it looks up (accounts before the
 * contacts that point at them); ties keep name order so plans are stable. A cycle is a config error.
 */
export function orderMappings(mappings: readonly Mapping[]): Mapping[] {
  const byName = new Map(mappings.map((m) => [m.name, m]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: Mapping[] = [];
  const visit = (m: Mapping, path: string[]): void => {
    if (done.has(m.name)) return;
    if (visiting.has(m.name)) {
      throw new MlError('MAPPING_LOOKUP_CYCLE', `Mappings look each other up in a cycle: ${[...path, m.name].join(' → ')}.`, {
        meta: { cycle: [...path, m.name] },
        hint: 'A lookup must point at a mapping that does not (directly or indirectly) look back at it.',
      });
    }
    visiting.add(m.name);
    for (const target of lookupTargets(m)) {
      const t = byName.get(target);
      if (t) visit(t, [...path, m.name]);
    }
    visiting.delete(m.name);
    done.add(m.name);
    out.push(m);
  };
  for (const m of [...mappings].sort((a, b) => a.name.localeCompare(b.name))) visit(m, []);
  return out;
}
