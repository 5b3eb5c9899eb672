// The float64-budget rule on real conversions of committed goldens (whose float64 answers torch
// recorded): a correct Keras and TFLite conversion passes on every seed, the same Keras model with
// one bias +1e-3 fails.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../runtimes/tfjs/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKeras, toKerasLayout, toTorchLayout } from '../../convert/index.ts';
import { createKerasRunner } from '../../runtimes/keras/index.ts';
import { FLOAT64_BUDGET, compareTensors } from '../compare/index.ts';
import { loadGolden } from '../../golden/index.ts';
import { parseSuite } from '../suite/index.ts';
import { createTargets } from '../targets/index.ts';
import { verifyModels } from '../verify/index.ts';
import { budgetAnswers, loadFloat64Outputs } from './index.ts';

const goldenPath = (name: string): string => new URL(`../../../golden/${name}`, import.meta.url).pathname;

describe('the float64-budget rule', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'float64-rule-'));
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('passes correct Keras and TFLite conversions, and every row carries its rounding cost', async () => {
    const targets = ['keras', 'tflite-fp32'];
    const { report } = await verifyModels([{ golden: goldenPath('resnet_basic_block') }, { golden: goldenPath('trap_activations') }], {
      suite: parseSuite({ targets, tolerances: { targets: { keras: { rule: 'float64-budget' }, 'tflite-fp32': { rule: 'float64-budget' } } } }, null),
      targets: createTargets(targets, { bridge: null, torchUnavailable: 'not needed' }),
      goldenRoot: goldenPath('.'),
      runDir: join(work, 'run'),
      runId: 'float64-rule',
      ci: true,
      bridge: null,
      torch: null,
      torchUnavailable: 'not needed',
      cwd: work,
    });
    expect(report.results.length).toBe(2 * 3 * (1 + 18));
    for (const row of report.results) {
      expect(row, `${row.model} ${row.target} ${row.output}: ${row.reason}`).toMatchObject({ status: 'pass', rule: 'float64-budget', needed: { parameter: 'k' } });
      if (!row.float64 || !('ratio' in row.float64)) throw new Error(`${row.model} ${row.output}: no float64 column`);
      expect(row.float64.torchMaxAbsDiff).toBeGreaterThanOrEqual(0);
      const { maxAbsDiff, torchMaxAbsDiff, ratio } = row.float64;
      // PyTorch float32 exactly at the float64 answer (a ReLU of exact values): cost 1 when the port is exact too, else null.
      expect(ratio).toBe(torchMaxAbsDiff > 0 ? maxAbsDiff / torchMaxAbsDiff : maxAbsDiff === 0 ? 1 : null);
    }
  }, 300_000);

  it('fails a Keras model whose classifier bias is off by 1e-3, which passes without the fault', async () => {
    const golden = await loadGolden(goldenPath('resnet_basic_block'));
    const keras = await buildKeras(golden);
    const runner = await createKerasRunner(keras.model, { disposeModel: false });
    const judge = async (seed: number) => {
      const [output] = toTorchLayout(await runner.run(toKerasLayout(await golden.inputs(seed), keras.io.inputs)), keras.io.outputs);
      const [reference] = await golden.outputs(seed);
      const { float64 } = budgetAnswers(await loadFloat64Outputs(golden.dir, golden.manifest.float64, seed), golden.manifest, seed, 'output_0');
      expect(float64).not.toBeNull();
      return compareTensors(output!, reference!, FLOAT64_BUDGET, { float64 });
    };
    for (const seed of golden.manifest.seeds) expect((await judge(seed)).pass).toBe(true);
    const fc = keras.model.getLayer('fc');
    const [kernel, bias] = fc.getWeights();
    const shifted = bias!.dataSync().slice();
    shifted[0]! += 1e-3;
    fc.setWeights([kernel!, tf.tensor(shifted, bias!.shape)]);
    for (const seed of golden.manifest.seeds) {
      const verdict = await judge(seed);
      expect(verdict.pass).toBe(false);
      expect(verdict.reason).toMatch(/error vs float64 1\.0\d\de-3 is \d+\.\dx PyTorch float32's own/);
    }
    await runner.dispose();
    keras.model.dispose();
  }, 300_000);
});
