// The PyTorch reference row of the latency table: the same model and inputs, timed inside the
// Python worker (perf_counter_ns around the forward call), so the bridge's IPC and file transfer
// are not counted. It is context ("how do the ports compare with eager PyTorch on this machine"),
// never gated: the reference is not what ships.
import type { Golden } from '../harness/index.ts';
import type { RunnerInfo } from '../runtimes/index.ts';
import type { Tensor } from '../tensor/index.ts';
import type { TorchBridge } from '../torch/index.ts';
import type { SelfTimedWorkload } from './measure.ts';

export interface OpenReference {
  readonly info: RunnerInfo;
  readonly workload: SelfTimedWorkload;
  close(): Promise<void>;
}

export interface ReferenceTimer {
  readonly name: string;
  /** Set when the reference cannot run here (no torch): its rows are skipped with this reason. */
  readonly unavailable?: string;
  open(golden: Golden, inputs: readonly Tensor[]): Promise<OpenReference>;
}

/** Many more than any budget allows: the time budget, not this count, ends a round. */
const RUNS_CAP = 100_000;

/** eager PyTorch through the bridge; `threads` intra-op threads (default 1, as the other engines run). */
export function torchReference(bridge: TorchBridge | null, options: { unavailable?: string; threads?: number } = {}): ReferenceTimer {
  const threads = options.threads ?? 1;
  return {
    name: 'torch',
    ...(bridge ? {} : { unavailable: options.unavailable ?? 'torch is not available' }),
    async open(golden, inputs) {
      if (!bridge) throw new Error(options.unavailable ?? 'torch is not available');
      const versions = await bridge.versions();
      const fixture = await bridge.loadFixture(golden.fixturePath);
      await bridge.loadWeights(fixture, golden.weightsPath);
      return {
        info: { engine: 'torch', version: versions.torch, backend: 'cpu (eager, timed in Python)', threads },
        workload: {
          name: 'torch',
          kind: 'self-timed',
          async warmUp(budgetMs, minRuns) {
            // Warm-up passes are untimed on the Python side; a short timed batch after them is discarded.
            const discarded = await bridge.timeRun(fixture, inputs, { warmup: minRuns, runs: RUNS_CAP, minRuns: 1, budgetMs, threads });
            return minRuns + discarded.samplesMs.length;
          },
          async measure(budgetMs, minRuns) {
            return (await bridge.timeRun(fixture, inputs, { warmup: 0, runs: RUNS_CAP, minRuns, budgetMs, threads })).samplesMs;
          },
        },
        close: () => bridge.unload(fixture),
      };
    },
  };
}
