// Every custom layer survives tfjs's own serialization: a model using all of them, saved to
// model.json artifacts and read back by the plain tf.loadLayersModel, computes the same outputs.
import { tf } from '../../runtimes/tfjs/index.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTfjsBackend } from '../../runtimes/tfjs/index.ts';
import { registerCustomLayers } from '../builder/index.ts';
import { BroadcastTo, Compare, ConstantArithmetic, ConstantPadding, ConstantTensor, Gather, GeluTanh, HardSigmoid, HardSwish, LogSoftmax, Reduce, Resize2D, Select, Slice, Subtract } from './index.ts';

beforeAll(async () => {
  await initTfjsBackend('wasm');
});

function modelWithEveryCustomLayer(): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 4] });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor;
  const a = apply(new HardSwish({ name: 'hardswish' }), input);
  const b = apply(new HardSigmoid({ name: 'hardsigmoid' }), a);
  const c = apply(new GeluTanh({ name: 'gelu_tanh' }), b);
  const padded = apply(
    new ConstantPadding({
      padding: [
        [1, 0],
        [0, 2],
      ],
      value: -3.4028234663852886e38,
      name: 'pad',
    }),
    c,
  );
  const pooled = apply(tf.layers.maxPooling2d({ poolSize: 2, strides: 1, name: 'pool' }), padded);
  const sliced = apply(new Slice({ begin: [0, 0, 1], size: [-1, 5, 2], name: 'slice' }), pooled);
  const resized = apply(new Resize2D({ size: [9, 7], method: 'bilinear', alignCorners: false, halfPixelCenters: true, name: 'resize' }), sliced);
  const scaled = apply(new ConstantArithmetic({ op: 'sub', reversed: true, scalar: 1, name: 'one_minus' }), resized);
  const shifted = apply(new ConstantArithmetic({ op: 'mul', shape: [1, 1, 1, 2], name: 'per_channel' }), scaled);
  const constant = apply(new ConstantTensor({ shape: [9, 7, 2], name: 'constant' }), shifted);
  const diff = apply(new Subtract({ name: 'subtract' }), [shifted, constant]);
  const gate = apply(new Reduce({ op: 'max', axes: [1, 2], keepDims: true, name: 'gate' }), diff);
  const expanded = apply(new BroadcastTo({ shape: [9, 7, 2], name: 'broadcast' }), gate);
  const reduced = apply(new Reduce({ op: 'mean', axes: [1, 2], keepDims: false, name: 'mean' }), apply(tf.layers.multiply({ name: 'gated' }), [diff, expanded]));
  const output = apply(new LogSoftmax({ name: 'log_softmax' }), reduced);
  // Gather / Compare / Select: the -inf fill must survive JSON (which has no Infinity).
  const picked = apply(new Gather({ axis: 1, indices: [1, 0, 0], name: 'gather' }), output);
  const positive = apply(new Compare({ op: 'greater', scalar: -0.6932, name: 'compare' }), picked);
  const filled = apply(new Select({ whenFalse: '-inf', name: 'masked_fill' }), [positive, picked]);
  const masked = apply(new Select({ condition: [1, 3], whenFalse: 0.25, name: 'constant_mask' }), filled);
  return tf.model({ inputs: input, outputs: [output, masked] });
}

describe('custom layers', () => {
  it('load back with tf.loadLayersModel and compute the same outputs', async () => {
    const model = modelWithEveryCustomLayer();
    // Non-trivial weights so that a weight lost on the way would show.
    model.getLayer('per_channel').setWeights([tf.tensor4d([0.5, -2], [1, 1, 1, 2])]);
    model.getLayer('constant').setWeights([tf.randomNormal([1, 9, 7, 2], 0, 1, 'float32', 3)]);
    model.getLayer('constant_mask').setWeights([tf.tensor2d([[1, 0, 1]])]);
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (saved) => {
        artifacts = saved;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    registerCustomLayers();
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(model.layers.map((l) => l.getClassName()));
    const x = tf.randomNormal([2, 6, 6, 4], 0, 2, 'float32', 7);
    const [y0, y1] = [model.predict(x) as tf.Tensor[], loaded.predict(x) as tf.Tensor[]];
    expect(y0.map((y) => y.shape)).toEqual([
      [2, 2],
      [2, 3],
    ]);
    y0.forEach((y, k) => expect(Array.from(y1[k]!.dataSync())).toEqual(Array.from(y.dataSync())));
    // Of two log-probabilities one is above log(1/2) = -0.6931 and one below: both the -inf fill
    // and a kept value occur in each row, and the constant mask's 0.25.
    const masked = Array.from(y0[1]!.dataSync());
    expect(masked).toContain(-Infinity);
    expect(masked).toContain(0.25);
    expect(masked.some((v) => Number.isFinite(v) && v !== 0.25)).toBe(true);
    tf.dispose([x, ...y0, ...y1]);
    model.dispose();
    loaded.dispose();
  });
});
