// TEST-ONLY: the planted-slowdown hook that proves the latency gate catches what it should.
//
//   TORCHPORT_BENCH_INJECT_SLOWDOWN=<target>:<fraction>[,<target>:<fraction>...]
//
// e.g. `onnx:0.25` makes every timed run of the onnx target 25% slower, by busy-waiting for 25% of
// the time the run itself just took (extra CPU work proportional to the measured time, not a fixed
// sleep, so the slowdown scales with the model and shows up as the same ratio everywhere). It exists
// for the scripted regression experiment and the tests; never set it in a real CI job.
// It is read here, once, and nowhere else.
import { TorchportError } from '../errors.ts';

export const SLOWDOWN_ENV_VAR = 'TORCHPORT_BENCH_INJECT_SLOWDOWN';

export class SlowdownHookError extends TorchportError {
  readonly code = 'E_BENCH_SLOWDOWN_HOOK';
}

/** Planted slowdown fraction by target name (empty: no hook). */
export type SlowdownPlan = ReadonlyMap<string, number>;

export function parseSlowdownHook(env: NodeJS.ProcessEnv): SlowdownPlan {
  const value = env[SLOWDOWN_ENV_VAR]?.trim();
  const plan = new Map<string, number>();
  if (!value) return plan;
  const problems: string[] = [];
  for (const entry of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const match = /^([A-Za-z0-9_.-]+):([0-9]*\.?[0-9]+)$/.exec(entry);
    const fraction = match ? Number(match[2]) : NaN;
    if (!match || !(fraction > 0 && fraction <= 10)) problems.push(`"${entry}" is not <target>:<fraction> with 0 < fraction <= 10`);
    else if (plan.has(match[1]!)) problems.push(`target ${match[1]} is named twice`);
    else plan.set(match[1]!, fraction);
  }
  if (problems.length) throw new SlowdownHookError(`${SLOWDOWN_ENV_VAR}=${value}: ${problems.join('; ')} (example: onnx:0.25); it is a test-only hook, unset it for real runs`);
  return plan;
}

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
