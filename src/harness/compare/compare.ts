import type { Tensor } from '../../tensor/index.ts';
import { allclose, errorMetrics, findIncomparability, type AllcloseVerdict, type ErrorMetrics, type Incomparable } from './metrics.ts';
import type { Tolerance } from './tolerance.ts';

/** The judgement of one output tensor against its reference. */
export type Comparison =
  | {
      readonly pass: boolean;
      readonly tolerance: Tolerance;
      readonly metrics: ErrorMetrics;
      readonly verdict: AllcloseVerdict;
      /** Why it failed, in words; absent on a pass. */
      readonly reason?: string;
    }
  | {
      readonly pass: false;
      readonly tolerance: Tolerance;
      readonly incomparable: Incomparable;
      readonly reason: string;
    };

export function compareTensors(actual: Tensor, reference: Tensor, tolerance: Tolerance): Comparison {
  const incomparable = findIncomparability(actual, reference);
  if (incomparable) return { pass: false, tolerance, incomparable, reason: incomparable.detail };
  const metrics = errorMetrics(actual, reference);
  const verdict = allclose(actual, reference, tolerance);
  if (verdict.pass) return { pass: true, tolerance, metrics, verdict };
  const worst = metrics.worst!;
  return {
    pass: false,
    tolerance,
    metrics,
    verdict,
    reason:
      `${verdict.violations} of ${metrics.elements} elements outside tolerance; worst at [${worst.index.join(', ')}]: ` +
      `${worst.actual} vs reference ${worst.reference} (|diff| ${metrics.maxAbsDiff.toExponential(3)}, would need atol ${verdict.neededAtol.toExponential(3)})`,
  };
}
