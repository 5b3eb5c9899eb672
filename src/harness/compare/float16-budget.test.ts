import { describe, expect, it } from 'vitest';
import { Tensor } from '../../tensor/index.ts';
import { FLOAT16_BUDGET, compareTensors, describeTolerance, parseTolerance } from './index.ts';

const f32 = (values: number[]) => Tensor.fromNumbers([values.length], values);
const f64 = (values: number[]) => new Tensor('float64', [values.length], Float64Array.from(values));

describe('the float16-budget rule', () => {
  const exact = [0.1, -2.5, 7.25];
  const answer = f64(exact);
  // PyTorch's float32 output (the golden's reference): the exact values to float32 rounding.
  const torch = f32(exact);
  // What float16 weights cost on this model in float64: 2e-2, far above 1e-3 x max|ref| (7.25e-3).
  const weights = 2e-2;
  const port = (offset: number) => f32([0.1, -2.5, 7.25 + offset]);
  const error = (offset: number) => Math.abs(Math.fround(7.25 + offset) - 7.25);

  it('passes within k x what float16 weights cost where the relative rule fails, and fails beyond it, naming the numbers', () => {
    const tolerance = parseTolerance({ rule: 'float16-budget' });
    const within = compareTensors(port(0.07), torch, tolerance, { float64: answer, float16Weights: weights });
    expect(within).toMatchObject({ pass: true, needed: { parameter: 'k', value: error(0.07) / weights } });
    expect(compareTensors(port(0.07), torch, { rule: 'relative', maxRelError: 1e-3 }).pass).toBe(false);
    const beyond = compareTensors(port(0.09), torch, tolerance, { float64: answer, float16Weights: weights });
    expect(beyond).toMatchObject({ pass: false, needed: { parameter: 'k', value: error(0.09) / weights } });
    expect(beyond.reason).toMatch(
      /^error vs float64 9\.000e-2 is 4\.50x what float16 weights cost in float64 \(2\.000e-2\); limit max\(4 x 2\.000e-2, 0\.001 x max\|float64\| 7\.250e\+0\) = 8\.000e-2; worst at \[2\]/,
    );
    expect(compareTensors(port(0.09), torch, parseTolerance({ rule: 'float16-budget', k: 5 }), { float64: answer, float16Weights: weights }).pass).toBe(true);
  });

  it('is never stricter than maxRelError x max|float64|, also where float16 weights cost nothing', () => {
    const tolerance = parseTolerance({ rule: 'float16-budget', maxRelError: 1e-3 });
    expect(compareTensors(port(7e-3), torch, tolerance, { float64: answer, float16Weights: 0 })).toMatchObject({ pass: true, needed: { parameter: 'k', value: 0 } });
    expect(compareTensors(port(8e-3), torch, tolerance, { float64: answer, float16Weights: 0 })).toMatchObject({ pass: false, needed: { parameter: 'k', value: Infinity } });
    expect(compareTensors(port(7e-3), torch, parseTolerance({ rule: 'float16-budget', maxRelError: 1e-4 }), { float64: answer, float16Weights: 1e-4 }).pass).toBe(false);
  });

  it('falls back to the relative rule with maxRelError without a float64 answer or a float16-weights budget', () => {
    const tolerance = parseTolerance({ rule: 'float16-budget' });
    for (const context of [{}, { float64: answer }, { float16Weights: weights }, { float64: answer, float16Weights: null }]) {
      expect(compareTensors(port(7e-3), torch, tolerance, context)).toMatchObject({ pass: true, needed: { parameter: 'maxRelError' } });
      expect(compareTensors(port(0.07), torch, tolerance, context).pass).toBe(false);
    }
    expect(compareTensors(port(0.07), torch, tolerance, { float64: answer }).reason).toMatch(/^no float16-weights budget, judged by the relative fallback: relative error 9\.6\d\de-3 > 0\.001/);
    expect(compareTensors(port(0.07), torch, tolerance, { float16Weights: weights }).reason).toMatch(/^no float64 answer, judged by the relative fallback/);
  });

  it('parses with its defaults; an explicit {maxRelError} over it still means the relative rule', () => {
    expect(parseTolerance({ rule: 'float16-budget' })).toEqual(FLOAT16_BUDGET);
    expect(FLOAT16_BUDGET).toEqual({ rule: 'float16-budget', k: 4, maxRelError: 1e-3 });
    expect(parseTolerance({ maxRelError: 0.0015 }, FLOAT16_BUDGET)).toEqual({ rule: 'relative', maxRelError: 0.0015 });
    expect(parseTolerance({ k: 8 }, FLOAT16_BUDGET)).toEqual({ ...FLOAT16_BUDGET, k: 8 });
    expect(parseTolerance({ k: 8, maxRelError: 2e-3 }, FLOAT16_BUDGET)).toEqual({ rule: 'float16-budget', k: 8, maxRelError: 2e-3 });
    expect(() => parseTolerance({ rule: 'float16-budget', floor: 1 })).toThrow(/unknown field\(s\) floor for rule "float16-budget" \(known: k, maxRelError\)/);
    expect(describeTolerance(FLOAT16_BUDGET)).toBe("|diff vs float64| <= max(4 x float16 weights' cost in float64, 0.001 x max|float64|)");
  });
});
