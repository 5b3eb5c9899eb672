// Tolerances for unit tests that compare with `toMatchReference` (registered in vitest.setup.ts).
import type { AllcloseTolerance } from '../../src/harness/compare/tolerance.ts';

/** max |actual - reference| <= atol, element-wise (`atMost(0)`: bit-for-bit equal values). */
export function atMost(atol: number): AllcloseTolerance {
  return { rule: 'allclose', atol, rtol: 0 };
}
