// A malformed, truncated or crafted .tflite must be a TfliteFormatError (or read cleanly), never
// another exception, an out-of-bounds read or a hang.
import fc from 'fast-check';
import { Builder } from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../tensor/index.ts';
import { TfliteFormatError, TfliteGraphBuilder, inspectTflite, readTflite, writeTflite } from './index.ts';

function validFile(): Uint8Array {
  const g = new TfliteGraphBuilder();
  const x = g.input('x', 'float32', [1, 4, 4, 2]);
  const w = g.constant('w', Tensor.fromNumbers([3, 1, 1, 2], [1, 2, 3, 4, 5, 6]));
  const b = g.constant('b', Tensor.fromNumbers([3], [0, 1, 2]));
  const y = g.activation('y', 'float32', [1, 4, 4, 3]);
  g.op('CONV_2D', [x, w, b], [y], { padding: 'VALID', strideW: 1, strideH: 1, fusedActivationFunction: 'RELU' });
  const axes = g.int32Constant('axes', [1, 2]);
  const m = g.activation('m', 'float32', [1, 3]);
  g.op('MEAN', [y, axes], [m], { keepDims: false });
  g.output(m);
  return writeTflite(g.build());
}

const VALID = validFile();

/** Reads (and inspects) the bytes; anything but success or our typed error fails the property. */
function readsOrRejectsCleanly(bytes: Uint8Array): void {
  try {
    readTflite(bytes, 'fuzzed.tflite');
    inspectTflite(bytes, 'fuzzed.tflite');
  } catch (error) {
    if (!(error instanceof TfliteFormatError)) throw error;
    expect(error.code).toBe('E_TFLITE_FORMAT');
    expect(error.message).toContain('fuzzed.tflite');
  }
}

describe('reader on hostile input', () => {
  it('reads the valid file (the fuzzing starts from a real model)', () => {
    expect(readTflite(VALID).model.operators).toHaveLength(2);
  });

  it('rejects every truncation with a typed error', () => {
    for (let length = 0; length < VALID.byteLength; length++) {
      expect(() => readTflite(VALID.slice(0, length), 'fuzzed.tflite')).toThrow(TfliteFormatError);
    }
  });

  it('survives random byte overwrites of a valid model', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: VALID.byteLength - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }), (edits) => {
        const bytes = VALID.slice();
        for (const [at, value] of edits) bytes[at] = value;
        readsOrRejectsCleanly(bytes);
      }),
      { numRuns: 3000, seed: 5 },
    );
  });

  it('survives 32-bit overwrites (offsets and lengths pointing anywhere)', () => {
    fc.assert(
      fc.property(fc.nat({ max: VALID.byteLength - 4 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (at, value) => {
        const bytes = VALID.slice();
        new DataView(bytes.buffer).setInt32(at, value, true);
        readsOrRejectsCleanly(bytes);
      }),
      { numRuns: 3000, seed: 7 },
    );
  });

  it('survives arbitrary bytes behind a valid identifier', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 512 }), (random) => {
        const bytes = random.slice();
        bytes.set([0x54, 0x46, 0x4c, 0x33], 4); // "TFL3"
        readsOrRejectsCleanly(bytes);
      }),
      { numRuns: 2000, seed: 11 },
    );
  });

  it('refuses a file whose vectors all point at one huge shared vector (bounded work)', () => {
    // 20 000 tensor entries all pointing at one tensor whose shape has 20 000 dimensions: a
    // 160 KB file that a naive reader would expand into 400 million numbers.
    const builder = new Builder(1024);
    builder.startVector(4, 20_000, 4);
    for (let i = 0; i < 20_000; i++) builder.addInt32(1);
    const shape = builder.endVector();
    builder.startObject(9);
    builder.addFieldOffset(0, shape, 0);
    const tensor = builder.endObject();
    builder.startVector(4, 20_000, 4);
    for (let i = 0; i < 20_000; i++) builder.addOffset(tensor);
    const tensors = builder.endVector();
    builder.startObject(5);
    builder.addFieldOffset(0, tensors, 0);
    const subgraph = builder.endObject();
    builder.startObject(3);
    const buffer = builder.endObject();
    const vectorOf = (offset: number) => {
      builder.startVector(4, 1, 4);
      builder.addOffset(offset);
      return builder.endVector();
    };
    const subgraphs = vectorOf(subgraph);
    const buffers = vectorOf(buffer);
    builder.startObject(8);
    builder.addFieldInt32(0, 3, 0);
    builder.addFieldOffset(2, subgraphs, 0);
    builder.addFieldOffset(4, buffers, 0);
    builder.finish(builder.endObject(), 'TFL3');
    const bytes = builder.asUint8Array();
    expect(bytes.byteLength).toBeLessThan(200_000);
    expect(() => readTflite(bytes, 'fuzzed.tflite')).toThrow(/far more elements than it can hold/);
  });

  it('names the problem and where', () => {
    const bytes = VALID.slice();
    bytes.set([0x58, 0x58, 0x58, 0x58], 4);
    expect(() => readTflite(bytes, 'model.tflite')).toThrow(/model.tflite: file identifier is "XXXX", expected "TFL3"/);
  });
});
