import type { Mapping } from '../config/types.generated.js';
import type { CheckResult } from '../model/index.js';

/**
 * Two Zoho connection names that reach one organisation (the org id `check` reads from
 * GET /org): validation checks that mappings into one module cannot write the same record per
 * connection name, so through two names it cannot see them collide; and each name keeps its own
 * token. Mappings of the org's connections into one module are an error, otherwise a warning.
 */
export function checkSharedOrgs(results: readonly CheckResult[], mappings: readonly Mapping[]): CheckResult[] {
  const byOrg = new Map<string, string[]>();
  for (const r of results) {
    const orgId = r.details.orgId;
    if (r.status !== 'ok' || !r.target.endsWith('/org') || typeof orgId !== 'string') continue;
    const conn = r.target.slice(0, -'/org'.length);
    byOrg.set(orgId, [...(byOrg.get(orgId) ?? []), conn]);
  }
  const out: CheckResult[] = [];
  for (const [orgId, connections] of byOrg) {
    if (connections.length < 2) continue;
    const names = connections.sort();
    const writers = new Map<string, Set<string>>();
    for (const m of mappings) {
      if (!names.includes(m.target.connection)) continue;
      const list = writers.get(m.target.module) ?? new Set<string>();
      list.add(`${m.name} (${m.target.connection})`);
      writers.set(m.target.module, list);
    }
    const shared = [...writers].filter(([, ms]) => new Set([...ms].map((s) => s.slice(s.lastIndexOf('(')))).size > 1);
    const list = names.join(' and ');
    out.push({
      target: `${names.join('+')}/org`,
      status: shared.length > 0 ? 'error' : 'warning',
      summary: shared.length > 0
        ? `connections ${list} reach the same Zoho organisation (id ${orgId}), and mappings write ${shared.map(([module]) => module).join(', ')} through both`
        : `connections ${list} reach the same Zoho organisation (id ${orgId})`,
      diagnosis: shared.length > 0
        ? `${shared.map(([module, ms]) => `${module}: ${[...ms].join(', ')}`).join('; ')}. Validation proves mappings into one module cannot write the same record only per connection name: give this organisation one connection name, so those checks see all of them.`
        : 'Use one connection name per organisation: validation checks mappings into a module per connection name, and each name asks Zoho for its own tokens.',
      details: { orgId, connections: names, ...(shared.length > 0 ? { modules: Object.fromEntries(shared.map(([module, ms]) => [module, [...ms]])) } : {}) },
    });
  }
  return out;
}
