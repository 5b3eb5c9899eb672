// TEST-ONLY: the planted-slowdown hook that proves the latency gate catches what it should.
//
//   TORCHPORT_BENCH_INJECT_SLOWDOWN=<target>:<fraction>[,<target>:<fraction>...]
//
// e.g. `onnx:0.25` makes every timed run of the onnx target 25% slower, by busy-waiting for 25% of
// the time the run itself just took (extra CPU work proportional to the measured time, not a fixed
// sleep, so the slowdown scales with the model and shows up as the same ratio everywhere). It exists
// for the scripted regression experiment and the tests; never set it in a real CI job.
// The variable is parsed with the rest of the environment in src/config (parseSlowdownHook).
export type { SlowdownPlan } from '../config/index.ts';

/** Wraps a timed function so that each call takes (1 + fraction) times as long, by busy-waiting. */
export function withSlowdown<T>(run: () => Promise<T>, fraction: number): () => Promise<T> {
  return async () => {
    const started = performance.now();
    const result = await run();
    const until = performance.now() + (performance.now() - started) * fraction;
    while (performance.now() < until) {
      // busy work: the thread stays on the CPU, like a slower kernel would
    }
    return result;
  };
}
