// The calibration workload: a fixed, deterministic pure-JS compute kernel timed in the same run as
// the models, interleaved with them. Its median time measures "how fast is this machine, under this
// load, right now" for single-threaded float work. Dividing every model timing by it makes runs on
// different machines (a baseline recorded elsewhere) and under different load comparable: a runner
// that is 30% slower overall is 30% slower on the kernel too, and the ratio cancels it.
//
// The kernel must never change silently: its id is stored in baselines, and a baseline made with a
// different kernel is refused rather than compared.

export const CALIBRATION_KERNEL = 'matmul-f32-80@1';
const SIZE = 80;

interface KernelData {
  readonly a: Float32Array;
  readonly b: Float32Array;
  readonly c: Float32Array;
}

let data: KernelData | undefined;

/**
 * The kernel: an 80x80 float32 matrix product (512k multiply-adds, about a millisecond here).
 * One function over one set of arrays for the whole process, on purpose: V8 specialises optimised
 * code to what a function has seen, and a fresh closure over fresh arrays per model measured 1.8x
 * slower than the first one, which would read as every later model getting faster.
 */
export function runCalibrationKernel(): number {
  data ??= createData();
  return multiply(data.a, data.b, data.c);
}

function createData(): KernelData {
  // Fixed contents from a linear congruential sequence: the same numbers on every machine.
  let state = 12345;
  const next = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296 - 0.5;
  };
  const a = new Float32Array(SIZE * SIZE).map(next);
  const b = new Float32Array(SIZE * SIZE).map(next);
  return { a, b, c: new Float32Array(SIZE * SIZE) };
}

function multiply(a: Float32Array, b: Float32Array, c: Float32Array): number {
  for (let i = 0; i < SIZE; i++) {
    for (let j = 0; j < SIZE; j++) {
      let sum = 0;
      for (let k = 0; k < SIZE; k++) sum += a[i * SIZE + k]! * b[k * SIZE + j]!;
      c[i * SIZE + j] = sum;
    }
  }
  // A result that depends on every element, so the work cannot be optimised away.
  return c[0]! + c[c.length - 1]!;
}
