// The replaced wasm kernels (wasm_kernels.ts) against tfjs's cpu backend, which computes these two ops
// as TFLite and PyTorch do, on seeded random volumes with unequal windows, strides and 'same' padding.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { STANDARD_NORMAL, seededInput } from '../../tensor/index.ts';
import { initTfjsBackend } from './index.ts';

function random(shape: number[], seed: number): tf.Tensor {
  const t = seededInput(shape, STANDARD_NORMAL, seed);
  return tf.tensor(t.data as Float32Array, shape);
}

async function onBoth(compute: () => tf.Tensor): Promise<{ wasm: Float32Array; cpu: Float32Array }> {
  await initTfjsBackend('wasm');
  const wasm = compute().dataSync() as Float32Array;
  await initTfjsBackend('cpu');
  const cpu = compute().dataSync() as Float32Array;
  await initTfjsBackend('wasm');
  return { wasm, cpu };
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((max, v, i) => Math.max(max, Math.abs(v - b[i]!)), 0);

describe('tfjs wasm kernels replaced by torchport', () => {
  it.each([
    { strides: 1 as const, pad: 'valid' as const },
    { strides: [2, 1, 2] as [number, number, number], pad: 'same' as const },
  ])('conv3dTranspose matches the cpu backend (strides $strides, $pad)', async ({ strides, pad }) => {
    const { wasm, cpu } = await onBoth(() => {
      const filter = random([2, 3, 2, 4, 5], 1) as tf.Tensor5D; // [d, h, w, outChannels, inChannels]
      const x = random([1, 3, 4, 3, 5], 2) as tf.Tensor5D;
      const stride = typeof strides === 'number' ? [strides, strides, strides] : strides;
      const size = (n: number, k: number, s: number) => (pad === 'same' ? n * s : (n - 1) * s + k);
      const out: [number, number, number, number, number] = [1, size(3, 2, stride[0]!), size(4, 3, stride[1]!), size(3, 2, stride[2]!), 4];
      return tf.conv3dTranspose(x, filter, out, strides, pad);
    });
    expect(wasm.length).toBe(cpu.length);
    expect(maxAbsDiff(wasm, cpu)).toBeLessThan(1e-5);
  });

  it('maxPool3d with a window that differs per axis matches the cpu backend', async () => {
    const { wasm, cpu } = await onBoth(() => tf.maxPool3d(random([2, 4, 5, 6, 3], 3) as tf.Tensor5D, [2, 1, 3], [1, 2, 2], 'same'));
    expect(wasm.length).toBe(cpu.length);
    expect(maxAbsDiff(wasm, cpu)).toBe(0);
  });
});
