// The latency ratio of two TFLite files timed interleaved in one process (LiteRT.js, 1 thread), as
// the benchmark scripts report it: median(a) / median(b) with the gate's 95% bootstrap interval.
import { compareSamples, measureInterleaved, type MeasurePlan, type Workload } from '../../src/bench/index.ts';
import { createTfliteRunner } from '../../src/runtimes/tflite/index.ts';
import type { Tensor } from '../../src/tensor/index.ts';

/** Each file runs on its own inputs (built before timing); the result reads like "1.004 [0.998, 1.010]", or says why it has none. */
export async function interleavedRatio(
  a: Uint8Array,
  b: Uint8Array,
  inputs: readonly [readonly Tensor[], readonly Tensor[]],
  plan: MeasurePlan,
  digits = 2,
): Promise<{ text: string; ratio?: number }> {
  // The decoy takes the slot of the first model opened, which ran up to 20% slower than later ones (src/bench/run.ts).
  const decoy = await createTfliteRunner(a);
  const runners = [await createTfliteRunner(a), await createTfliteRunner(b)];
  try {
    const workloads: Workload[] = runners.map((runner, i) => ({ name: String(i), kind: 'timed', run: () => runner.run(inputs[i]!) }));
    const [x, y] = await measureInterleaved(workloads, plan);
    if (x!.error || y!.error) return { text: `error: ${x!.error ?? y!.error}` };
    const c = compareSamples(x!.rounds.flat(), y!.rounds.flat(), { threshold: 0.1 });
    return { text: `${c.ratio.toFixed(digits)} [${c.low.toFixed(digits)}, ${c.high.toFixed(digits)}]`, ratio: c.ratio };
  } finally {
    for (const runner of [...runners, decoy]) await runner.dispose();
  }
}
