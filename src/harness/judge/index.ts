export { judgeRun } from './judge.ts';
export { mergeReports } from './merge.ts';
export type { JudgedCheck, LatencyComparison, LatencyEntry, LatencyRatio, LatencySection, LatencyStats, ResultRow, RowStatus, RunReport, TargetSummary } from './report.ts';
export type { Divergence, DivergentLayer } from '../targets/index.ts';
