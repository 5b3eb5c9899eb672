import { describe, expect, it } from 'vitest';
import { Tensor, TensorShapeError, channelsFirstAxes, channelsLastAxes, unravelIndex } from './index.ts';

const iota = (shape: number[]) =>
  Tensor.fromNumbers(
    shape,
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i),
  );

describe('Tensor', () => {
  it('refuses data whose length does not match the shape', () => {
    expect(() => new Tensor('float32', [2, 3], new Float32Array(5))).toThrow(TensorShapeError);
    expect(() => new Tensor('float32', [2, -1], new Float32Array(0))).toThrow(/invalid dimension -1/);
  });

  it('permutes like numpy.transpose: out[i,j,k] = in[k,i,j] for axes (2,0,1)', () => {
    const t = iota([2, 3, 4]);
    const p = t.permute([2, 0, 1]);
    expect(p.shape).toEqual([4, 2, 3]);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 3; k++) expect(p.data[i * 6 + j * 3 + k]).toBe(t.data[j * 12 + k * 4 + i]);
  });

  it('NCHW -> NHWC -> NCHW is the identity and moves channels last', () => {
    const t = iota([2, 3, 4, 5]);
    const nhwc = t.toChannelsLast();
    expect(nhwc.shape).toEqual([2, 4, 5, 3]);
    // element (n=1, c=2, h=3, w=4) lands at (1, 3, 4, 2)
    expect(nhwc.data[((1 * 4 + 3) * 5 + 4) * 3 + 2]).toBe(t.data[((1 * 3 + 2) * 4 + 3) * 5 + 4]);
    expect(Array.from(nhwc.toChannelsFirst().data)).toEqual(Array.from(t.data));
    expect(channelsLastAxes(3)).toEqual([0, 2, 1]);
    expect(channelsFirstAxes(5)).toEqual([0, 4, 1, 2, 3]);
  });

  it('permutes int64 and zero-size tensors', () => {
    const t = new Tensor('int64', [2, 2], BigInt64Array.from([1n, 2n, 3n, 4n]));
    expect(Array.from(t.permute([1, 0]).data)).toEqual([1n, 3n, 2n, 4n]);
    expect(Tensor.zeros('float32', [0, 3]).permute([1, 0]).shape).toEqual([3, 0]);
  });

  it('rejects an axes list that is not a permutation', () => {
    expect(() => iota([2, 3]).permute([0, 0])).toThrow(/not a permutation/);
    expect(() => iota([2, 3]).permute([0])).toThrow(TensorShapeError);
  });

  it('unravels flat indices in C order', () => {
    expect(unravelIndex(23, [2, 3, 4])).toEqual([1, 2, 3]);
    expect(unravelIndex(5, [2, 3, 4])).toEqual([0, 1, 1]);
  });
});
