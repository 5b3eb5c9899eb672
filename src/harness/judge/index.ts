export { judgeRun } from './judge.ts';
export type { Divergence, DivergentLayer, JudgedCheck, ResultRow, RowStatus, RunReport, TargetSummary } from './report.ts';
