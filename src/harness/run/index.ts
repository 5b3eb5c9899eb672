export { runFixture, type ModelRunOptions, type ModelRunResult } from './run.ts';
export { runFixtures, runIdFor, type SuiteRunOptions } from './suite.ts';
export type { CheckResult, ModelSummary, ResultRow, RowStatus, RunEnvironment, RunReport } from './types.ts';
