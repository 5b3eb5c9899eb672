export { judgeRun } from './judge.ts';
export { mergeReports } from './merge.ts';
export type { LatencyComparison, LatencyEntry, LatencyRatio, LatencySection, LatencyStats, ResultRow, RunReport, TargetSummary } from './report.ts';
export type { Divergence } from '../targets/index.ts';
