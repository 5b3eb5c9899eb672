import { afterAll, describe, expect, it } from 'vitest';
import { Tensor } from '../../tensor/index.ts';
import { TfliteFormatError, TfliteGraphBuilder, writeTflite } from '../../tflite/index.ts';
import { TfWorker, TfWorkerRequestError, TfWorkerUnavailableError } from '../tf-worker/index.ts';
import { workerHas } from '../tf-worker/testing.ts';
import { createTfliteNativeRunner } from './index.ts';
import { unpreparableReshape } from '../../../test/support/tflite-models.ts';

// A worker of this file's own; under CI (after `npm run setup`) the native interpreter must be there.
const worker = new TfWorker();
const available = await workerHas(worker, 'ai-edge-litert');
afterAll(() => worker.close());

/** zeta - alpha and zeta + alpha: names out of alphabetical order, as the signature lists them sorted. */
function differenceAndSum(): Uint8Array {
  const g = new TfliteGraphBuilder();
  const zeta = g.input('zeta', 'float32', [1, 4]);
  const alpha = g.input('alpha', 'float32', [1, 4]);
  const difference = g.activation('out_difference', 'float32', [1, 4]);
  const sum = g.activation('out_a_sum', 'float32', [1, 4]);
  g.op('SUB', [zeta, alpha], [difference], {});
  g.op('ADD', [zeta, alpha], [sum], {});
  g.output(difference);
  g.output(sum);
  return writeTflite(g.build());
}

describe.skipIf(!available)('createTfliteNativeRunner (ai-edge-litert)', () => {
  it('runs a model in the native interpreter with inputs and outputs in the model order, and reports the engine', async () => {
    const runner = await createTfliteNativeRunner(differenceAndSum(), { worker });
    const inputs = [Tensor.fromNumbers([1, 4], [10, 20, 30, 40]), Tensor.fromNumbers([1, 4], [1, 2, 3, 4])];
    try {
      expect(runner.inputNames).toEqual(['zeta', 'alpha']);
      expect(runner.outputNames).toEqual(['out_difference', 'out_a_sum']);
      expect(runner.info).toMatchObject({ engine: 'litert-native', backend: 'xnnpack-native', threads: 1 });
      const [difference, sum] = await runner.run(inputs);
      expect(difference!.shape).toEqual([1, 4]);
      expect(Array.from(difference!.data as Float32Array)).toEqual([9, 18, 27, 36]);
      expect(Array.from(sum!.data as Float32Array)).toEqual([11, 22, 33, 44]);
      const samples = await runner.bench(inputs, { warmup: 1, runs: 5, maxSeconds: 5 });
      expect(samples).toHaveLength(5);
      expect(samples.every((ms) => ms > 0)).toBe(true);
    } finally {
      await runner.dispose();
    }
  });

  it('reports a model the interpreter cannot prepare as a request error, and the worker keeps serving', async () => {
    const failure = await createTfliteNativeRunner(unpreparableReshape(), { worker })
      .then((runner) => runner.run([Tensor.fromNumbers([1, 4], [1, 2, 3, 4])]))
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TfWorkerRequestError);
    const runner = await createTfliteNativeRunner(differenceAndSum(), { worker });
    const [difference] = await runner.run([Tensor.fromNumbers([1, 4], [3, 3, 3, 3]), Tensor.fromNumbers([1, 4], [1, 1, 1, 1])]);
    expect(Array.from(difference!.data as Float32Array)).toEqual([2, 2, 2, 2]);
    await runner.dispose();
  });

  it('refuses bytes that are not a TFLite model before the native parser sees them', async () => {
    await expect(createTfliteNativeRunner(new TextEncoder().encode('not a flatbuffer at all'), { worker })).rejects.toThrow(TfliteFormatError);
  });
});

describe('the TensorFlow worker without its packages', () => {
  it('says which package is missing and how to get it', async () => {
    const bare = new TfWorker({ env: { ...process.env, TORCHPORT_TF_PYTHON: '/nonexistent/python3' } });
    try {
      const failure = await bare.requireModule('ai-edge-litert').catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(TfWorkerUnavailableError);
      expect((failure as Error).message).toMatch(/\/nonexistent\/python3.*npm run setup/s);
    } finally {
      await bare.close();
    }
  });
});
