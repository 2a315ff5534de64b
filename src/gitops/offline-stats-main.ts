/**
 * `node dist/gitops/offline-stats-main.js --config configs --state .ml-connector/state.db --out stats.json`:
 * used by .github/workflows/apply.yml after an apply to publish the counts a fork's pull request
 * estimates from (src/gitops/offline-stats.ts). A script of the workflow, not a command.
 */
import { parseArgs } from 'node:util';
import { loadValidConfig } from '../config/index.js';
import { openStateStore } from '../state/index.js';
import { collectOfflineStats, writeOfflineStats } from './offline-stats.js';

const { values } = parseArgs({ options: { config: { type: 'string', default: 'configs' }, state: { type: 'string' }, out: { type: 'string', default: 'offline-stats.json' } } });
const config = await loadValidConfig(values.config!);
const store = await openStateStore(values.state ?? config.project.state?.path ?? '.ml-connector/state.db', { readonly: true });
try {
  const stats = await collectOfflineStats(store, config);
  writeOfflineStats(values.out!, stats);
  const records = Object.values(stats.mappings).reduce((n, m) => n + m.records, 0);
  process.stdout.write(`offline stats: ${values.out} (${Object.keys(stats.mappings).length} mappings, ${records} linked records counted; no keys or personal values)\n`);
} finally {
  await store.close();
}
