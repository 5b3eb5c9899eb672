import type { Tensor } from '../../tensor/index.ts';
import { allclose, errorMetrics, findIncomparability, type ErrorMetrics, type Incomparable } from './metrics.ts';
import { float64Error, judgeFloat64Budget } from './float64-budget.ts';
import { judgeFloat16Budget } from './float16-budget.ts';
import type { Tolerance } from './tolerance.ts';

/** What the rule measured and what value of its own parameter would have passed. */
export interface Needed {
  /** atol (allclose), maxRelError (relative), steps (quant-steps), or relative error when a quant rule fell back. */
  readonly parameter: 'atol' | 'maxRelError' | 'steps' | 'k';
  readonly value: number;
}

/** The judgement of one output tensor against its reference. */
export type Comparison =
  | {
      readonly pass: boolean;
      readonly tolerance: Tolerance;
      readonly metrics: ErrorMetrics;
      readonly needed: Needed;
      /** Why it failed, in words; absent on a pass. */
      readonly reason?: string;
    }
  | {
      readonly pass: false;
      readonly tolerance: Tolerance;
      readonly incomparable: Incomparable;
      readonly reason: string;
    };

export interface CompareContext {
  /** Scale of the quantized tensor the output was dequantized from (quant-steps rule). */
  readonly outputScale?: number | null;
  /** PyTorch's float64 answer for this output (float64-budget rule); without it that rule falls back to the scaled rule. */
  readonly float64?: Tensor | null;
  /** max|r16w - r64|: what float16 weights cost on this output in float64 (float16-budget rule); without it that rule falls back to the relative rule. */
  readonly float16Weights?: number | null;
}

export function compareTensors(actual: Tensor, reference: Tensor, tolerance: Tolerance, context: CompareContext = {}): Comparison {
  const incomparable = findIncomparability(actual, reference);
  if (incomparable) return { pass: false, tolerance, incomparable, reason: incomparable.detail };
  const metrics = errorMetrics(actual, reference);
  const worst = metrics.worst;
  const where = worst ? ` worst at [${worst.index.join(', ')}]: ${worst.actual} vs reference ${worst.reference}` : '';
  const relError = metrics.maxAbsReference > 0 ? metrics.maxAbsDiff / metrics.maxAbsReference : metrics.maxAbsDiff === 0 ? 0 : Infinity;
  const judged = (pass: boolean, needed: Needed, reason: string): Comparison => ({ pass, tolerance, metrics, needed, ...(pass ? {} : { reason }) });

  switch (tolerance.rule) {
    case 'float64-budget': {
      const error = context.float64 ? float64Error(actual, reference, context.float64) : null;
      if (error === null) {
        const fallback = compareTensors(actual, reference, { rule: 'scaled', atol: tolerance.fallbackAtol }, context);
        return fallback.pass ? fallback : { ...fallback, reason: `no float64 answer, judged by the scaled fallback: ${fallback.reason}` };
      }
      const verdict = judgeFloat64Budget(error, tolerance);
      return judged(verdict.pass, { parameter: 'k', value: verdict.neededK }, `${verdict.reason};${where}`);
    }
    case 'float16-budget': {
      const weights = context.float16Weights;
      const error = context.float64 && typeof weights === 'number' ? float64Error(actual, reference, context.float64) : null;
      if (error === null || typeof weights !== 'number') {
        const why = context.float64 ? 'no float16-weights budget' : 'no float64 answer';
        const fallback = compareTensors(actual, reference, { rule: 'relative', maxRelError: tolerance.maxRelError }, context);
        return fallback.pass ? fallback : { ...fallback, reason: `${why}, judged by the relative fallback: ${fallback.reason}` };
      }
      const verdict = judgeFloat16Budget(error, weights, tolerance);
      return judged(verdict.pass, { parameter: 'k', value: verdict.neededK }, `${verdict.reason};${where}`);
    }
    case 'scaled': {
      const scale = Math.max(1, metrics.maxAbsReference);
      const needed = metrics.maxAbsDiff / scale;
      return judged(
        metrics.maxAbsDiff <= tolerance.atol * scale,
        { parameter: 'atol', value: needed },
        `max|diff| ${fmt(metrics.maxAbsDiff)} (relative to max|ref| ${fmt(metrics.maxAbsReference)}: ${fmt(relError)}) > ${tolerance.atol} x max(1, max|ref|) = ${fmt(tolerance.atol * scale)};${where}`,
      );
    }
    case 'allclose': {
      const verdict = allclose(actual, reference, tolerance);
      return judged(
        verdict.pass,
        { parameter: 'atol', value: verdict.neededAtol },
        `${verdict.violations} of ${metrics.elements} elements outside tolerance;${where} (|diff| ${fmt(metrics.maxAbsDiff)}, would need atol ${fmt(verdict.neededAtol)})`,
      );
    }
    case 'relative':
      return judged(relError <= tolerance.maxRelError, { parameter: 'maxRelError', value: relError }, `relative error ${fmt(relError)} > ${tolerance.maxRelError};${where}`);
    case 'quant-steps': {
      const scale = context.outputScale;
      const cosineOk = !(metrics.cosineSimilarity < tolerance.minCosine); // NaN (an all-zero side) fails only via the error bound
      // A grid so coarse that `steps` of it cover the whole reference cannot tell a right output from an
      // all-zero one by the step bound (a calibrated range blown up by a -FLT_MAX padding, say): there the
      // cosine check must hold with a defined cosine (an all-zero output has none).
      const coarse = !!scale && scale > 0 && tolerance.steps * scale >= metrics.maxAbsReference && metrics.maxAbsReference > 0;
      if (coarse && !(metrics.cosineSimilarity >= tolerance.minCosine)) {
        const cosine = Number.isNaN(metrics.cosineSimilarity) ? 'undefined (the output is all zero)' : metrics.cosineSimilarity.toFixed(5);
        return judged(
          false,
          { parameter: 'steps', value: metrics.maxAbsDiff / scale },
          `cosine similarity ${cosine} < ${tolerance.minCosine}, and the output scale ${fmt(scale)} is too coarse for the step bound to judge (${tolerance.steps} steps cover max|ref| ${fmt(metrics.maxAbsReference)});${where}`,
        );
      }
      if (scale && scale > 0) {
        const steps = metrics.maxAbsDiff / scale;
        const pass = steps <= tolerance.steps && cosineOk;
        const why =
          steps > tolerance.steps
            ? `error of ${steps.toFixed(2)} output steps (scale ${fmt(scale)}) > ${tolerance.steps};${where}`
            : `cosine similarity ${metrics.cosineSimilarity.toFixed(5)} < ${tolerance.minCosine}`;
        return judged(pass, { parameter: 'steps', value: steps }, why);
      }
      const pass = relError <= tolerance.fallbackRelError && cosineOk;
      const why =
        relError > tolerance.fallbackRelError
          ? `relative error ${fmt(relError)} > ${tolerance.fallbackRelError} (no output scale known);${where}`
          : `cosine similarity ${metrics.cosineSimilarity.toFixed(5)} < ${tolerance.minCosine}`;
      return judged(pass, { parameter: 'maxRelError', value: relError }, why);
    }
  }
}

function fmt(value: number): string {
  return value === 0 ? '0' : value.toExponential(3);
}
