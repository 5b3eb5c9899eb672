import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildKerasModel, kerasInputOf, loadKerasFixture, toTorchLayout } from '../../keras/fixtures/index.ts';
import { transferWeights } from '../../keras/transfer/index.ts';
import { Tensor } from '../../tensor/index.ts';
import { initTfjsBackend } from '../tfjs/index.ts';
import { KerasInputError, createKerasRunner } from './index.ts';
import { atMost } from '../../../test/support/tolerance.ts';

beforeAll(async () => {
  await initTfjsBackend('wasm');
});

describe('createKerasRunner', () => {
  it('runs NHWC in and out, leaks no tfjs tensors across runs, releases the model on dispose', async () => {
    const fixture = await loadKerasFixture('convnet');
    const model = buildKerasModel('convnet');
    transferWeights(fixture.stateDict, model);
    const runner = await createKerasRunner(model);
    expect(runner.info).toMatchObject({ engine: 'tfjs', backend: 'wasm', version: tf.version.tfjs });
    expect(runner.inputNames).toEqual(['x']);
    expect(runner.outputNames).toHaveLength(1);

    const input = kerasInputOf(fixture);
    expect(input.shape).toEqual([1, 16, 16, 3]);
    const [first] = await runner.run([input]);
    const tensorsAfterFirstRun = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      const [again] = await runner.run([input]);
      expect(again!).toMatchReference(first!, atMost(0));
    }
    expect(tf.memory().numTensors).toBe(tensorsAfterFirstRun);
    expect(toTorchLayout(fixture, first!)).toMatchReference(fixture.torchOutput, atMost(1e-5));

    const weightTensors = model.weights.length;
    await runner.dispose();
    expect(tf.memory().numTensors).toBe(tensorsAfterFirstRun - weightTensors);
    await expect(runner.run([input])).rejects.toThrow(/disposed/);
  });

  it('batches: a batch of two runs like two single runs', async () => {
    const fixture = await loadKerasFixture('seed_conv');
    const model = buildKerasModel('seed_conv');
    transferWeights(fixture.stateDict, model);
    const runner = await createKerasRunner(model);
    const single = kerasInputOf(fixture);
    const doubled = new Float32Array(single.size * 2);
    doubled.set(single.data as Float32Array, 0);
    doubled.set(single.data as Float32Array, single.size);
    const [out] = await runner.run([new Tensor('float32', [2, 32, 32, 3], doubled)]);
    expect(out!.shape).toEqual([2, 32, 32, 1]);
    const [one] = await runner.run([single]);
    const half = out!.data.length / 2;
    expect(Array.from(out!.toFloat32().data.slice(half))).toEqual(Array.from(one!.toFloat32().data));
    await runner.dispose();
  });

  it('feeds token ids to an int32 input (int64 from torch narrowed with a range check)', async () => {
    const fixture = await loadKerasFixture('embedding');
    expect(fixture.torchInput.dtype).toBe('int64');
    const model = buildKerasModel('embedding');
    transferWeights(fixture.stateDict, model);
    const runner = await createKerasRunner(model);
    const [out] = await runner.run([fixture.torchInput]);
    expect(out!).toMatchReference(fixture.torchOutput, atMost(0));
    const tooBig = new Tensor('int64', [1, 7], BigInt64Array.from([1n, 2n, 3n, 4n, 5n, 6n, 2n ** 40n]));
    await expect(runner.run([tooBig])).rejects.toThrow(/does not fit the model's int32 input/);
    await expect(runner.run([Tensor.zeros('float32', [1, 7])])).rejects.toThrow(/is int32 but got float32/);
    await runner.dispose();
  });

  it('rejects wrong input counts and shapes with the expected shape in the message', async () => {
    const runner = await createKerasRunner(buildKerasModel('seed_conv'));
    await expect(runner.run([])).rejects.toThrow(KerasInputError);
    const nchw = Tensor.zeros('float32', [1, 3, 32, 32]);
    await expect(runner.run([nchw])).rejects.toThrow(/expects shape \[\?, 32, 32, 3\] but got \[1, 3, 32, 32\]/);
    await runner.dispose();
  });
});
