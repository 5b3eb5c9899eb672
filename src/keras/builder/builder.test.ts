// Every recorded golden with a captured graph becomes a Keras model that reproduces PyTorch's
// outputs on every seed (wasm backend, NCHW goldens permuted to the model's layout and back).
import { tf } from '../../runtimes/tfjs/index.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layerErrorMetrics } from '../../harness/compare/index.ts';
import { listGoldenDirs, loadGolden, type Golden } from '../../golden/index.ts';
import { defaultSuite, fixtureTolerance, resolveTolerance } from '../../harness/suite/index.ts';
import { createKerasRunner } from '../../runtimes/keras/index.ts';
import { initTfjsBackend } from '../../runtimes/tfjs/index.ts';
import { Tensor } from '../../tensor/index.ts';
import { loadTfjsLayersModel, saveTfjsLayersModel } from '../io/index.ts';
import { buildKerasModel, type BuildReport } from './index.ts';

const GOLDEN_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../golden');

/**
 * Goldens whose graphs need a transpose no rewrite removes, and why. Every other golden (all the
 * CNN families) must build with zero inserted permutes.
 */
const PERMUTES_EXPECTED: Readonly<Record<string, RegExp>> = {
  // view(b, g, c/g, h, w).transpose(1, 2).view(b, c, h, w): the shuffle itself is a transpose.
  shufflenet_channel_shuffle: /^reshape \[1, \d+, 2, \d+, \d+\] -> \[1, \d+, \d+, \d+\] merges axes/,
  trap_reshape_chain: /^reshape \[1, 4, 2, 8, 8\] -> \[1, 8, 8, 8\] merges axes/,
  // softmax over W of a channels-last map: tfjs and TFLite normalize the last axis only.
  trap_axis_remap: /^softmax runs over the last Keras axis only/,
  // Multi-head attention: heads split and merged ([B, T, H, D] <-> [B, H, T, D]) around the two
  // batched matrix products, as PyTorch's own code does.
  vit_tiny: /^(attention (splits|merges) the heads|matmul needs the batch axes first|reshape \[1, 5, 2, 8\] -> \[1, 5, 16\] merges axes)/,
  // Sequence-first attention: the same head split and merge; the transposes of the batch axis around it are layout-only.
  trap_seq_first_attention: /^attention (splits|merges) the heads/,
  attention_padding_mask: /^attention (splits|merges) the heads/,
  text_padding_attention: /^attention (splits|merges) the heads/,
  cross_attention: /^attention (splits|merges) the heads/,
};

let scratch: string;

