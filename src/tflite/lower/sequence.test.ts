// The lowerings of the transformer/sequence layers (./layers/sequence.ts), each checked in LiteRT
// against the Keras layer it lowers (tfjs), on seeded inputs; and a batch-size mismatch is refused.
import { tf } from '../../runtimes/tfjs/index.ts';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadGolden } from '../../golden/index.ts';
import { buildKerasModel } from '../../keras/builder/index.ts';
import { BatchMatMul, Clamp, Compare, Gather, MathFunction, Select, StridedSlice } from '../../keras/layers/index.ts';
import { initTfjsBackend } from '../../runtimes/tfjs/index.ts';
import { TfliteInputError, createTfliteRunner, executeTflite } from '../../runtimes/tflite/index.ts';
import { Tensor, seededInput } from '../../tensor/index.ts';
import { inspectTflite } from '../index.ts';
import { convertKerasToTflite } from './index.ts';
import { FP32_TOLERANCE, layerErrorMetrics } from '../../harness/compare/index.ts';

const GOLDEN_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../golden');

beforeAll(async () => {
  await initTfjsBackend('wasm');
});

/** Converts a one-layer model to fp32 TFLite, runs it and tfjs on the same inputs; returns the op histogram. */
async function compare(make: (inputs: tf.SymbolicTensor[]) => tf.SymbolicTensor, shapes: number[][], positive = false): Promise<Record<string, number>> {
  const inputs = shapes.map((shape, i) => tf.input({ shape: shape.slice(1), name: `x${i}` }));
  const model = tf.model({ inputs, outputs: make(inputs) });
  const values = shapes.map((shape, i) => {
    const t = seededInput(shape, positive ? { kind: 'uniform', low: 0.1, high: 3 } : { kind: 'normal', mean: 0, std: 1.5 }, 7, i);
    return t;
  });
  const expected = model.predict(values.map((t) => tf.tensor(t.data, [...t.shape]))) as tf.Tensor;
  const reference = new Tensor('float32', expected.shape, expected.dataSync() as Float32Array);
  const { bytes } = await convertKerasToTflite(model, { quantize: 'fp32', batchSize: shapes[0]![0]! });
  const runner = await createTfliteRunner(bytes, { name: model.name });
  try {
    const [actual] = await runner.run(values);
    expect(actual!).toMatchReference(reference, FP32_TOLERANCE);
  } finally {
    await runner.dispose();
    tf.dispose(expected);
  }
  return inspectTflite(bytes).operatorHistogram;
}

/** Select with a constant upper-triangular condition (above the diagonal) and -inf where it holds. */
function causalFill(): Select {
  const layer = new Select({ condition: [1, 5, 5], whenTrue: '-inf' });
  layer.build([null, 5, 5]);
  layer.setWeights([tf.tensor3d([Array.from({ length: 5 }, (_, i) => Array.from({ length: 5 }, (_, j) => (j > i ? 1 : 0)))])]);
  return layer;
}

describe('sequence lowerings match their Keras layers in LiteRT', () => {
  for (const [transposeA, transposeB] of [
    [false, false],
    [false, true],
    [true, false],
  ] as const) {
    it(`BatchMatMul (transposeA ${transposeA}, transposeB ${transposeB}) is one BATCH_MATMUL`, async () => {
      const a = transposeA ? [1, 2, 5, 3] : [1, 2, 3, 5];
      const b = transposeB ? [1, 2, 4, 5] : [1, 2, 5, 4];
      const ops = await compare(([x, y]) => new BatchMatMul({ transposeA, transposeB }).apply([x!, y!]) as tf.SymbolicTensor, [a, b]);
      expect(ops).toEqual({ BATCH_MATMUL: 1 });
    });
  }

  for (const fn of ['sqrt', 'rsqrt', 'exp', 'log', 'abs', 'erf'] as const) {
    it(`MathFunction ${fn}`, async () => {
      const ops = await compare(([x]) => new MathFunction({ fn }).apply(x!) as tf.SymbolicTensor, [[1, 4, 6]], fn === 'sqrt' || fn === 'rsqrt' || fn === 'log');
      if (fn !== 'erf') expect(Object.keys(ops)).toEqual([fn.toUpperCase()]);
      else expect(ops['EXP']).toBe(1); // a polynomial: no ERF builtin exists
    });
  }

  it('MathFunction trunc (toward zero, negatives included) is a CAST to int32 and back', async () => {
    expect(await compare(([x]) => new MathFunction({ fn: 'trunc' }).apply(x!) as tf.SymbolicTensor, [[2, 4, 6]])).toEqual({ CAST: 2 });
  });

  for (const exponent of [2, 3, 0.25]) {
    it(`MathFunction pow ${exponent}`, async () => {
      const ops = await compare(([x]) => new MathFunction({ fn: 'pow', exponent }).apply(x!) as tf.SymbolicTensor, [[1, 3, 5]], true);
      expect(Object.keys(ops)).toEqual([exponent === 2 ? 'MUL' : 'POW']);
    });
  }

  it('Clamp with both bounds and with one', async () => {
    expect(await compare(([x]) => new Clamp({ min: -0.5, max: 1 }).apply(x!) as tf.SymbolicTensor, [[1, 4, 6]])).toEqual({ MAXIMUM: 1, MINIMUM: 1 });
    expect(await compare(([x]) => new Clamp({ max: 0.3 }).apply(x!) as tf.SymbolicTensor, [[1, 4, 6]])).toEqual({ MINIMUM: 1 });
  });

  it('Gather at constant indices on the last axis, batch 2', async () => {
    const ops = await compare(([x]) => new Gather({ axis: 2, indices: [5, 0, 0, 3] }).apply(x!) as tf.SymbolicTensor, [[2, 4, 6]]);
    expect(ops).toEqual({ GATHER: 1 });
  });

  it('Compare against a number and between tensors, feeding SELECT_V2', async () => {
    const ops = await compare(
      ([x, y]) => {
        const larger = new Select({}).apply([new Compare({ op: 'greater' }).apply([x!, y!]) as tf.SymbolicTensor, x!, y!]) as tf.SymbolicTensor;
        return new Select({ whenTrue: 0.5 }).apply([new Compare({ op: 'lessEqual', scalar: -0.25 }).apply(larger) as tf.SymbolicTensor, larger]) as tf.SymbolicTensor;
      },
      [
        [2, 3, 5],
        [2, 3, 5],
      ],
    );
    expect(ops).toEqual({ GREATER: 1, LESS_EQUAL: 1, SELECT_V2: 2 });
  });

  it('a constant causal mask filled with -inf before a softmax', async () => {
    const ops = await compare(([x]) => tf.layers.softmax({ axis: -1 }).apply(causalFill().apply(x!)) as tf.SymbolicTensor, [[2, 5, 5]]);
    expect(ops).toEqual({ SELECT_V2: 1, SOFTMAX: 1 });
  });

  it('StridedSlice at batch 2', async () => {
    const ops = await compare(([x]) => new StridedSlice({ begin: [1, 0], end: [7, 6], strides: [2, 3] }).apply(x!) as tf.SymbolicTensor, [[2, 8, 6]]);
    expect(ops).toEqual({ STRIDED_SLICE: 1 });
  });
});

