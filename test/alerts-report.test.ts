import { describe, expect, it } from 'vitest';
import type { Mapping } from '../src/config/types.generated.js';
import type { SourceRecord } from '../src/model/index.js';
import { planChanges, type Plan } from '../src/plan/index.js';
import type { ApplyReport } from '../src/apply/index.js';
import { toRunReport } from '../src/ops/run-apply.js';
import { buildAlert } from '../src/ops/alerts.js';

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

function plan(records: SourceRecord[], observed: [string, string][]): Plan {
  return planChanges({
    mappings: [{
      mapping: people, mappingDigest: 'd', mode: 'full', reason: 'test',
      source: { records, problems: [], complete: true, rowCount: records.length },
      observed: new Map(observed.map(([k, id]) => [k, { id, values: { Last_Name: `N${k}` } }])),
      links: new Map(),
    }],
    createdAt: '2026-11-27T12:00:00Z', configDigest: 'sha256:x',
  });
}
const base = { runId: 'r1', trigger: 'schedule:daily', startedAt: '2026-11-27T12:00:00Z', finishedAt: '2026-11-27T12:01:00Z' };

describe('toRunReport: what an apply tells the alert', () => {
  it('a tripped guard that blocked the plan: the guard, nothing written', () => {
    const p = plan([rec('E1', { event: 'termination', status: 'inactive' })], [['E1', 'z1']]);
    expect(p.blocked).toBe(true);
    const report = toRunReport(p, undefined, { ...base, error: { code: 'PLAN_GUARD_TRIPPED', message: 'A guard tripped' } });
    expect(report.status).toBe('failed');
    expect(report.mappings).toEqual([{ mapping: 'people', counts: {}, guard: { guard: 'maxDeactivations', limit: '0 (0)', actual: '1' } }]);
    expect(buildAlert(report)!.events).toEqual(['run-failed', 'guard-tripped']);
  });

  it('a failed record: counted out of the applied ones, listed by key, run partial', () => {
    const p = plan([rec('E1'), rec('E2')], []);
    const applied: ApplyReport = {
      runId: 'r1', ok: false, interrupted: false, zohoCalls: 1, writeCalls: 1, credits: 1,
      mappings: [{ name: 'people', applied: 1, failed: 1, skipped: 0, relinked: 0, watermarkAdvanced: false }],
      problems: [{ mapping: 'people', externalId: 'E2', action: 'create', outcome: 'failed', code: 'ZOHO_INVALID_DATA', message: 'invalid data' }],
    };
    const report = toRunReport(p, applied, base);
    expect(report.status).toBe('partial');
    expect(report.mappings).toEqual([{ mapping: 'people', counts: { create: 1 }, failed: [{ key: 'E2', code: 'ZOHO_INVALID_DATA', message: 'invalid data' }] }]);
    expect(buildAlert(report)!.text).toContain('E2 ZOHO_INVALID_DATA: invalid data');
  });
});
