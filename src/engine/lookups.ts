/**
 * Lookups between mappings (a contact's Account_Name → the vendor's account), answered a page at
 * a time: what the looked-up mapping does in this plan (creates, adoptions, re-links, removals,
 * kept in the run's scratch), else its links in the state. Never an index of every record.
 */
import type { Mapping } from '../config/types.generated.js';
import { lookupTargets, renderTemplate, type LookupResolver, type LookupValue } from '../mapping/index.js';
import type { SourceRecord } from '../model/index.js';
import type { PlanEntry, PlanSink } from '../plan/index.js';
import type { Scratch } from '../state/scratch.js';
import type { Session } from './session.js';

export class LookupIndex {
  /** Looked-up mappings with no links at all and not planned in this run: read from Zoho once, into scratch. */
  private readonly seeded = new Set<string>();

  constructor(private readonly session: Session, private readonly scratch: Scratch, private readonly planned: ReadonlySet<string>) {}

  /**
   * A sink in front of a looked-up mapping's spool: each action, re-link and removal is kept in
   * scratch as well (flushed by `flush`), so the mappings after it resolve lookups to it.
   */
  tee(mapping: string, sink: PlanSink): PlanSink & { flush(): Promise<void> } {
    let rows: Array<{ externalId: string; zohoId?: string; gone?: boolean }> = [];
    const scratch = this.scratch;
    return {
      write(entry: PlanEntry): void {
        sink.write(entry);
        if (entry.t === 'action') {
          if (entry.action === 'delete') rows.push({ externalId: entry.externalId, gone: true });
          else rows.push({ externalId: entry.externalId, ...(entry.zohoId !== undefined ? { zohoId: entry.zohoId } : {}) });
        } else if (entry.t === 'relink') rows.push({ externalId: entry.externalId, zohoId: entry.zohoId });
      },
      async flush(): Promise<void> {
        const batch = rows;
        rows = [];
        await scratch.putPending(mapping, batch);
      },
    };
  }

  /** The resolver for one page of a mapping's records: every lookup key of the page fetched at once. */
  async forPage(mapping: Mapping, records: readonly SourceRecord[]): Promise<LookupResolver> {
    const targets = lookupTargets(mapping);
    if (targets.length === 0) return () => undefined;
    const keys = new Map<string, Set<string>>(targets.map((t) => [t, new Set<string>()]));
    for (const f of mapping.fields) {
      if (!f.lookup) continue;
      const set = keys.get(f.lookup.mapping);
      if (!set) continue;
      for (const r of records) {
        const key = renderTemplate(f.lookup.key, r.fields).trim();
        if (key !== '') set.add(key);
      }
    }
    const found = new Map<string, Map<string, LookupValue>>();
    for (const [target, set] of keys) {
      const list = [...set];
      const index = new Map<string, LookupValue>();
      if (list.length > 0) {
        await this.seed(target);
        const pending = await this.scratch.getPending(target, list);
        const rest = list.filter((k) => !pending.has(k));
        const links = rest.length > 0 ? await this.session.store.getLinksByKeys(target, rest) : new Map();
        for (const [k, p] of pending) if (!p.gone) index.set(k, { lookup: target, key: k, ...(p.zohoId !== undefined ? { id: p.zohoId } : {}) });
        for (const [k, l] of links) index.set(k, { lookup: target, key: k, id: l.zohoId });
      }
      found.set(target, index);
    }
    return (target, key) => found.get(target)?.get(key);
  }

  /**
   * A looked-up mapping that is not planned in this run and has no links (a fresh state): its
   * records by external id from Zoho, once, so lookups to existing records still resolve.
   */
  private async seed(target: string): Promise<void> {
    if (this.planned.has(target) || this.seeded.has(target)) return;
    this.seeded.add(target);
    if ((await this.session.store.countLinks(target)) > 0) return;
    const t = this.session.config.mappings.get(target);
    if (!t) return;
    const client = await this.session.zoho(t.target.connection);
    let rows: Array<{ externalId: string; zohoId: string }> = [];
    for await (const rec of client.listRecords(t.target.module, [t.externalId.field])) {
      const ext = rec[t.externalId.field];
      if (typeof ext === 'string' && ext !== '') rows.push({ externalId: ext, zohoId: String(rec.id) });
      if (rows.length >= 2000) {
        await this.scratch.putPending(target, rows);
        rows = [];
      }
    }
    await this.scratch.putPending(target, rows);
  }
}
