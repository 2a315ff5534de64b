export { generateDataset, FIRST_EMPLID, type GenerateOptions } from './generate.js';
export { loadFixture, dumpFixture } from './fixture.js';
export { applyScenarioDay, type ScenarioDayReport } from './scenario.js';
export { currentJob, currentRow, departmentOn, indexDepartments } from './effective.js';
export { toPsDate, toPsDateTime, addDays } from './dates.js';
export { FIRM } from './firm.js';
export type * from './types.js';
