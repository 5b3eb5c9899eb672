export { judgeRun } from './judge.ts';
export type { Divergence, DivergentLayer, JudgedCheck, LatencyComparison, LatencyEntry, LatencyRatio, LatencySection, LatencyStats, ResultRow, RowStatus, RunReport, TargetSummary } from './report.ts';
