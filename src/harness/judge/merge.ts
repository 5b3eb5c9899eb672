import { summarize } from './judge.ts';
import type { RunReport } from './report.ts';

/**
 * Combines reports of one suite run in pieces (vitest shards, one file per fixture) into one:
 * models, targets, checks and rows are concatenated and the summary recomputed.
 */
export function mergeReports(reports: readonly RunReport[]): RunReport {
  if (reports.length === 0) throw new Error('mergeReports needs at least one report');
  const results = reports.flatMap((r) => r.results);
  const checks = reports.flatMap((r) => r.checks);
  const first = reports[0]!;
  return {
    ...first,
    runId: [...new Set(reports.map((r) => r.runId))].length === 1 ? first.runId : `${first.runId}+${reports.length - 1}`,
    startedAt: reports.map((r) => r.startedAt).sort()[0]!,
    finishedAt: reports
      .map((r) => r.finishedAt)
      .sort()
      .at(-1)!,
    summary: summarize(results, checks),
    models: reports.flatMap((r) => r.models),
    targets: reports.flatMap((r) => r.targets),
    checks,
    results,
  };
}
