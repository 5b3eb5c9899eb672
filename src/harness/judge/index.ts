export { judgeRun } from './judge.ts';
export { mergeReports } from './merge.ts';
export type { Divergence, DivergentLayer, JudgedCheck, ResultRow, RowStatus, RunReport, TargetSummary } from './report.ts';
