// The recurrent lowerings (./layers/recurrent.ts, ./loop.ts) in LiteRT against the Keras layers
// they lower (tfjs), on seeded weights and inputs: every direction and the three cells, at batch 2, as
// loops (two sequence lengths that must give the same operator count, state that starts from
// zero on every run) and unrolled.
import { tf } from '../../runtimes/tfjs/index.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { TorchGRU } from '../../keras/layers/index.ts';
import { initTfjsBackend } from '../../runtimes/tfjs/index.ts';
import { createTfliteRunner, executeTflite } from '../../runtimes/tflite/index.ts';
import { Tensor, seededInput } from '../../tensor/index.ts';
import { inspectTflite } from '../index.ts';
import { convertKerasToTflite, type RecurrenceStrategy } from './index.ts';
import { atMost } from '../../../test/support/tolerance.ts';

beforeAll(async () => {
  await initTfjsBackend('wasm');
});

const BATCH = 2;
const FEATURES = 5;
const UNITS = 7;

type LayerFactory = () => tf.layers.Layer;

const LAYERS: Record<string, LayerFactory> = {
  'LSTM forward': () => tf.layers.lstm({ units: UNITS, recurrentActivation: 'sigmoid', returnSequences: true }),
  'LSTM backwards': () => tf.layers.lstm({ units: UNITS, recurrentActivation: 'sigmoid', returnSequences: true, goBackwards: true }),
  'Bidirectional LSTM': () => tf.layers.bidirectional({ layer: tf.layers.lstm({ units: UNITS, recurrentActivation: 'sigmoid', returnSequences: true }) as never, mergeMode: 'concat' }),
  'SimpleRNN tanh': () => tf.layers.simpleRNN({ units: UNITS, returnSequences: true }),
  'SimpleRNN relu backwards': () => tf.layers.simpleRNN({ units: UNITS, activation: 'relu', returnSequences: true, goBackwards: true }),
  'Bidirectional SimpleRNN': () => tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: UNITS, returnSequences: true }) as never, mergeMode: 'concat' }),
  'TorchGRU forward': () => new TorchGRU({ units: UNITS }),
  'TorchGRU backwards': () => new TorchGRU({ units: UNITS, goBackwards: true }),
};

/** A one-layer model over `steps` steps with seeded weights (the same for every length: they do not depend on it). */
function oneLayerModel(make: LayerFactory, steps: number): tf.LayersModel {
  const input = tf.input({ shape: [steps, FEATURES], name: 'x' });
  const model = tf.model({ inputs: input, outputs: make().apply(input) as tf.SymbolicTensor });
  model.setWeights(model.getWeights().map((w, k) => tf.tensor(seededInput([...w.shape], { kind: 'normal', mean: 0, std: 0.5 }, 11, k).data, w.shape)));
  return model;
}

function keras(model: tf.LayersModel, input: Tensor): Tensor {
  const out = model.predict(tf.tensor(input.data as Float32Array, [...input.shape])) as tf.Tensor;
  const result = new Tensor('float32', out.shape, out.dataSync() as Float32Array);
  out.dispose();
  return result;
}

/** Converts a one-layer model (fp32, batch 2), checks LiteRT against Keras to 1e-5, returns its operators. */
async function convertAndCompare(make: LayerFactory, steps: number, recurrence: RecurrenceStrategy): Promise<{ operatorCount: number; histogram: Record<string, number> }> {
  const model = oneLayerModel(make, steps);
  try {
    const { bytes, report } = await convertKerasToTflite(model, { quantize: 'fp32', batchSize: BATCH, recurrence });
    const inspection = inspectTflite(bytes);
    expect(report.operatorCount).toBe(inspection.operatorCount);
    const runner = await createTfliteRunner(bytes, { name: `${model.name} x ${steps}` });
    try {
      const input = seededInput([BATCH, steps, FEATURES], { kind: 'normal', mean: 0, std: 1 }, 3, steps);
      const [actual] = await runner.run([input]);
      expect(actual!).toMatchReference(keras(model, input), atMost(1e-5));
    } finally {
      await runner.dispose();
    }
    return { operatorCount: report.operatorCount, histogram: inspection.operatorHistogram };
  } finally {
    model.dispose();
  }
}

