import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../util/index.ts';
import { InputDistributionError, parseInputDistribution, seededInput, seededInputs, type InputDistribution } from './index.ts';

// Recorded once by scripts/make-seeded-expectations.ts; a change here changes every golden's inputs.
const expectations = JSON.parse(readFileSync(new URL('./fixtures/seeded-inputs.json', import.meta.url), 'utf8')) as Array<{
  shape: number[];
  distribution: InputDistribution;
  seed: number;
  input: number;
  sha256: string;
}>;

const bytesOf = (t: { data: Float32Array }) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

describe('seeded inputs', () => {
  for (const c of expectations) {
    it(`reproduce the recorded bytes: ${c.distribution.kind} [${c.shape.join('x')}] seed ${c.seed} input ${c.input}`, () => {
      expect(sha256(bytesOf(seededInput(c.shape, c.distribution, c.seed, c.input)))).toBe(c.sha256);
    });
  }

  it('differ between seeds and between inputs of one seed', () => {
    const [a, b] = seededInputs([[64], [64]], { kind: 'normal', mean: 0, std: 1 }, 0);
    const c = seededInput([64], { kind: 'normal', mean: 0, std: 1 }, 1);
    expect(a!.data).not.toEqual(b!.data);
    expect(a!.data).not.toEqual(c.data);
  });

  it('follow the named distributions', () => {
    const normal = seededInput([20000], { kind: 'normal', mean: 2, std: 3 }, 7).data;
    const mean = normal.reduce((s, v) => s + v, 0) / normal.length;
    const variance = normal.reduce((s, v) => s + (v - mean) ** 2, 0) / normal.length;
    expect(mean).toBeCloseTo(2, 1);
    expect(Math.sqrt(variance)).toBeCloseTo(3, 1);
    const image = seededInput([5000], { kind: 'image' }, 0).data;
    expect(Math.min(...image)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...image)).toBeLessThan(1);
    const uniform = seededInput([5000], { kind: 'uniform', low: -3, high: 5 }, 0).data;
    expect(Math.min(...uniform)).toBeGreaterThanOrEqual(-3);
    expect(Math.max(...uniform)).toBeLessThan(5);
    expect(Math.max(...uniform)).toBeGreaterThan(4.9);
  });

  it('parse names and objects, and reject nonsense with the accepted forms', () => {
    expect(parseInputDistribution('image')).toEqual({ kind: 'image' });
    expect(parseInputDistribution(undefined)).toEqual({ kind: 'normal', mean: 0, std: 1 });
    expect(parseInputDistribution({ kind: 'uniform', low: 0, high: 2 })).toEqual({ kind: 'uniform', low: 0, high: 2 });
    expect(() => parseInputDistribution('gaussian', 'x.py')).toThrow(InputDistributionError);
    expect(() => parseInputDistribution({ kind: 'uniform', low: 2, high: 1 })).toThrow(/low < high/);
    expect(() => parseInputDistribution({ kind: 'normal', std: -1 })).toThrow(/std must be positive/);
  });
});
