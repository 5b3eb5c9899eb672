import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isTorchportError } from '../errors.ts';
import { Tensor } from '../tensor/index.ts';
import { readCheckpoint } from './checkpoint/index.ts';
import { EXPECTED, FIXTURES, describeTensors, fixtureBytes } from './checkpoint/test-support.ts';
import { decodeSafetensors, encodeSafetensors, readSafetensorsFile, writeSafetensorsFile } from './safetensors.ts';

const dir = mkdtempSync(join(tmpdir(), 'torchport-safetensors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A safetensors file from a header object and raw data, with nothing validated. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), headerText = JSON.stringify(header)): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const formatError = expect.objectContaining({ code: 'E_SAFETENSORS_FORMAT' });

describe('reading safetensors', () => {
  it('reads a file written from the format description, with the values torch holds', () => {
    const expected = EXPECTED['dtypes.safetensors'] as unknown as { tensors: unknown; metadata: Record<string, string> };
    const file = readSafetensorsFile(`${FIXTURES}dtypes.safetensors`);
    expect(describeTensors(file.tensors)).toEqual(expected.tensors);
    expect(file.metadata).toEqual(expected.metadata);
    expect(describeTensors(decodeSafetensors(fixtureBytes('dtypes.safetensors')).tensors)).toEqual(expected.tensors);
  });

  const f32 = new Uint8Array(new Float32Array([1, 2]).buffer);
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['a file shorter than the length field', new Uint8Array(5), /too short/],
    [
      'a header length of terabytes',
      (() => {
        const b = new Uint8Array(16);
        new DataView(b.buffer).setBigUint64(0, 2n ** 40n, true);
        return b;
      })(),
      /exceeds the/,
    ],
    [
      'a header longer than the file',
      (() => {
        const b = rawFile({});
        new DataView(b.buffer).setBigUint64(0, 1000n, true);
        return b;
      })(),
      /truncated/,
    ],
    ['a header that is not JSON', rawFile(null, undefined, '{nope'), /not valid UTF-8 JSON/],
    ['a header that does not open with {', rawFile(null, undefined, '[1, 2]'), /does not start with/],
    ['an unknown dtype', rawFile({ w: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2)), /unsupported dtype "F8_E4M3"/],
    ['a dtype that names an Object.prototype key', rawFile({ w: { dtype: 'constructor', shape: [2], data_offsets: [0, 8] } }, f32), /unsupported dtype "constructor"/],
    ['a negative dimension', rawFile({ w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, f32), /malformed shape/],
    ['a fractional offset', rawFile({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 7.5] } }, f32), /malformed data_offsets/],
    ['offsets past the data', rawFile({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 16] } }, f32), /fall outside/],
    ['a shape that disagrees with the byte count', rawFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32), /12 bytes\) but its offsets span 8/],
    ['overlapping tensors', rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32), /overlaps/],
    ['a gap between tensors', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32), /belong to no tensor/],
    ['trailing bytes', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32), /trailing bytes/],
    ['non-string metadata', rawFile({ __metadata__: { epoch: 3 } }), /must be a string/],
  ];
  it.each(cases)('refuses %s', (_name, bytes, message) => {
    expect(() => decodeSafetensors(bytes)).toThrow(message);
    expect(() => decodeSafetensors(bytes)).toThrow(formatError);
    const path = join(dir, 'case.safetensors');
    writeFileSync(path, bytes);
    expect(() => readSafetensorsFile(path)).toThrow(formatError);
  });

  it('keeps a "__proto__" metadata key as data', () => {
    const file = decodeSafetensors(rawFile(undefined, undefined, '{"__metadata__": {"__proto__": "x", "a": "b"}}'));
    expect(Object.keys(file.metadata)).toEqual(['__proto__', 'a']);
    expect(file.metadata['__proto__']).toBe('x');
    expect(({} as Record<string, unknown>)['a']).toBeUndefined();
  });

  it('names a missing file with E_INPUT_FILE', () => {
    expect(() => readSafetensorsFile(join(dir, 'missing.safetensors'))).toThrow(expect.objectContaining({ code: 'E_INPUT_FILE' }));
  });
});

describe('writing safetensors', () => {
  const tensors = readCheckpoint(fixtureBytes('views.pt')).tensors; // every shape kind, incl. scalar and zero-size

  it('round-trips tensors through a file, bit for bit', () => {
    const path = join(dir, 'views.safetensors');
    writeSafetensorsFile(path, tensors, { source: 'views.pt' });
    const back = readSafetensorsFile(path);
    const sorted = (m: ReadonlyMap<string, Tensor>) => describeTensors(m).sort((a, b) => a.name.localeCompare(b.name));
    expect(sorted(back.tensors)).toEqual(sorted(tensors));
    expect(back.metadata).toEqual({ source: 'views.pt' });
  });

  it('keeps the data 8-byte aligned', () => {
    const bytes = encodeSafetensors(tensors);
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
  });

  it('refuses a tensor named __metadata__', () => {
    expect(() => encodeSafetensors(new Map([['__metadata__', Tensor.fromNumbers([1], [1])]]))).toThrow(formatError);
  });

  it('under random damage: a typed error, never another exception; truncation is always caught', () => {
    // safetensors has no checksum: a flipped byte in a name or in tensor data can give another
    // valid file, so the property is about how the reader fails, not about the values.
    const original = encodeSafetensors(new Map([...tensors].slice(0, 5)));
    const outcome = (bytes: Uint8Array): string => {
      try {
        decodeSafetensors(bytes);
        return 'read';
      } catch (error) {
        if (!isTorchportError(error)) throw error;
        return error.code;
      }
    };
    fc.assert(
      fc.property(fc.nat({ max: original.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, mask) => {
        expect(outcome(original.slice(0, at))).toBe('E_SAFETENSORS_FORMAT');
        const flipped = original.slice();
        flipped[at]! ^= mask;
        outcome(flipped);
      }),
      { numRuns: 500 },
    );
  });
});
