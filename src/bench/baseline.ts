// Latency baselines (--save-baseline / --baseline): a run's timings kept for later runs to be
// compared against, possibly on another machine. This module owns the file format.
//
// Samples are stored normalised: each timing divided by the calibration kernel's median in the same
// round, i.e. in "calibration units" rather than milliseconds, so that a faster or busier machine
// does not read as a speed-up or a regression. The calibration kernel's own median is stored too
// (for the record, and to show how the machines differ), as is the kernel's id: a baseline made
// with another kernel measures in other units and is refused.
import { readFile } from 'node:fs/promises';
import { TorchportError } from '../errors.ts';
import { writeFileAtomic } from '../util/index.ts';
import { CALIBRATION_KERNEL } from './calibration.ts';
import { thin } from './summary.ts';

export const BASELINE_FORMAT = 'torchport-bench-baseline';
/** More samples than this per entry are thinned to evenly spaced order statistics. */
export const BASELINE_MAX_SAMPLES = 256;

export class BaselineError extends TorchportError {
  readonly code = 'E_BENCH_BASELINE';
}

export interface BaselineEntry {
  readonly model: string;
  readonly target: string;
  /** Raw median in ms on the machine that recorded it (for reading only). */
  readonly p50Ms: number;
  /** Normalised samples (timing / calibration median of its round), at most BASELINE_MAX_SAMPLES. */
  readonly samples: readonly number[];
}

export interface Baseline {
  readonly format: typeof BASELINE_FORMAT;
  readonly version: 1;
  readonly createdAt: string;
  /** Platform, CPU count and model of the recording machine. */
  readonly machine: string;
  readonly gitCommit: string | null;
  readonly calibration: { readonly kernel: string; readonly medianMs: number };
  readonly entries: readonly BaselineEntry[];
}

export function createBaseline(options: { machine: string; gitCommit: string | null; calibrationMs: number; entries: readonly BaselineEntry[]; now?: Date }): Baseline {
  return {
    format: BASELINE_FORMAT,
    version: 1,
    createdAt: (options.now ?? new Date()).toISOString(),
    machine: options.machine,
    gitCommit: options.gitCommit,
    calibration: { kernel: CALIBRATION_KERNEL, medianMs: options.calibrationMs },
    // Six significant digits are far below timing noise and keep the file small.
    entries: options.entries.map((e) => ({ ...e, samples: thin(e.samples, BASELINE_MAX_SAMPLES).map((x) => Number(x.toPrecision(6))) })),
  };
}

export async function saveBaseline(path: string, baseline: Baseline): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(baseline, null, 1)}\n`);
}

export async function loadBaseline(path: string): Promise<Baseline> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new BaselineError(`cannot read baseline ${path}: ${error.code === 'ENOENT' ? 'no such file (record one with --save-baseline)' : error.message}`);
  });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new BaselineError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  return parseBaseline(raw, path);
}

export function parseBaseline(raw: unknown, where: string): Baseline {
  const fail = (problem: string): never => {
    throw new BaselineError(`${where}: ${problem}`);
  };
  const b = raw as Partial<Baseline> | null;
  if (typeof raw !== 'object' || b === null || b.format !== BASELINE_FORMAT || b.version !== 1) {
    return fail(`not a torchport latency baseline (format "${BASELINE_FORMAT}", version 1); make one with \`torchport bench --save-baseline FILE\``);
  }
  const calibration = b.calibration;
  if (!calibration || typeof calibration.kernel !== 'string' || !(typeof calibration.medianMs === 'number' && calibration.medianMs > 0)) fail('"calibration" must be {kernel, medianMs > 0}');
  if (calibration!.kernel !== CALIBRATION_KERNEL) {
    fail(`was measured with calibration kernel ${calibration!.kernel}, this build uses ${CALIBRATION_KERNEL}; the units differ, so record a new baseline with this build`);
  }
  if (!Array.isArray(b.entries)) return fail('"entries" must be an array');
  const problems: string[] = [];
  b.entries.forEach((e, i) => {
    const ok =
      e &&
      typeof e.model === 'string' &&
      typeof e.target === 'string' &&
      typeof e.p50Ms === 'number' &&
      Array.isArray(e.samples) &&
      e.samples.length > 0 &&
      e.samples.every((x: unknown) => typeof x === 'number' && Number.isFinite(x) && x > 0);
    if (!ok) problems.push(`entries[${i}] must be {model, target, p50Ms, samples: positive numbers}`);
  });
  if (problems.length) fail(problems.join('; '));
  return {
    format: BASELINE_FORMAT,
    version: 1,
    createdAt: String(b.createdAt ?? ''),
    machine: String(b.machine ?? 'unknown'),
    gitCommit: typeof b.gitCommit === 'string' ? b.gitCommit : null,
    calibration: { kernel: calibration!.kernel, medianMs: calibration!.medianMs },
    entries: b.entries,
  };
}

export function findBaselineEntry(baseline: Baseline, model: string, target: string): BaselineEntry | undefined {
  return baseline.entries.find((e) => e.model === model && e.target === target);
}
