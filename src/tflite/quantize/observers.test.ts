// The observers on seeded synthetic data, judged by the error int8 actually makes with the range
// each picks (quantize-dequantize of the raw values with asymmetricInt8's parameters), not by
// the histogram the observers themselves read.
import { describe, expect, it } from 'vitest';
import { Histogram, OBSERVERS, chooseRange, type Observer } from './observers.ts';
import { asymmetricInt8, clamp, rangeOf, type Range } from './params.ts';

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647;
  };
}
const random = seeded(7);
const normal = () => Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
const DATA: Record<string, Float32Array> = {
  normal: Float32Array.from({ length: 100_000 }, normal),
  relu: Float32Array.from({ length: 100_000 }, () => Math.max(0, normal())),
  laplace: Float32Array.from({ length: 100_000 }, () => (random() < 0.5 ? -1 : 1) * Math.log(random())),
};

/** Mean squared error of int8 with the parameters asymmetricInt8 gives `range`, over `values`. */
function int8Mse(values: Float32Array, range: Range): number {
  const { scale, zeroPoint } = asymmetricInt8(range);
  let sum = 0;
  for (const v of values) {
    const q = clamp(Math.round(v / scale[0]!) + zeroPoint[0]!, -128, 127);
    sum += (v - scale[0]! * (q - zeroPoint[0]!)) ** 2;
  }
  return sum / values.length;
}

function pick(observer: Observer, values: Float32Array): Range {
  const histogram = new Histogram(rangeOf(values));
  histogram.add(values);
  return chooseRange(observer, histogram);
}

describe('calibration observers', () => {
  it.each(Object.keys(DATA))('stay inside the observed range on %s data; min-max is the observed range', (name) => {
    const values = DATA[name]!;
    const [lo, hi] = rangeOf(values);
    expect(pick('min-max', values)).toEqual([lo, hi]);
    for (const observer of OBSERVERS) {
      const [a, b] = pick(observer, values);
      expect(a).toBeGreaterThanOrEqual(lo);
      expect(b).toBeLessThanOrEqual(hi);
      expect(b).toBeGreaterThan(a);
    }
  });

  it.each(Object.keys(DATA))('mse gives a lower int8 error than min-max on long-tailed %s data', (name) => {
    const values = DATA[name]!;
    expect(int8Mse(values, pick('mse', values))).toBeLessThan(int8Mse(values, pick('min-max', values)));
  });

  it('percentile clips about 0.01% at each end', () => {
    const values = DATA['normal']!;
    const [a, b] = pick('percentile', values);
    const clipped = values.filter((v) => v < a || v > b).length / values.length;
    expect(clipped).toBeGreaterThan(0.00005);
    expect(clipped).toBeLessThan(0.0005);
  });

  it("entropy is not pulled in by a ReLU's spike of zeros (it clipped at 37% of the maximum when the zero bin was spread over its level)", () => {
    const values = DATA['relu']!;
    const [, b] = pick('entropy', values);
    expect(b).toBeGreaterThan(0.6 * rangeOf(values)[1]);
    expect(int8Mse(values, [0, b])).toBeLessThan(2 * int8Mse(values, pick('min-max', values)));
  });

  it('ignores non-finite values and handles a constant tensor', () => {
    const histogram = new Histogram([0, 0]);
    histogram.add([0, 0, Infinity, NaN]);
    for (const observer of OBSERVERS) expect(chooseRange(observer, histogram)).toEqual([0, 0]);
  });

  it("leaves float32's lowest (a max pool's padding) out of the range, so real values keep their resolution", () => {
    const lowest = -3.4028234663852886e38;
    const padded = Float32Array.from([...DATA['normal']!.subarray(0, 1000), lowest, lowest]);
    expect(rangeOf(padded)).toEqual(rangeOf(DATA['normal']!.subarray(0, 1000)));
    expect(rangeOf([lowest, lowest])).toEqual([0, 0]);
    for (const observer of OBSERVERS) {
      const [a] = pick(observer, padded);
      expect(a).toBeGreaterThan(-10);
    }
  });
});
