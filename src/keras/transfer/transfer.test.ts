import { tf } from '../../runtimes/tfjs/index.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { KERAS_FIXTURES, buildKerasModel, kerasInputOf, loadKerasFixture, toTorchLayout } from '../fixtures/index.ts';
import { createKerasRunner } from '../../runtimes/keras/index.ts';
import { initTfjsBackend } from '../../runtimes/tfjs/index.ts';
import { Tensor } from '../../tensor/index.ts';
import { WeightTransferError, transferWeights, type TransferProblem } from './index.ts';
import { atMost } from '../../../test/support/tolerance.ts';

const TOLERANCE = 1e-5;

beforeAll(async () => {
  const backend = await initTfjsBackend('wasm');
  expect(backend.kind).toBe('wasm');
});

describe('transferWeights reproduces torch at 1e-5 on the wasm backend', () => {
  for (const name of KERAS_FIXTURES) {
    it(name, async () => {
      const fixture = await loadKerasFixture(name);
      const model = buildKerasModel(name);
      const report = transferWeights(fixture.stateDict, model);
      expect(report.problems).toEqual([]);
      expect(report.unused).toEqual([]);
      expect(report.assignments.length).toBe(report.kerasWeightCount);
      const runner = await createKerasRunner(model);
      const [output] = await runner.run([kerasInputOf(fixture)]);
      await runner.dispose();
      expect(toTorchLayout(fixture, output!)).toMatchReference(fixture.torchOutput, atMost(TOLERANCE));
    });
  }

  it('without the Flatten row reordering the convnet would be wrong (the fixture can tell)', async () => {
    const fixture = await loadKerasFixture('convnet');
    const model = buildKerasModel('convnet');
    const report = transferWeights(fixture.stateDict, model);
    expect(report.assignments.find((a) => a.layer === 'fc' && a.weight === 'kernel')?.layout).toMatch(/NCHW to NHWC/);
    // Overwrite the Dense kernel with the plain transpose and watch parity break.
    const plain = fixture.stateDict.get('fc.weight')!.permute([1, 0]);
    tf.tidy(() => {
      model.getLayer('fc').weights[0]!.write(tf.tensor(plain.data as Float32Array, [...plain.shape]));
    });
    const runner = await createKerasRunner(model);
    const [output] = await runner.run([kerasInputOf(fixture)]);
    await runner.dispose();
    expect(output!).not.toMatchReference(fixture.torchOutput, atMost(1e-3));
  });

  it('ignores num_batches_tracked and reports the layouts it applied', async () => {
    const fixture = await loadKerasFixture('convnet');
    const report = transferWeights(fixture.stateDict, buildKerasModel('convnet'));
    expect(report.ignored.map((i) => i.tensor).sort()).toEqual(['bn1.num_batches_tracked', 'bn2.num_batches_tracked', 'bn3.num_batches_tracked']);
    const dw = report.assignments.find((a) => a.layer === 'dw' && a.weight === 'depthwise_kernel')!;
    expect(dw.torchShape).toEqual([16, 1, 3, 3]);
    expect(dw.kerasShape).toEqual([3, 3, 8, 2]);
    const gconv = report.assignments.find((a) => a.layer === 'gconv')!;
    expect(gconv.layerClass).toBe('GroupedConv2D');
    expect(gconv.kerasShape).toEqual([1, 1, 4, 8]);
  });
});

