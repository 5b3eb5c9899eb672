import { describe, expect, it } from 'vitest';
import { MIN_OUTPUT_MAGNITUDE } from '../../golden/index.ts';
import { Tensor } from '../../tensor/index.ts';
import { allclose, compareTensors, errorMetrics, FP32_TOLERANCE, layerErrorMetrics, parseTolerance, ToleranceError, type AllcloseTolerance } from './index.ts';

const t = (values: number[], shape = [values.length]) => Tensor.fromNumbers(shape, values);

describe('compareTensors', () => {
  it('passes identical tensors with zero error and cosine 1', () => {
    const result = compareTensors(t([1, 2, 3]), t([1, 2, 3]), FP32_TOLERANCE);
    expect(result.pass).toBe(true);
    if (!('metrics' in result)) throw new Error('expected metrics');
    expect(result.metrics.maxAbsDiff).toBe(0);
    expect(result.metrics.cosineSimilarity).toBeCloseTo(1, 12);
  });

  it('reports the worst element with its index, both values and the atol that would have passed', () => {
    const actual = t([0, 0, 0, 0, 0, 1.5], [2, 3]);
    const reference = t([0, 0, 0, 0, 0, 1], [2, 3]);
    const result = compareTensors(actual, reference, parseTolerance({ rtol: 0 }));
    expect(result.pass).toBe(false);
    if (!('metrics' in result)) throw new Error('expected metrics');
    expect(result.metrics.worst).toEqual({ index: [1, 2], flatIndex: 5, actual: 1.5, reference: 1 });
    expect(result.metrics.maxAbsDiff).toBe(0.5);
    expect(result.metrics.maxRelDiff).toBe(0.5);
    expect(result.metrics.meanAbsDiff).toBeCloseTo(0.5 / 6, 12);
    expect(result.metrics.rmse).toBeCloseTo(Math.sqrt(0.25 / 6), 12);
    expect(result.needed).toEqual({ parameter: 'atol', value: 0.5 });
    expect(result.reason).toMatch(/1 of 6 elements outside tolerance; worst at \[1, 2\]/);
  });

  it('applies atol + rtol * |reference| like numpy.allclose, and says which rtol would pass', () => {
    const tolerance = parseTolerance({ atol: 0.01, rtol: 0.1 });
    expect(compareTensors(t([11.2, 0.005]), t([10, 0]), tolerance).pass).toBe(false); // 1.2 > 0.01 + 1.0
    const result = compareTensors(t([11.005, 0.005]), t([10, 0]), tolerance); // 1.005 <= 0.01 + 1.0
    expect(result.pass).toBe(true);
    expect(allclose(t([11.005, 0.005]), t([10, 0]), tolerance as AllcloseTolerance).neededRtol).toBe((Math.fround(11.005) - 10 - 0.01) / 10); // inputs are float32
  });

  it('near-zero references: relative error ignores zeros, the needed rtol becomes infinite', () => {
    const result = compareTensors(t([1e-3, 2]), t([0, 2]), FP32_TOLERANCE);
    if (!('metrics' in result)) throw new Error('expected metrics');
    expect(result.metrics.maxRelDiff).toBe(0);
    expect(allclose(t([1e-3, 2]), t([0, 2]), parseTolerance({ rtol: 0 }) as AllcloseTolerance).neededRtol).toBe(Infinity);
    expect(result.pass).toBe(false);
  });

  it('fails on NaN in the output, even when the reference has NaN in the same place', () => {
    const result = compareTensors(t([1, NaN]), t([1, NaN]), FP32_TOLERANCE);
    expect(result.pass).toBe(false);
    expect(result.reason).toMatch(/the output has 1 NaN and 0 Inf values \(first at \[1\] = NaN\)/);
  });

  it('fails on Inf in the reference', () => {
    expect(compareTensors(t([1, 2]), t([Infinity, 2]), FP32_TOLERANCE).reason).toMatch(/the reference has 0 NaN and 1 Inf/);
  });

  it('fails on shape mismatches (same element count, other shape) and dtype mismatches', () => {
    expect(compareTensors(t([1, 2, 3, 4], [2, 2]), t([1, 2, 3, 4], [4]), FP32_TOLERANCE).reason).toMatch(/shape \[2, 2\] differs from the reference's \[4\]/);
    const ints = new Tensor('int32', [2], Int32Array.from([1, 2]));
    expect(compareTensors(ints, t([1, 2]), FP32_TOLERANCE).reason).toMatch(/dtype int32 cannot be compared with the reference's float32/);
  });

  it('compares an int32 output with an int64 reference by value, and a bool with an int not at all', () => {
    const ints = new Tensor('int32', [3], Int32Array.from([1, 2, -3]));
    const longs = new Tensor('int64', [3], BigInt64Array.from([1n, 2n, -3n]));
    expect(compareTensors(ints, longs, FP32_TOLERANCE).pass).toBe(true);
    const off = new Tensor('int64', [3], BigInt64Array.from([1n, 2n, -2n]));
    expect(compareTensors(ints, off, FP32_TOLERANCE).pass).toBe(false);
    const bools = new Tensor('bool', [3], Uint8Array.from([1, 1, 0]));
    expect(compareTensors(bools, longs, FP32_TOLERANCE).reason).toMatch(/dtype bool cannot be compared with the reference's int64/);
  });

  it('compares float16 outputs against float32 references by value', () => {
    const half = t([0.1, 1000]).toFloat16();
    const result = compareTensors(half, t([0.1, 1000]), parseTolerance({ atol: 0, rtol: 1e-3 }));
    expect(result.pass).toBe(true);
  });

  it('cosine similarity is -1 for opposite tensors and NaN when only one side is all zeros', () => {
    expect(errorMetrics(t([1, 2]), t([-1, -2])).cosineSimilarity).toBeCloseTo(-1, 12);
    expect(errorMetrics(t([0, 0]), t([1, 2])).cosineSimilarity).toBeNaN();
  });
});

describe('relative and quant-steps rules', () => {
  it('relative: error over the reference range, needed value reported', () => {
    const result = compareTensors(t([10.005, -5]), t([10, -5]), parseTolerance({ rule: 'relative', maxRelError: 1e-3 }));
    expect(result.pass).toBe(true);
    if (!('needed' in result)) throw new Error('expected needed');
    expect(result.needed.parameter).toBe('maxRelError');
    expect(result.needed.value).toBeCloseTo((Math.fround(10.005) - 10) / 10, 9);
    expect(compareTensors(t([10.2, -5]), t([10, -5]), parseTolerance({ rule: 'relative', maxRelError: 1e-3 })).pass).toBe(false);
  });

  it('quant-steps: counts output steps when the scale is known, falls back to relative error when not', () => {
    const rule = parseTolerance({ rule: 'quant-steps', steps: 2, minCosine: 0.99 });
    const within = compareTensors(t([1.05, 2, 3]), t([1, 2, 3]), rule, { outputScale: 0.03 }); // 0.05 / 0.03 = 1.67 steps
    expect(within.pass).toBe(true);
    if (!('needed' in within)) throw new Error('expected needed');
    expect(within.needed.parameter).toBe('steps');
    expect(within.needed.value).toBeCloseTo(Math.fround(0.05000001) / 0.03, 4);
    expect(compareTensors(t([1.1, 2, 3]), t([1, 2, 3]), rule, { outputScale: 0.03 }).reason).toMatch(/3\.\d\d output steps/);
    expect((compareTensors(t([1.1, 2, 3]), t([1, 2, 3]), rule) as { needed: unknown }).needed).toEqual({ parameter: 'maxRelError', value: expect.closeTo(0.1 / 3, 6) });
    expect(compareTensors(t([-1, 2, 3]), t([1, 2, 3]), parseTolerance({ rule: 'quant-steps', steps: 100, minCosine: 0.99 }), { outputScale: 0.02 }).reason).toMatch(/cosine similarity/);
  });

  // Seen on a dilated max pool padded with -FLT_MAX: full int8 calibrated its range to ~1e38, every value
  // quantized to zero, and 2e-36 "output steps" of error passed an all-zero output.
  it('quant-steps: where the steps cover the whole reference, an all-zero output fails on its undefined cosine', () => {
    const rule = parseTolerance({ rule: 'quant-steps', steps: 4, minCosine: 0.99, fallbackRelError: 0.05 });
    const zeros = compareTensors(t([0, 0, 0]), t([2.9, -1, 0.5]), rule, { outputScale: 1.3e36 });
    expect(zeros.pass).toBe(false);
    expect(zeros.reason).toMatch(
      /cosine similarity undefined \(the output is all zero\) < 0\.99, and the output scale 1\.300e\+36 is too coarse for the step bound to judge \(4 steps cover max\|ref\| 2\.900e\+0\)/,
    );
    // A coarse grid (trap_adaptive_pool's small pooled outputs: 15 steps of 0.0207 cover max|ref| 0.19) still
    // passes an output that follows the reference, by steps.
    const pooled = compareTensors(t([-0.1035, 0.1035, 0.0]), t([-0.1137, 0.1143, 0.004]), parseTolerance({ rule: 'quant-steps', steps: 15, minCosine: 0.99 }), { outputScale: 0.0207 });
    expect(pooled.pass).toBe(true);
  });
});

describe('the float32 default rule: max|diff| <= 1e-5 x max(1, max|ref|)', () => {
  // Logits that reach 8, as a ResNet18's do: float32 rounding in any correct engine leaves ~1e-5 there.
  const logits = Array.from({ length: 10 }, (_, i) => -8 + (16 * i) / 9);
  it('passes a correct conversion of large outputs that an absolute 1e-5 failed, and says the relative error', () => {
    const rounding = logits.map((v, i) => (i === 9 ? v + 1.2e-5 : v));
    expect(compareTensors(t(rounding), t(logits), parseTolerance({ rule: 'allclose', atol: 1e-5, rtol: 0 })).pass).toBe(false);
    const result = compareTensors(t(rounding), t(logits), FP32_TOLERANCE);
    expect(result.pass).toBe(true);
    if (!('metrics' in result)) throw new Error('expected metrics');
    expect(result.needed.value).toBeCloseTo(result.metrics.maxAbsDiff / 8, 12);
  });

  it('still fails a +1e-3 bias offset, and an absolute 1e-5 is kept for outputs below 1', () => {
    const offset = compareTensors(t(logits.map((v) => v + 1e-3)), t(logits), FP32_TOLERANCE);
    expect(offset.pass).toBe(false);
    expect(offset.reason).toMatch(/max\|diff\| 1\.0\d\de-3 \(relative to max\|ref\| 8\.000e\+0: 1\.2\d\de-4\) > 0\.00001 x max\(1, max\|ref\|\) = 8\.000e-5/);
    const small = [0.1, -0.2, 0.3];
    expect(compareTensors(t(small.map((v) => v + 2e-5)), t(small), FP32_TOLERANCE).pass).toBe(false);
    expect(compareTensors(t(small.map((v) => v + 5e-6)), t(small), FP32_TOLERANCE).pass).toBe(true);
  });

  it('a fixture TOLERANCE without rtol adjusts the scaled rule; with rtol it asks for numpy allclose', () => {
    expect(parseTolerance({ atol: 1e-6 })).toEqual({ rule: 'scaled', atol: 1e-6 });
    expect(parseTolerance({ atol: 1e-6, rtol: 0 })).toEqual({ rule: 'allclose', atol: 1e-6, rtol: 0 });
  });
});

describe('parseTolerance', () => {
  it('keeps unspecified fields from the base and rejects unknown or negative ones', () => {
    expect(parseTolerance({ rtol: 1e-4 })).toEqual({ rule: 'allclose', atol: 1e-5, rtol: 1e-4 });
    expect(() => parseTolerance({ atoll: 1 }, undefined, 'x.py TOLERANCE')).toThrow(/x\.py TOLERANCE: unknown field\(s\) atoll for rule "scaled"/);
    expect(() => parseTolerance({ rule: 'fuzzy' })).toThrow(/unknown rule "fuzzy"/);
    expect(parseTolerance({ rule: 'relative', maxRelError: 0.01 })).toEqual({ rule: 'relative', maxRelError: 0.01 });
    expect(() => parseTolerance({ atol: -1 })).toThrow(ToleranceError);
    expect(() => parseTolerance(0.1)).toThrow(/expected an object/);
  });
});

describe('layerErrorMetrics (intermediate layers, where -inf fills are legitimate)', () => {
  const t = (values: number[]) => Tensor.fromNumbers([values.length], values);
  it('leaves out positions where both sides hold the same infinity', () => {
    const metrics = layerErrorMetrics(t([-Infinity, 1, 2.5]), t([-Infinity, 1, 2]));
    expect(metrics.maxAbsDiff).toBe(0.5);
    expect(metrics.maxAbsReference).toBe(2);
  });

  it('is Infinity for an infinity on one side, of the other sign, or a NaN anywhere', () => {
    expect(layerErrorMetrics(t([-Infinity, 1]), t([-1e4, 1])).maxAbsDiff).toBe(Infinity);
    expect(layerErrorMetrics(t([Infinity, 1]), t([-Infinity, 1])).maxAbsDiff).toBe(Infinity);
    expect(layerErrorMetrics(t([NaN, 1]), t([NaN, 1])).maxAbsDiff).toBe(Infinity);
  });
});

describe('the golden discrimination bound', () => {
  it('stays 100 x the float32 tolerance (the golden module, below the harness, keeps its own copy of the number)', () => {
    expect(MIN_OUTPUT_MAGNITUDE).toBe(100 * FP32_TOLERANCE.atol);
  });
});
