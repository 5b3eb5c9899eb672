// Deliberately broken conversions must be caught by the default suite, with the right first
// divergent layer named: the classic mistakes of hand-written PyTorch -> Keras ports.
import { tf } from '../../runtimes/tfjs/index.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKeras, type KerasConversion } from '../../convert/index.ts';
import type { Golden } from '../../golden/index.ts';
import { loadSuite } from '../suite/index.ts';
import { verifyModels } from '../verify/index.ts';
import { kerasTarget, type ConversionSource } from './index.ts';

const GOLDEN_ROOT = new URL('../../../golden', import.meta.url).pathname;
const SUITE = new URL('../../../suites/default.json', import.meta.url).pathname;

type Breakage = (model: tf.LayersModel) => void;

/** A conversion source that builds the Keras model correctly, then applies one mistake to it. */
function brokenSource(breakage: Breakage): ConversionSource {
  return {
    async keras(golden: Golden): Promise<KerasConversion> {
      const keras = await buildKeras(golden);
      breakage(keras.model);
      return keras;
    },
    tflite: () => Promise.reject(new Error('not used')),
  };
}

function setWeight(model: tf.LayersModel, layer: string, index: number, change: (values: tf.Tensor) => tf.Tensor): void {
  const target = model.getLayer(layer);
  const weights = target.getWeights();
  weights[index] = change(weights[index]!);
  target.setWeights(weights);
}

describe('broken conversions are caught with the first divergent layer named', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'broken-'));
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  async function verdict(golden: string, breakage: Breakage) {
    const suite = await loadSuite(SUITE);
    const { report } = await verifyModels([{ golden: join(GOLDEN_ROOT, golden) }], {
      suite: { ...suite, targets: ['keras'] },
      targets: [kerasTarget(brokenSource(breakage))],
      goldenRoot: GOLDEN_ROOT,
      runDir: join(work, `${golden}-${Math.random().toString(36).slice(2)}`),
      runId: 'broken',
      ci: true,
      bridge: null,
      torch: null,
      torchUnavailable: 'not needed',
      cwd: work,
    });
    return report;
  }

  const cases: Array<{ name: string; golden: string; layer: string; breakage: Breakage }> = [
    {
      name: 'a wrong kernel permutation (kh and kw swapped: (3,2,1,0) instead of (2,3,1,0))',
      golden: 'resnet_basic_block',
      layer: 'layer1.0.conv1',
      breakage: (model) => setWeight(model, 'layer1.0.conv1', 0, (k) => tf.transpose(k, [1, 0, 2, 3])),
    },
    {
      name: 'a dropped BatchNorm statistic (running_var left at ones)',
      golden: 'resnet_basic_block',
      layer: 'layer1.0.bn1',
      breakage: (model) => setWeight(model, 'layer1.0.bn1', 3, (v) => tf.onesLike(v)),
    },
    {
      name: "the Keras epsilon default (1e-3 instead of PyTorch's 1e-5)",
      golden: 'resnet_basic_block',
      layer: 'layer1.0.bn2',
      breakage: (model) => {
        (model.getLayer('layer1.0.bn2') as unknown as { epsilon: number }).epsilon = 1e-3;
      },
    },
    {
      name: 'a flatten-order error (Dense rows in NCHW order after an NHWC Flatten)',
      golden: 'trap_flatten_linear',
      layer: 'classifier.2',
      breakage: (model) =>
        setWeight(model, 'classifier.2', 0, (kernel) => {
          // Rows are NHWC-ordered (h, w, c); reorder them as if PyTorch's (c, h, w) order were kept.
          const [rows, units] = kernel.shape as [number, number];
          const channels = (model.getLayer('features.0').getWeights()[0]!.shape as number[])[3]!;
          const spatial = rows / channels;
          return tf.tidy(() => kernel.reshape([channels, spatial, units]).transpose([1, 0, 2]).reshape([rows, units]));
        }),
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const report = await verdict(c.golden, c.breakage);
      expect(report.summary.pass).toBe(false);
      expect(report.results.some((r) => r.status === 'fail')).toBe(true);
      const keras = report.targets.find((t) => t.target === 'keras')!;
      expect(keras.divergence?.first?.module).toBe(c.layer);
      // Every layer before it still matches PyTorch: the report points at the mistake, not past it.
      const layers = keras.divergence!.layers;
      const index = layers.findIndex((l) => l.module === c.layer);
      expect(layers.slice(0, index).every((l) => l.maxAbsDiff <= 1e-5 + 1e-5 * l.maxAbsReference)).toBe(true);
    });
  }

  it('the unbroken conversion passes and names no divergent layer', async () => {
    const report = await verdict('resnet_basic_block', () => undefined);
    expect(report.summary.pass).toBe(true);
    expect(report.targets.find((t) => t.target === 'keras')!.divergence).toBeUndefined();
  });
});
