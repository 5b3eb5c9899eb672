import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, platform, release } from 'node:os';
import type { BridgeVersions } from '../../torch/index.ts';
import { runFixture, type ModelRunOptions } from './run.ts';
import type { CheckResult, ModelSummary, ResultRow, RunEnvironment, RunReport } from './types.ts';

export interface SuiteRunOptions extends ModelRunOptions {
  readonly torch: BridgeVersions | null;
  readonly torchUnavailable: string | null;
  readonly cwd: string;
}

/** Runs every fixture in order and assembles the report (nothing is written here). */
export async function runFixtures(fixturePaths: readonly string[], options: SuiteRunOptions): Promise<RunReport> {
  const startedAt = new Date();
  const models: ModelSummary[] = [];
  const checks: CheckResult[] = [];
  const results: ResultRow[] = [];
  for (const path of fixturePaths) {
    const result = await runFixture(path, options);
    models.push(result.summary);
    checks.push(...result.checks);
    results.push(...result.rows);
  }
  const count = (status: ResultRow['status']): number => results.filter((r) => r.status === status).length;
  const checksFailed = checks.filter((c) => !c.pass).length;
  const failed = count('fail');
  const errors = count('error');
  return {
    format: 'torchport-report',
    version: 1,
    runId: runIdFor(startedAt),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    environment: await describeEnvironment(options),
    summary: { rows: results.length, passed: count('pass'), failed, errors, skipped: count('skip'), checksFailed, pass: failed + errors + checksFailed === 0 },
    models,
    checks,
    results,
  };
}

/** Sortable and unique: 2026-11-27T20-41-05Z-1a2b. */
export function runIdFor(date: Date): string {
  return `${date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}-${randomBytes(2).toString('hex')}`;
}

async function describeEnvironment(options: SuiteRunOptions): Promise<RunEnvironment> {
  const git = await execa('git', ['rev-parse', 'HEAD'], { cwd: options.cwd, reject: false, timeout: 10_000 });
  const packageJson = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return {
    torchport: packageJson.version,
    node: process.version,
    platform: `${platform()} ${release()} ${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    torch: options.torch?.torch ?? null,
    python: options.torch?.python ?? null,
    torchUnavailable: options.torchUnavailable,
    gitCommit: git.exitCode === 0 ? String(git.stdout).trim() : null,
    ci: options.ci,
  };
}