beforeAll(async () => {
  await initTfjsBackend('wasm');
  scratch = await mkdtemp(path.join(tmpdir(), 'torchport-builder-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const goldens = (await Promise.all((await listGoldenDirs(GOLDEN_ROOT)).map((dir) => loadGolden(dir)))).filter((g) => !('error' in g.manifest.graph));

async function build(golden: Golden) {
  const { graph, constants } = await golden.graph();
  return buildKerasModel(graph, { weights: await golden.weights(), constants });
}

const toKeras = (tensor: Tensor, report: BuildReport, i: number): Tensor => tensor.toFloat32().permute(report.inputs[i]!.toKeras);
const toTorch = (tensor: Tensor, report: BuildReport, i: number): Tensor => tensor.permute(report.outputs[i]!.toTorch);

/** Two tensors as one batch (C order: the batch axis is outermost). */
function stackBatch(a: Tensor, b: Tensor): Tensor {
  const data = new Float32Array(a.size + b.size);
  data.set(a.toFloat32().data);
  data.set(b.toFloat32().data, a.size);
  return new Tensor('float32', [a.shape[0]! + b.shape[0]!, ...a.shape.slice(1)], data);
}

// Parity of every golden on every seed is the parity suites' job (suites/parity/*, the keras
// target, judged by the same pipeline as `torchport verify`); here, what only the builder owes:
// weights all transferred, any batch size, the expected permutes, and a model that saves and loads.
describe('buildKerasModel builds every golden (wasm)', () => {
  it('finds goldens with graphs', () => {
    expect(goldens.length).toBeGreaterThan(0);
  });

  for (const golden of goldens) {
    const name = golden.manifest.name;
    it(name, async () => {
      const { model, report } = await build(golden);
      const policy = await fixtureTolerance(golden.fixturePath);
      const tolerance = (output: string) => resolveTolerance(defaultSuite(), policy, name, 'keras', output);
      expect(report.outputs.map((o) => o.torchShape)).toEqual(golden.manifest.outputs.map((o) => o.shape));
      expect(report.transfer.problems).toEqual([]);
      expect(report.transfer.assignments.length).toBe(report.transfer.kerasWeightCount);

      const runner = await createKerasRunner(model);
      try {
        const firstOutputs = await runner.run((await golden.inputs(golden.manifest.seeds[0]!)).map((t, i) => toKeras(t, report, i)));

        // Captured at one batch size, the model still takes any batch: two seeds in one batch give both results.
        const [first, second] = golden.manifest.seeds;
        const pair = await Promise.all([first!, second!].map((seed) => golden.inputs(seed)));
        const batched = await runner.run(pair[0]!.map((t, i) => stackBatch(toKeras(t, report, i), toKeras(pair[1]![i]!, report, i))));
        const references = await Promise.all([first!, second!].map((seed) => golden.outputs(seed)));
        batched.forEach((output, i) => {
          const half = output.size / 2;
          [0, 1].forEach((k) => {
            const single = new Tensor('float32', [output.shape[0]! / 2, ...output.shape.slice(1)], output.toFloat32().data.slice(k * half, (k + 1) * half));
            const outputName = golden.manifest.outputs[i]!.name;
            expect(toTorch(single, report, i)).toMatchReference(references[k]![i]!, tolerance(outputName), { label: `${name} batch item ${k} ${outputName}` });
          });
        });

        const allowed = PERMUTES_EXPECTED[name];
        if (allowed) for (const permute of report.permutes) expect(permute.reason).toMatch(allowed);
        else expect(report.permutes).toEqual([]);

        // The saved model loads back (custom layers registered) and computes the same thing.
        const dir = path.join(scratch, name);
        await saveTfjsLayersModel(model, dir);
        const loaded = await loadTfjsLayersModel(path.join(dir, 'model.json'));
        const reloaded = await createKerasRunner(loaded);
        try {
          const seed = golden.manifest.seeds[0]!;
          const again = await reloaded.run((await golden.inputs(seed)).map((t, i) => toKeras(t, report, i)));
          again.forEach((output, i) => expect(output.toArray()).toEqual(firstOutputs[i]!.toArray()));
        } finally {
          await reloaded.dispose();
        }
      } finally {
        await runner.dispose();
      }
    });
  }
});

describe('the build report', () => {
  for (const golden of goldens) {
    it(`maps every value of ${golden.manifest.name} to a Keras layer output equal to PyTorch's activation (first divergence)`, async () => {
      const { model, report } = await build(golden);
      const activations = await golden.activations();
      // One probe per distinct Keras output (no-op nodes share their input's).
      const seen = new Set<string>();
      const probes = Object.entries(report.valueLayers).filter(([id, { layer, call, layout }]) => {
        const key = `${layer}#${call}`;
        if (!activations.has(id) || layout.source !== undefined || seen.has(key) || model.inputNames.includes(layer)) return false;
        seen.add(key);
        return true;
      });
      expect(probes.length).toBeGreaterThan(0);
      const probe = tf.model({ inputs: model.inputs, outputs: probes.map(([, { layer, call }]) => model.getLayer(layer).getOutputAt(call) as tf.SymbolicTensor) });
      const x = (await golden.inputs(golden.manifest.seeds[0]!)).map((t, i) => toKeras(t, report, i)).map((t) => tf.tensor(t.data as Float32Array, [...t.shape]));
      const predicted = probe.predict(x);
      const ys = Array.isArray(predicted) ? predicted : [predicted];
      probes.forEach(([id, { layer, layout }], k) => {
        const keras = new Tensor('float32', ys[k]!.shape, ys[k]!.dataSync() as Float32Array);
        const inverse = layout.perm.map((_, axis) => layout.perm.indexOf(axis));
        const metrics = layerErrorMetrics(keras.permute(inverse), activations.get(id)!);
        // Intermediate values (pre-normalization conv outputs) can be large: 1e-5 relative to their scale.
        expect(metrics.maxAbsDiff, `value ${id} at layer ${layer}`).toBeLessThanOrEqual(1e-5 * Math.max(1, metrics.maxAbsReference));
      });
      tf.dispose([...x, ...ys]);
      model.dispose();
    });
  }

  it('names layers after module paths, shares weighted modules and folds Flatten into the Dense kernel', async () => {
    const golden = goldens.find((g) => g.manifest.name === 'trap_flatten_linear')!;
    const { graph } = await golden.graph();
    const { model, report } = await build(golden);
    for (const path of Object.keys(graph.modules).filter((p) => graph.modules[p]!.parameters.length > 0)) expect(model.getLayer(path).name).toBe(path);
    const kernel = report.transfer.assignments.find((a) => a.layer === 'classifier.2' && a.weight === 'kernel')!;
    expect(kernel.layout).toMatch(/rows reordered/);
    expect(report.permuteCount).toBe(0);
    expect(report.inputs[0]).toMatchObject({ torchShape: [1, 3, 16, 16], kerasShape: [1, 16, 16, 3], toKeras: [0, 2, 3, 1], toTorch: [0, 3, 1, 2] });
    model.dispose();
  });

  it('builds one layer per module with weights, however often it is called', async () => {
    const golden = goldens.find((g) => g.manifest.name === 'trap_shared_module')!;
    const weights = await golden.weights();
    const { model, report } = await build(golden);
    for (const name of ['conv', 'bn', 'fc']) expect(model.getLayer(name).inboundNodes.length, name).toBe(2);
    // Every PyTorch parameter and statistic exists once in Keras (num_batches_tracked excepted).
    const torchCount = [...weights].filter(([name]) => !name.endsWith('num_batches_tracked')).reduce((sum, [, t]) => sum + t.size, 0);
    expect(report.parameterCount).toBe(torchCount);
    expect(report.inputs.map((i) => i.name)).toEqual(['input_0', 'input_1']);
    model.dispose();
  });

  it('builds the transformer ops: MultiheadAttention from its packed in_proj_weight, matmul as BatchMatMul, the math functions', async () => {
    const vit = goldens.find((g) => g.manifest.name === 'vit_tiny')!;
    const { model, report } = await build(vit);
    const byTensor = new Map(report.transfer.assignments.map((a) => [a.tensor, a]));
    expect(byTensor.get('blocks.0.attn.in_proj_weight')).toMatchObject({ layer: 'blocks.0.attn', weight: 'kernel' });
    expect(byTensor.get('blocks.0.attn.out_proj.weight')).toMatchObject({ layer: 'blocks.0.attn.out_proj', weight: 'kernel' });
    expect(report.unusedTensors).toEqual(['cls_token']); // expanded over the batch: the capture folds it into a constant
    const classes = (m: typeof model) => m.layers.map((l) => l.getClassName());
    expect(classes(model).filter((c) => c === 'BatchMatMul')).toHaveLength(4); // two per attention block
    model.dispose();
    const math = goldens.find((g) => g.manifest.name === 'trap_math_ops')!;
    const built = await build(math);
    const fns = built.model.layers.filter((l) => l.getClassName() === 'MathFunction').map((l) => l.getConfig()['fn']);
    expect(new Set(fns)).toEqual(new Set(['sqrt', 'rsqrt', 'exp', 'log', 'erf', 'pow']));
    expect(classes(built.model)).toEqual(expect.arrayContaining(['Clamp', 'StridedSlice', 'Concatenate']));
    built.model.dispose();
  });

  it('fills parameters and constants used directly in forward, and reports tensors the forward never read', async () => {
    const golden = goldens.find((g) => g.manifest.name === 'trap_params_in_forward')!;
    const { model, report } = await build(golden);
    const filled = new Map(report.transfer.assignments.map((a) => [a.tensor, a.layerClass]));
    for (const name of ['mean', 'std', 'layer_scale', 'pos_embed']) expect(filled.get(name), name).toBe('ConstantArithmetic');
    expect(filled.get('<constant>.c0')).toBe('ConstantTensor'); // the expanded class token, folded by the capture
    expect([...report.unusedTensors].sort()).toEqual(['cls_token', 'unused_head.bias', 'unused_head.weight']);
    model.dispose();
  });
});
