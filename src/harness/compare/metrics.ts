import { Tensor, unravelIndex } from '../../tensor/index.ts';
import type { AllcloseTolerance } from './tolerance.ts';

/** Error statistics of `actual` against `reference`, computed in float64. */
export interface ErrorMetrics {
  readonly maxAbsDiff: number;
  /** max |a - r| / |r| over elements with r != 0 (elements where r == 0 are covered by maxAbsDiff). */
  readonly maxRelDiff: number;
  readonly meanAbsDiff: number;
  /** mean(a - r): zero-mean for rounding noise, non-zero for a systematic offset (a wrong zero point, a dropped bias). */
  readonly meanDiff: number;
  readonly rmse: number;
  /** 1 for identical directions; NaN when either tensor is all zeros. */
  readonly cosineSimilarity: number;
  readonly maxAbsReference: number;
  /** The element with the largest |a - r|: its C-order index, flat position and both values. */
  readonly worst: { readonly index: readonly number[]; readonly flatIndex: number; readonly actual: number; readonly reference: number } | null;
  readonly elements: number;
}

/** Why two tensors cannot be compared element-wise at all. */
export type Incomparable = { readonly kind: 'shape'; readonly detail: string } | { readonly kind: 'dtype'; readonly detail: string } | { readonly kind: 'non-finite'; readonly detail: string };

export interface AllcloseVerdict {
  readonly pass: boolean;
  /** Elements with |a - r| > atol + rtol * |r|. */
  readonly violations: number;
  /** The smallest atol that passes with the given rtol. */
  readonly neededAtol: number;
  /** The smallest rtol that passes with the given atol (Infinity when a zero reference element differs by more than atol). */
  readonly neededRtol: number;
}

/**
 * Checks that the tensors can be compared at all: same shape, compatible dtype, and no NaN or Inf
 * on either side. A NaN is never "close" to anything, and a NaN in both is not agreement: it is a
 * broken model, reported as such.
 */
export function findIncomparability(actual: Tensor, reference: Tensor): Incomparable | null {
  if (actual.shape.length !== reference.shape.length || actual.shape.some((d, i) => d !== reference.shape[i])) {
    return { kind: 'shape', detail: `shape [${actual.shape.join(', ')}] differs from the reference's [${reference.shape.join(', ')}]` };
  }
  // Integer kinds compare by value: tfjs and TFLite activations have no int64, so a port returns
  // PyTorch's int64 result (argmax, .long()) as int32.
  const kindOf = (dtype: string): string => (['float32', 'float64', 'float16', 'bfloat16'].includes(dtype) ? 'float' : /^u?int\d+$/.test(dtype) ? 'int' : dtype);
  if (kindOf(actual.dtype) !== kindOf(reference.dtype)) {
    return { kind: 'dtype', detail: `dtype ${actual.dtype} cannot be compared with the reference's ${reference.dtype}` };
  }
  for (const [side, tensor] of [
    ['output', actual],
    ['reference', reference],
  ] as const) {
    const values = tensor.toFloat32().data;
    let nan = 0;
    let inf = 0;
    let first = -1;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (Number.isNaN(v)) nan++;
      else if (v === Infinity || v === -Infinity) inf++;
      else continue;
      if (first < 0) first = i;
    }
    if (nan + inf > 0) {
      const where = unravelIndex(first, tensor.shape);
      return {
        kind: 'non-finite',
        detail: `the ${side} has ${nan} NaN and ${inf} Inf values (first at [${where.join(', ')}] = ${values[first]})`,
      };
    }
  }
  return null;
}

/** Error metrics; call only on comparable tensors (see findIncomparability). */
/**
 * errorMetrics for an intermediate layer, where an infinity is a legitimate value (masked_fill
 * with -inf before a softmax): positions where both sides hold the same infinity agree and are left
 * out; a NaN, or an infinity on one side only or of the other sign, makes maxAbsDiff Infinity.
 */
export function layerErrorMetrics(actual: Tensor, reference: Tensor): ErrorMetrics {
  const a = actual.toFloat32().data;
  const r = reference.toFloat32().data;
  let finiteA: Float32Array | undefined;
  let finiteR: Float32Array | undefined;
  let disagree = false;
  for (let i = 0; i < a.length; i++) {
    if (Number.isFinite(a[i]!) && Number.isFinite(r[i]!)) continue;
    if (a[i] !== r[i] || Number.isNaN(a[i]!)) disagree = true;
    finiteA ??= Float32Array.from(a);
    finiteR ??= Float32Array.from(r);
    finiteA[i] = 0;
    finiteR[i] = 0;
  }
  if (!finiteA) return errorMetrics(actual, reference);
  const metrics = errorMetrics(new Tensor('float32', actual.shape, finiteA), new Tensor('float32', reference.shape, finiteR!));
  return disagree ? { ...metrics, maxAbsDiff: Infinity } : metrics;
}

export function errorMetrics(actual: Tensor, reference: Tensor): ErrorMetrics {
  const a = actual.toFloat32().data;
  const r = reference.toFloat32().data;
  let maxAbs = 0;
  let maxRel = 0;
  let sumAbs = 0;
  let sum = 0;
  let sumSq = 0;
  let dot = 0;
  let normA = 0;
  let normR = 0;
  let maxAbsRef = 0;
  let worst = -1;
  for (let i = 0; i < a.length; i++) {
    const av = a[i]!;
    const rv = r[i]!;
    const diff = Math.abs(av - rv);
    if (worst < 0 || diff > maxAbs) {
      maxAbs = diff;
      worst = i;
    }
    if (rv !== 0) maxRel = Math.max(maxRel, diff / Math.abs(rv));
    sumAbs += diff;
    sum += av - rv;
    sumSq += diff * diff;
    dot += av * rv;
    normA += av * av;
    normR += rv * rv;
    maxAbsRef = Math.max(maxAbsRef, Math.abs(rv));
  }
  const n = a.length;
  return {
    maxAbsDiff: maxAbs,
    maxRelDiff: maxRel,
    meanAbsDiff: n ? sumAbs / n : 0,
    meanDiff: n ? sum / n : 0,
    rmse: n ? Math.sqrt(sumSq / n) : 0,
    cosineSimilarity: normA > 0 && normR > 0 ? dot / Math.sqrt(normA * normR) : normA === 0 && normR === 0 ? 1 : NaN,
    maxAbsReference: maxAbsRef,
    worst: worst < 0 ? null : { index: unravelIndex(worst, actual.shape), flatIndex: worst, actual: a[worst]!, reference: r[worst]! },
    elements: n,
  };
}

/** numpy.allclose semantics: |a - r| <= atol + rtol * |r| for every element. */
export function allclose(actual: Tensor, reference: Tensor, tolerance: AllcloseTolerance): AllcloseVerdict {
  const a = actual.toFloat32().data;
  const r = reference.toFloat32().data;
  const { atol, rtol } = tolerance;
  let violations = 0;
  let neededAtol = 0;
  let neededRtol = 0;
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i]! - r[i]!);
    const magnitude = Math.abs(r[i]!);
    if (diff > atol + rtol * magnitude) violations++;
    neededAtol = Math.max(neededAtol, diff - rtol * magnitude);
    const over = diff - atol;
    if (over > 0) neededRtol = Math.max(neededRtol, magnitude > 0 ? over / magnitude : Infinity);
  }
  return { pass: violations === 0, violations, neededAtol, neededRtol };
}
