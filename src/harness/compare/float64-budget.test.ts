import { describe, expect, it } from 'vitest';
import { Tensor } from '../../tensor/index.ts';
import { FLOAT64_BUDGET, compareTensors, float64Error, parseTolerance } from './index.ts';

const f32 = (values: number[]) => Tensor.fromNumbers([values.length], values);
const f64 = (values: number[]) => new Tensor('float64', [values.length], Float64Array.from(values));

describe('float64Error and the float64-budget rule', () => {
  const exact = [0.1, -2.5, 7.25];
  // PyTorch's float32 output: the exact values rounded to float32 and 3e-6 off at the largest.
  const torch = f32([0.1, -2.5, 7.25 + 3e-6]);

  it('measures both errors against the float64 answer in float64 and their ratio', () => {
    const port = f32([0.1, -2.5 - 6e-6, 7.25]);
    const error = float64Error(port, torch, f64(exact))!;
    expect(error.torchMaxAbsDiff).toBe(Math.abs(Math.fround(7.25 + 3e-6) - 7.25));
    expect(error.maxAbsDiff).toBe(Math.abs(Math.fround(-2.5 - 6e-6) + 2.5));
    expect(error.ratio).toBe(error.maxAbsDiff / error.torchMaxAbsDiff);
    expect(float64Error(f32([1, 2]), torch, f64(exact))).toBeNull(); // shapes differ
  });

  it('passes within k x PyTorch float32 own error and fails beyond it, naming both', () => {
    const tolerance = parseTolerance({ rule: 'float64-budget', k: 4, floor: 0 });
    expect(compareTensors(f32([0.1, -2.5, 7.25 - 1e-5]), torch, tolerance, { float64: f64(exact) }).pass).toBe(true);
    const off = compareTensors(f32([0.1, -2.5, 7.25 + 1e-3]), torch, tolerance, { float64: f64(exact) });
    expect(off.pass).toBe(false);
    expect(off.reason).toMatch(/error vs float64 (9\.99\de-4|1\.000e-3) is \d+\.\dx PyTorch float32's own 2\.\d+e-6; limit max\(4 x 2\.\d+e-6, 0 x max\(1, max\|ref\|\)\)/);
  });

  it('the floor (relative to max(1, max|ref|)) covers outputs PyTorch float32 computes exactly', () => {
    const exactTorch = f32(exact.map(Math.fround));
    const answer = f64(exact.map(Math.fround));
    const ulps = f32([Math.fround(0.1), -2.5, 7.25 + 4e-6]);
    const withFloor = compareTensors(ulps, exactTorch, parseTolerance({ rule: 'float64-budget', floor: 1e-6 }), { float64: answer });
    expect(withFloor).toMatchObject({ pass: true, needed: { parameter: 'k', value: 0 } });
    const without = compareTensors(ulps, exactTorch, parseTolerance({ rule: 'float64-budget', floor: 0 }), { float64: answer });
    expect(without).toMatchObject({ pass: false, needed: { parameter: 'k', value: Infinity } });
  });

  it('without a float64 answer falls back to the scaled rule with fallbackAtol', () => {
    const rule = parseTolerance({ rule: 'float64-budget', fallbackAtol: 1e-5 });
    const result = compareTensors(f32([0.1, -2.5, 7.25 + 5e-5]), torch, rule);
    expect(result).toMatchObject({ pass: true, needed: { parameter: 'atol' } });
    expect(compareTensors(f32([0.1, -2.5, 7.25 + 1e-3]), torch, rule).reason).toMatch(/^no float64 answer, judged by the scaled fallback: max\|diff\| 9\.97\de-4 \(relative/);
  });

  it('parses with the measured defaults and rejects unknown fields', () => {
    expect(parseTolerance({ rule: 'float64-budget' })).toEqual(FLOAT64_BUDGET);
    // A fixture's TOLERANCE written for the absolute rules still means them over a float64-budget base.
    expect(parseTolerance({ atol: 1e-5, rtol: 1e-5 }, FLOAT64_BUDGET)).toEqual({ rule: 'allclose', atol: 1e-5, rtol: 1e-5 });
    expect(parseTolerance({ atol: 1e-4 }, FLOAT64_BUDGET)).toEqual({ rule: 'scaled', atol: 1e-4 });
    expect(parseTolerance({ k: 16 }, FLOAT64_BUDGET)).toEqual({ ...FLOAT64_BUDGET, k: 16 });
    expect(() => parseTolerance({ rule: 'float64-budget', kk: 2 })).toThrow(/unknown field\(s\) kk for rule "float64-budget" \(known: k, floor, fallbackAtol\)/);
  });
});
