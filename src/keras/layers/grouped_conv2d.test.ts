import { tf } from '../../runtimes/tfjs/index.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTfjsBackend } from '../../runtimes/tfjs/index.ts';
import { GroupedConv2D, KerasLayerConfigError, adoptGroupedConvolutions, groupedConv2d } from './index.ts';

beforeAll(async () => {
  await initTfjsBackend('wasm');
});

describe('GroupedConv2D', () => {
  it('with groups = 1 it is exactly Conv2D (same kernel, same output)', () => {
    const input = tf.input({ shape: [9, 9, 4] });
    const grouped = groupedConv2d({ filters: 6, kernelSize: 3, groups: 1, strides: 2, padding: 'same' });
    const plain = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same' });
    const a = tf.model({ inputs: input, outputs: grouped.apply(input) as tf.SymbolicTensor });
    const b = tf.model({ inputs: input, outputs: plain.apply(input) as tf.SymbolicTensor });
    plain.setWeights(grouped.getWeights());
    const x = tf.randomNormal([2, 9, 9, 4], 0, 1, 'float32', 7);
    const [ya, yb] = [a.predict(x) as tf.Tensor, b.predict(x) as tf.Tensor];
    expect(ya.shape).toEqual([2, 5, 5, 6]);
    expect(a.outputs[0]!.shape).toEqual([null, 5, 5, 6]);
    expect(tf.max(tf.abs(tf.sub(ya, yb))).dataSync()[0]).toBe(0);
    tf.dispose([x, ya, yb]);
  });

  it('group g sees only its input slice and writes only its output slice (PyTorch channel order)', () => {
    const input = tf.input({ shape: [1, 1, 4] });
    const layer = groupedConv2d({ filters: 4, kernelSize: 1, groups: 2, useBias: false });
    const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
    // Kernel (1, 1, in/groups = 2, out = 4): every weight 1.
    layer.setWeights([tf.ones([1, 1, 2, 4])]);
    const y = model.predict(tf.tensor4d([1, 2, 10, 20], [1, 1, 1, 4])) as tf.Tensor;
    expect(Array.from(y.dataSync())).toEqual([3, 3, 30, 30]);
  });

  it('refuses configurations it cannot honour', () => {
    expect(() => groupedConv2d({ filters: 6, kernelSize: 1, groups: 4 })).toThrow(KerasLayerConfigError);
    expect(() => new GroupedConv2D({ filters: 4, kernelSize: 1, groups: 2, activation: 'relu' })).toThrow(/no fused activation/);
    expect(() => new GroupedConv2D({ filters: 4, kernelSize: 1, groups: 2, dataFormat: 'channelsFirst' })).toThrow(/channels-last only/);
    const input = tf.input({ shape: [4, 4, 3] });
    expect(() => groupedConv2d({ filters: 4, kernelSize: 1, groups: 2 }).apply(input)).toThrow(/input channels \(3\) must be divisible by groups \(2\)/);
  });

  it('Python Keras Conv2D configs with groups > 1 are adopted, nested models included', () => {
    const topology = {
      class_name: 'Functional',
      config: {
        layers: [
          { class_name: 'Conv2D', config: { name: 'a', groups: 4 } },
          { class_name: 'Conv2D', config: { name: 'b', groups: 1 } },
          { class_name: 'Sequential', config: { layers: [{ class_name: 'Conv2D', config: { name: 'c', groups: 2 } }] } },
        ],
      },
    };
    expect(adoptGroupedConvolutions(topology)).toBe(2);
    expect(topology.config.layers.map((l) => l.class_name)).toEqual(['GroupedConv2D', 'Conv2D', 'Sequential']);
  });
});