describe('strict mode', () => {
  const problemsOf = (fn: () => unknown): TransferProblem[] => {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(WeightTransferError);
      expect((error as WeightTransferError).code).toBe('E_TRANSFER');
      return [...(error as WeightTransferError).report.problems];
    }
    throw new Error('expected the transfer to fail');
  };

  it('a missing tensor fails, and the model is left unchanged', async () => {
    const fixture = await loadKerasFixture('convnet');
    const model = buildKerasModel('convnet');
    const before = model.getLayer('conv1').getWeights()[0]!.dataSync().slice();
    const stateDict = new Map(fixture.stateDict);
    stateDict.delete('bn2.running_var');
    const problems = problemsOf(() => transferWeights(stateDict, model));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'E_TRANSFER_MISSING', layer: 'bn2', tensor: 'bn2.running_var' });
    expect(problems[0]!.message).toContain('moving_variance');
    expect(model.getLayer('conv1').getWeights()[0]!.dataSync()).toEqual(before);
  });

  it('a shape mismatch names the layer, the tensor, both shapes and the permutation tried', async () => {
    const fixture = await loadKerasFixture('convnet');
    const stateDict = new Map(fixture.stateDict);
    stateDict.set('conv1.weight', Tensor.zeros('float32', [8, 3, 5, 5]));
    const [problem, ...rest] = problemsOf(() => transferWeights(stateDict, buildKerasModel('convnet')));
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ code: 'E_TRANSFER_SHAPE', layer: 'conv1', tensor: 'conv1.weight' });
    expect(problem!.message).toContain("'conv1' (Conv2D)");
    expect(problem!.message).toContain('[3, 3, 3, 8]');
    expect(problem!.message).toContain('[8, 3, 5, 5]');
    expect(problem!.message).toContain('permute(2, 3, 1, 0)');
    expect(problem!.message).toContain('[8, 3, 3, 3]');
  });

  it('a depthwise or grouped PyTorch conv under a plain Keras Conv2D gets a hint naming the right layer', async () => {
    const fixture = await loadKerasFixture('convnet');
    const input = tf.input({ shape: [8, 8, 8] });
    const dw = tf.layers.conv2d({ name: 'dw', filters: 16, kernelSize: 3 });
    const model = tf.model({ inputs: input, outputs: dw.apply(input) as tf.SymbolicTensor });
    const stateDict = new Map([...fixture.stateDict].filter(([name]) => name.startsWith('dw.')));
    const [problem] = problemsOf(() => transferWeights(stateDict, model));
    expect(problem!.message).toContain('use a DepthwiseConv2D with depthMultiplier 2');
    const gInput = tf.input({ shape: [8, 8, 16] });
    const gModel = tf.model({ inputs: gInput, outputs: tf.layers.conv2d({ name: 'gconv', filters: 8, kernelSize: 1, useBias: false }).apply(gInput) as tf.SymbolicTensor });
    const [grouped] = problemsOf(() => transferWeights(new Map([['gconv.weight', fixture.stateDict.get('gconv.weight')!]]), gModel));
    expect(grouped!.message).toContain('use GroupedConv2D');
    expect(grouped!.message).toContain('groups: 4');
  });

  it('unused tensors are listed, every one of them', async () => {
    const fixture = await loadKerasFixture('seed_conv');
    const stateDict = new Map(fixture.stateDict);
    stateDict.set('head.weight', Tensor.zeros('float32', [2, 2]));
    stateDict.set('head.bias', Tensor.zeros('float32', [2]));
    const problems = problemsOf(() => transferWeights(stateDict, buildKerasModel('seed_conv')));
    expect(problems.map((p) => [p.code, p.tensor])).toEqual([
      ['E_TRANSFER_UNUSED', 'head.weight'],
      ['E_TRANSFER_UNUSED', 'head.bias'],
    ]);
    // Non-strict: the same transfer succeeds and reports them.
    const report = transferWeights(stateDict, buildKerasModel('seed_conv'), { strict: false });
    expect(report.unused).toEqual(['head.weight', 'head.bias']);
    expect(report.problems).toEqual([]);
  });

  it("Keras's default epsilon (1e-3) is caught for BatchNorm and LayerNorm", async () => {
    const input = tf.input({ shape: [3, 12] });
    const x = tf.layers.dense({ name: 'fc', units: 16 }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: tf.layers.layerNormalization({ name: 'norm' }).apply(x) as tf.SymbolicTensor });
    const fixture = await loadKerasFixture('layer_norm');
    const problems = problemsOf(() => transferWeights(fixture.stateDict, model));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'E_TRANSFER_HYPERPARAM', layer: 'norm' });
    expect(problems[0]!.message).toMatch(/epsilon is 0\.001 but the PyTorch LayerNorm used 0\.00001/);
    // A module built with another eps is declared, and then agrees.
    expect(transferWeights(fixture.stateDict, model, { torchEpsilon: { norm: 1e-3 } }).problems).toEqual([]);

    const bnInput = tf.input({ shape: [4] });
    const bnModel = tf.model({ inputs: bnInput, outputs: tf.layers.batchNormalization({ name: 'bn' }).apply(bnInput) as tf.SymbolicTensor });
    const stats = new Map([
      ['bn.weight', Tensor.fromNumbers([4], [1, 2, 3, 4])],
      ['bn.bias', Tensor.fromNumbers([4], [0, 1, 0, 1])],
      ['bn.running_mean', Tensor.fromNumbers([4], [0, 0, 0, 0])],
      ['bn.running_var', Tensor.fromNumbers([4], [1, 1, 1, 1])],
    ]);
    expect(problemsOf(() => transferWeights(stats, bnModel)).map((p) => p.message)).toEqual([expect.stringMatching(/'bn' \(BatchNormalization\) epsilon is 0\.001/)]);
  });

  it('use_bias must agree with the presence of a bias tensor', async () => {
    // Torch conv without bias, Keras Conv2D with one: name the flag to change.
    const fixture = await loadKerasFixture('seed_conv');
    const input = tf.input({ shape: [32, 32, 3] });
    const withBias = tf.model({ inputs: input, outputs: tf.layers.conv2d({ name: 'conv', filters: 1, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor });
    const [missing] = problemsOf(() => transferWeights(fixture.stateDict, withBias));
    expect(missing).toMatchObject({ code: 'E_TRANSFER_HYPERPARAM', layer: 'conv', tensor: 'conv.bias' });
    expect(missing!.message).toContain('useBias: false');

    // Torch has a non-zero bias, Keras was built without one.
    const stateDict = new Map(fixture.stateDict);
    stateDict.set('conv.bias', Tensor.fromNumbers([1], [0.5]));
    const [extra] = problemsOf(() => transferWeights(stateDict, buildKerasModel('seed_conv')));
    expect(extra).toMatchObject({ code: 'E_TRANSFER_HYPERPARAM', tensor: 'conv.bias' });
    expect(extra!.message).toContain('useBias: true');

    // An all-zero bias is equivalent to none: ignored, with the reason.
    stateDict.set('conv.bias', Tensor.fromNumbers([1], [0]));
    const report = transferWeights(stateDict, buildKerasModel('seed_conv'));
    expect(report.ignored).toEqual([{ tensor: 'conv.bias', reason: expect.stringContaining('useBias: false') }]);
  });

  it('lists every problem at once, and a layer class without a mapping', async () => {
    const fixture = await loadKerasFixture('convnet');
    const stateDict = new Map(fixture.stateDict);
    stateDict.delete('fc.bias');
    stateDict.set('extra.weight', Tensor.zeros('float32', [1]));
    const model = buildKerasModel('convnet');
    const problems = problemsOf(() => transferWeights(stateDict, model, { moduleNames: { bn3: 'bn2' } }));
    const codes = problems.map((p) => p.code).sort();
    expect(codes).toContain('E_TRANSFER_REUSED');
    expect(codes).toContain('E_TRANSFER_HYPERPARAM'); // fc has a weight but no bias
    expect(codes).toContain('E_TRANSFER_UNUSED');
    expect(problems.find((p) => p.code === 'E_TRANSFER_UNUSED' && p.tensor === 'extra.weight')).toBeDefined();

    const input = tf.input({ shape: [8, 8, 3] });
    const separable = tf.model({ inputs: input, outputs: tf.layers.separableConv2d({ name: 'sep', filters: 4, kernelSize: 3 }).apply(input) as tf.SymbolicTensor });
    const [unsupported] = problemsOf(() => transferWeights(new Map(), separable));
    expect(unsupported).toMatchObject({ code: 'E_TRANSFER_UNSUPPORTED', layer: 'sep' });
    expect(unsupported!.message).toContain('SeparableConv2D');
  });
});
