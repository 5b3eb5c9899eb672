import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NpyFormatError, Tensor, decodeNpy, encodeNpy, float16BitsToNumber, numberToFloat16Bits } from './index.ts';

// Made by real numpy: /usr/bin/python3 scripts/make_tensor_fixtures.py
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const expected = JSON.parse(readFileSync(fixture('expected.json'), 'utf8')) as Record<string, { dtype: string; shape: number[]; values: Array<number | string> }>;
const numberOf = (v: number | string) => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v));

describe('.npy files written by numpy', () => {
  for (const name of ['float32', 'float64', 'float16', 'int8', 'uint8', 'int32', 'int64', 'bool', 'scalar_float32', 'empty_float32']) {
    it(`reads ${name} with numpy's shape and values`, () => {
      const want = expected[name]!;
      const tensor = decodeNpy(readFileSync(fixture(`${name}.npy`)), name);
      expect(tensor.shape).toEqual(want.shape);
      if (tensor.dtype === 'int64') expect(Array.from(tensor.data as BigInt64Array, String)).toEqual(want.values);
      else expect(Array.from(tensor.toFloat32().data)).toEqual(want.values.map((v) => Math.fround(Number(v))));
    });

    it(`writes ${name} back byte for byte as numpy did`, () => {
      const bytes = readFileSync(fixture(`${name}.npy`));
      expect(Buffer.from(encodeNpy(decodeNpy(bytes)))).toEqual(bytes);
    });
  }

  it('refuses Fortran order with what to do', () => {
    expect(() => decodeNpy(readFileSync(fixture('fortran_float32.npy')), 'f.npy')).toThrow(/f\.npy: Fortran-ordered .*ascontiguousarray/);
  });

  it('refuses big-endian data with what to do', () => {
    expect(() => decodeNpy(readFileSync(fixture('bigendian_float32.npy')))).toThrow(/big-endian data \('>f4'\)/);
  });

  it('refuses truncated files, bad magic and unsupported dtypes with typed errors', () => {
    const good = readFileSync(fixture('float32.npy'));
    expect(() => decodeNpy(good.subarray(0, good.length - 3))).toThrow(/needs 96 data bytes but the file has 93 \(truncated\?\)/);
    expect(() => decodeNpy(good.subarray(0, 20))).toThrow(NpyFormatError);
    expect(() => decodeNpy(new Uint8Array([1, 2, 3]))).toThrow(/magic string/);
    const complex = Buffer.from(good);
    complex.write("'<c8'", complex.indexOf("'<f4'"), 'latin1');
    expect(() => decodeNpy(complex)).toThrow(/unsupported dtype '<c8'/);
  });

  it('round-trips a tensor through encode/decode', () => {
    const t = Tensor.fromNumbers([2, 2], [1.5, -2, 3.25, 0]);
    const back = decodeNpy(encodeNpy(t));
    expect(back.shape).toEqual([2, 2]);
    expect(back.toArray()).toEqual([1.5, -2, 3.25, 0]);
  });
});

describe('float16 conversion', () => {
  const rounding = JSON.parse(readFileSync(fixture('expected.json'), 'utf8'))['float16_rounding'] as { inputs: Array<number | string>; bits: number[]; decoded: Array<number | string> };
  it("rounds float32 to float16 exactly as numpy's astype(float16)", () => {
    expect(rounding.inputs.map((v) => numberToFloat16Bits(numberOf(v)))).toEqual(rounding.bits);
  });
  it('decodes float16 bits to the values numpy prints', () => {
    expect(rounding.bits.map(float16BitsToNumber)).toEqual(rounding.decoded.map(numberOf));
  });
});
