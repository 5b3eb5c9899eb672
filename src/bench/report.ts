// A bench run as a RunReport: no parity rows, the latency section, and a summary whose verdict is
// the latency gate's, so every renderer (json, md, html, junit) and the exit code treat a
// regression like a parity failure.
import type { RunEnvironment, RunReport } from '../harness/index.ts';
import type { BenchResult } from './run.ts';

export function benchReport(result: BenchResult, meta: { runId: string; suite: string; startedAt: Date; environment: RunEnvironment }): RunReport {
  return {
    format: 'torchport-report',
    version: 1,
    runId: meta.runId,
    suite: meta.suite,
    startedAt: meta.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    environment: meta.environment,
    summary: { rows: 0, judged: 0, passed: 0, failed: 0, errors: 0, skipped: 0, skippedAllowed: 0, nondeterministic: 0, checksFailed: 0, notGreen: [], pass: result.latency.summary.pass },
    models: result.models.map((m) => ({ model: m.model, fixture: m.fixture, golden: m.golden, recorded: false })),
    targets: [],
    checks: [],
    results: [],
    latency: result.latency,
  };
}