describe('batch size', () => {
  it('a model converted at batch 2 refuses a batch-1 input with an error naming the expected shape', async () => {
    const golden = await loadGolden(path.join(GOLDEN_ROOT, 'trap_batch2'));
    const { graph, constants } = await golden.graph();
    const { model, report } = buildKerasModel(graph, { weights: await golden.weights(), constants });
    const batch = golden.manifest.inputs[0]!.shape[0]!;
    expect(batch).toBe(2);
    const { bytes } = await convertKerasToTflite(model, { quantize: 'fp32', batchSize: batch });
    const runner = await createTfliteRunner(bytes, { name: 'trap_batch2' });
    try {
      const [input] = await golden.inputs(golden.manifest.seeds[0]!);
      const one = new Tensor(
        'float32',
        [1, ...report.inputs[0]!.kerasShape.slice(1)],
        input!
          .toFloat32()
          .permute(report.inputs[0]!.toKeras)
          .data.slice(0, input!.size / batch),
      );
      const error = await runner.run([one]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TfliteInputError);
      expect((error as TfliteInputError).message).toMatch(/must have shape \[2, 8, 8, 3\], got \[1, 8, 8, 3\]/);
    } finally {
      await runner.dispose();
    }
  });
});

describe('values that are -inf under full int8', () => {
  it('run the operators that touch them in float32, say why, and stay close to Keras', async () => {
    const input = tf.input({ shape: [5, 5] });
    const hidden = tf.layers.dense({ units: 5, kernelInitializer: tf.initializers.randomNormal({ seed: 5 }) }).apply(input) as tf.SymbolicTensor;
    const attention = tf.layers.softmax({ axis: -1 }).apply(causalFill().apply(hidden)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.randomNormal({ seed: 6 }) }).apply(attention) as tf.SymbolicTensor });
    const samples = Array.from({ length: 8 }, (_, s) => [seededInput([1, 5, 5], { kind: 'normal', mean: 0, std: 1 }, 4, s)]);
    const { bytes, report } = await convertKerasToTflite(model, { quantize: 'int8', representativeData: samples, executeModel: executeTflite });
    const nonFinite = report.floatOperators.filter((op) => op.reason.includes('±inf'));
    expect(nonFinite.map((op) => op.op)).toEqual(['SOFTMAX']);
    expect(report.floatOperators.map((op) => op.op).sort()).toEqual(['SELECT_V2', 'SOFTMAX']);
    const runner = await createTfliteRunner(bytes, { name: 'int8 masked softmax' });
    try {
      const [actual] = await runner.run([samples[0]![0]!]);
      const expected = model.predict(tf.tensor(samples[0]![0]!.data as Float32Array, [1, 5, 5])) as tf.Tensor;
      const reference = expected.dataSync() as Float32Array;
      const range = Math.max(...reference) - Math.min(...reference);
      const worst = layerErrorMetrics(actual!, new Tensor('float32', expected.shape, reference)).maxAbsDiff;
      // Within 5% of the output range (the suite's relative bound for quantized variants); a mask
      // that lost its -inf (int8 has no infinity) would leak weight to future positions.
      expect(worst).toBeLessThanOrEqual(0.05 * range);
      expected.dispose();
    } finally {
      await runner.dispose();
      model.dispose();
    }
  });
});
