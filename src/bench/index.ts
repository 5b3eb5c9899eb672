export { createBaseline, loadBaseline, saveBaseline } from './baseline.ts';
export { DEFAULT_PLAN, measureInterleaved, type MeasurePlan, type Workload } from './measure.ts';
export { torchReference } from './reference.ts';
export { benchReport } from './report.ts';
export { benchModels, type BenchOptions, type BenchResult } from './run.ts';
export { withSlowdown } from './slowdown.ts';
export { median } from './summary.ts';
export { compareSamples, describeComparison } from './verdict.ts';
