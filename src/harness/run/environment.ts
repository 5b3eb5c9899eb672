import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, platform, release } from 'node:os';
import { TorchportError } from '../../errors.ts';
import type { BridgeVersions } from '../../torch/index.ts';
import { RUN_RECORD_FORMAT, type RunEnvironment, type RunRecord } from './record.ts';

/** Sortable and unique: 2026-11-27T20-41-05Z-1a2b. */
export function runIdFor(date: Date): string {
  return `${date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-')}-${randomBytes(2).toString('hex')}`;
}

export async function describeEnvironment(options: { torch: BridgeVersions | null; torchUnavailable: string | null; ci: boolean; cwd: string }): Promise<RunEnvironment> {
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

export class RunRecordError extends TorchportError {
  readonly code = 'E_RUN_RECORD';
}

/** Reads run.json back (for re-judging); checks the format marker, trusts the rest to the judge. */
export function parseRunRecord(text: string, where: string): RunRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new RunRecordError(`${where}: not valid JSON (${(error as Error).message})`);
  }
  const record = raw as RunRecord;
  if (typeof raw !== 'object' || raw === null || record.format !== RUN_RECORD_FORMAT || record.version !== 1 || !Array.isArray(record.models)) {
    throw new RunRecordError(`${where}: not a torchport run record (format "${RUN_RECORD_FORMAT}", version 1); pass the run.json written beside a report`);
  }
  return record;
}