describe('recurrent layers lower to one WHILE per direction', () => {
  for (const [name, make] of Object.entries(LAYERS)) {
    it(`${name}: matches Keras at 6 and 40 steps with the same operator count`, async () => {
      const counts: number[] = [];
      for (const steps of [6, 40]) {
        const { operatorCount, histogram } = await convertAndCompare(make, steps, 'loop');
        expect(histogram['WHILE']).toBe(name.startsWith('Bidirectional') ? 2 : 1);
        counts.push(operatorCount);
      }
      expect(counts[1]).toBe(counts[0]);
    });
  }

  for (const [name, make] of Object.entries(LAYERS)) {
    it(`${name}, unrolled: matches Keras with no WHILE`, async () => {
      const { histogram } = await convertAndCompare(make, 6, 'unroll');
      expect(histogram['WHILE']).toBeUndefined();
    });
  }

  it('starts from zero state on every run (state is loop values, not variables kept between runs)', async () => {
    const model = oneLayerModel(LAYERS['LSTM forward']!, 6);
    const { bytes } = await convertKerasToTflite(model, { quantize: 'fp32', batchSize: BATCH });
    const runner = await createTfliteRunner(bytes, { name: 'lstm state reset' });
    try {
      const first = seededInput([BATCH, 6, FEATURES], { kind: 'normal', mean: 0, std: 1 }, 5, 0);
      const other = seededInput([BATCH, 6, FEATURES], { kind: 'normal', mean: 0, std: 1 }, 5, 1);
      const [a] = await runner.run([first]);
      await runner.run([other]);
      const [b] = await runner.run([first]);
      expect(a!).toMatchReference(b!, atMost(0));
      expect(a!).toMatchReference(keras(model, first), atMost(1e-5));
    } finally {
      await runner.dispose();
      model.dispose();
    }
  });

  it('unrolled under full int8, every operator is int8', async () => {
    const model = oneLayerModel(LAYERS['TorchGRU forward']!, 6);
    const samples = Array.from({ length: 4 }, (_, s) => [seededInput([1, 6, FEATURES], { kind: 'normal', mean: 0, std: 1 }, 9, s)]);
    const { report } = await convertKerasToTflite(model, { quantize: 'int8', executeModel: executeTflite, representativeData: samples, recurrence: 'unroll' });
    expect(report.floatOperators).toEqual([]);
    model.dispose();
  });

  it('refuses an unknown recurrence strategy by name', async () => {
    const model = oneLayerModel(LAYERS['LSTM forward']!, 3);
    await expect(convertKerasToTflite(model, { quantize: 'fp32', recurrence: 'fused' as never })).rejects.toThrow('recurrence must be one of loop, unroll, got "fused"');
    model.dispose();
  });

  it('keeps the loop in float32 under full int8 and says why', async () => {
    const model = oneLayerModel(LAYERS['Bidirectional LSTM']!, 6);
    const samples = Array.from({ length: 4 }, (_, s) => [seededInput([1, 6, FEATURES], { kind: 'normal', mean: 0, std: 1 }, 9, s)]);
    const { bytes, report } = await convertKerasToTflite(model, { quantize: 'int8', executeModel: executeTflite, representativeData: samples });
    expect(report.floatOperators.filter((op) => op.op === 'WHILE').map((op) => op.reason)).toEqual([expect.stringContaining('recurrence loop'), expect.stringContaining('recurrence loop')]);
    const runner = await createTfliteRunner(bytes, { name: 'int8 bidirectional lstm' });
    try {
      const [actual] = await runner.run([samples[0]![0]!]);
      // The input, its projection and the concatenation are int8, the recurrence float32: the
      // error stays within 5% of the output's range, the relative bound suites/default.json
      // gives the weight-quantized variants.
      const expected = keras(model, samples[0]![0]!);
      const range = Math.max(...Array.from(expected.data as Float32Array)) - Math.min(...Array.from(expected.data as Float32Array));
      expect(actual!).toMatchReference(expected, atMost(0.05 * range));
    } finally {
      await runner.dispose();
      model.dispose();
    }
  });
});
