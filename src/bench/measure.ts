// Timing with tinybench, interleaved. Every workload of a model (each target, the PyTorch
// reference, the calibration kernel) is measured in the same rounds: round 1 times A, B, C, round 2
// times B, C, A, and so on. Whatever the machine does meanwhile (another job starts, the CPU clocks
// down) lands on all of them alike, instead of on whichever happened to run during it, so their
// ratios stay honest on a noisy runner. Warm-up runs come first and are never counted.
import { Bench } from 'tinybench';
import { describeError } from '../errors.ts';

/** Timed here by tinybench: one call = one sample; its output must be read back inside `run`. */
export interface TimedWorkload {
  readonly name: string;
  readonly kind: 'timed';
  run(): Promise<unknown>;
}

/** Timed elsewhere (the PyTorch reference, inside Python): returns its own samples in ms. */
export interface SelfTimedWorkload {
  readonly name: string;
  readonly kind: 'self-timed';
  /** Untimed runs; returns how many were made. */
  warmUp(budgetMs: number, minRuns: number): Promise<number>;
  measure(budgetMs: number, minRuns: number): Promise<number[]>;
}

export type Workload = TimedWorkload | SelfTimedWorkload;

export interface MeasurePlan {
  readonly rounds: number;
  /** Measured time per workload over all rounds (ms); each round gets an equal share. */
  readonly timePerWorkloadMs: number;
  /** At least this many measured runs per workload per round, however slow it is. */
  readonly minRunsPerRound: number;
  /** Warm-up time per workload (ms), with at least `warmupRuns` runs. */
  readonly warmupMs: number;
  readonly warmupRuns: number;
}

export const DEFAULT_PLAN: MeasurePlan = { rounds: 20, timePerWorkloadMs: 1000, minRunsPerRound: 2, warmupMs: 200, warmupRuns: 5 };

export interface Measurement {
  readonly name: string;
  /** Samples in ms, grouped by round (round order, not sorted across rounds). */
  readonly rounds: readonly (readonly number[])[];
  readonly warmupRuns: number;
  /** The workload failed; its measurement stopped there. */
  readonly error?: string;
}

export async function measureInterleaved(workloads: readonly Workload[], plan: MeasurePlan, onRound?: (round: number) => void): Promise<Measurement[]> {
  const state = workloads.map((workload) => ({ workload, rounds: [] as number[][], warmupRuns: 0, error: undefined as string | undefined }));
  for (const entry of state) {
    try {
      entry.warmupRuns = await warmUp(entry.workload, plan);
    } catch (error) {
      entry.error = `warm-up failed: ${describeError(error)}`;
    }
  }
  const roundMs = plan.timePerWorkloadMs / plan.rounds;
  for (let round = 0; round < plan.rounds; round++) {
    onRound?.(round);
    // Rotate the order every round so that no workload always runs first (or right after another).
    for (let k = 0; k < state.length; k++) {
      const entry = state[(round + k) % state.length]!;
      if (entry.error) continue;
      try {
        entry.rounds.push(await measureRound(entry.workload, roundMs, plan.minRunsPerRound));
      } catch (error) {
        entry.error = describeError(error);
      }
    }
  }
  return state.map(({ workload, rounds, warmupRuns, error }) => ({ name: workload.name, rounds, warmupRuns, ...(error ? { error } : {}) }));
}

/** tinybench's warm-up phase alone (no measured iterations); returns the number of runs it made. */
async function warmUp(workload: Workload, plan: MeasurePlan): Promise<number> {
  if (workload.kind === 'self-timed') return workload.warmUp(plan.warmupMs, plan.warmupRuns);
  let calls = 0;
  const bench = new Bench({ warmup: true, warmupTime: plan.warmupMs, warmupIterations: plan.warmupRuns, time: 0, iterations: 0 });
  bench.add(workload.name, async () => {
    calls++;
    await workload.run();
  });
  await bench.run();
  const error = bench.tasks[0]!.result?.error;
  if (error) throw error;
  return calls;
}

async function measureRound(workload: Workload, roundMs: number, minRuns: number): Promise<number[]> {
  if (workload.kind === 'self-timed') return workload.measure(roundMs, minRuns);
  const bench = new Bench({ warmup: false, time: roundMs, iterations: minRuns });
  bench.add(workload.name, async () => {
    await workload.run();
  });
  await bench.run();
  const result = bench.tasks[0]!.result;
  if (!result || result.error) throw result?.error ?? new Error(`tinybench recorded no samples for ${workload.name}`);
  return [...result.latency.samples];
}
