import { describe, expect, it } from 'vitest';
import type { Mapping } from '../src/config/types.generated.js';
import type { SourceRecord } from '../src/model/index.js';
import type { RunOutcome } from '../src/engine/outcome.js';
import { mappingResults, runStatus } from '../src/engine/outcome.js';
import type { ApplyResult } from '../src/apply/index.js';
import { toRunReport } from '../src/ops/run-alert.js';
import { buildAlert } from '../src/ops/alerts.js';
import { planFixture } from './plan-harness.js';

const people: Mapping = {
  apiVersion: 'ml-connector/v1', kind: 'Mapping', name: 'people',
  source: { connection: 'hcm', entity: 'employees' },
  target: { connection: 'zoho', module: 'Contacts' },
  externalId: { field: 'PeopleSoft_Employee_ID' },
  fields: [{ to: 'Last_Name', from: 'LAST_NAME' }],
  lifecycle: { termination: { action: 'deactivate' } },
  deactivate: { set: { Employment_Status: 'Terminated' } },
  guards: { maxDeactivations: 0 },
};
const rec = (key: string, extra: Partial<SourceRecord> = {}): SourceRecord => ({ entity: 'employees', key, fields: { EMPLID: key, LAST_NAME: `N${key}` }, status: 'active', hash: key, ...extra });

function plan(records: SourceRecord[], observed: [string, string][]) {
  return planFixture({ mapping: people, records, observed: new Map(observed.map(([k, id]) => [k, { id, values: { Last_Name: `N${k}` } }])) }).header;
}
const usage = { zoho: { calls: 1, writes: 1, reads: 0, credits: 1, retries: 0 }, peoplesoft: 1 };
/** The outcome the engine derives from a plan and what the applier did. */
function outcome(header: ReturnType<typeof plan>, applied: ApplyResult | undefined): RunOutcome {
  const blocked = header.blocked;
  const mappings = mappingResults(header, applied?.mappings, blocked);
  return {
    runId: 'r1', trigger: 'schedule:daily', startedAt: '2026-11-27T12:00:00Z', finishedAt: '2026-11-27T12:01:00Z',
    status: runStatus({ interrupted: false, blocked, mappings }), mappings,
    failures: applied?.problems ?? [], failureCount: applied?.problemCount ?? 0, usage, noChanges: header.summary.changes === 0, saved: false,
  };
}

describe('toRunReport: what an apply tells the alert', () => {
  it('a tripped guard that blocked the plan: the guard, nothing written', () => {
    const p = plan([rec('E1', { event: 'termination', status: 'inactive' })], [['E1', 'z1']]);
    expect(p.blocked).toBe(true);
    const report = toRunReport(outcome(p, undefined));
    expect(report.status).toBe('blocked');
    expect(report.mappings).toEqual([{ mapping: 'people', counts: {}, guard: { guard: 'maxDeactivations', limit: '0 (0)', actual: '1' } }]);
    expect(buildAlert(report)!.events).toEqual(['guard-tripped']);
  });

  it('a failed record: counted out of the applied ones, listed by key, run partial', () => {
    const p = plan([rec('E1'), rec('E2')], []);
    const applied: ApplyResult = {
      interrupted: false, problemCount: 1,
      mappings: [{ name: 'people', applied: 1, failed: 1, skipped: 0, relinked: 0, byAction: { create: 1 }, watermarkAdvanced: false }],
      problems: [{ mapping: 'people', externalId: 'E2', action: 'create', outcome: 'failed', code: 'ZOHO_INVALID_DATA', message: 'invalid data' }],
    };
    const report = toRunReport(outcome(p, applied));
    expect(report.status).toBe('partial');
    expect(report.mappings).toEqual([{ mapping: 'people', counts: { create: 1 }, failed: [{ key: 'E2', code: 'ZOHO_INVALID_DATA', message: 'invalid data' }] }]);
    expect(buildAlert(report)!.text).toContain('E2 ZOHO_INVALID_DATA: invalid data');
  });
});
