// The Python twins in src/keras/io/torchport_layers.py compute what their TF.js layers compute:
// one `verify --targets keras-py` run (real Keras 3 on model.h5 and model.keras, judged against
// PyTorch) over a fixture whose conversion uses each twin.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/testing.ts';
import type { RunReport } from '../../harness/index.ts';
import { TfWorker } from '../tf-worker/index.ts';
import { workerHas } from '../tf-worker/testing.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const worker = new TfWorker();
const available = await workerHas(worker, 'keras');
afterAll(() => worker.close());

/** The custom layer -> a fixture (or committed golden) whose Keras model uses it. */
const FIXTURES: Record<string, string> = {
  AdaptivePool: 'suites/ops/layers/layer_adaptive_avgpool2d_nondividing.py',
  Cast: 'suites/ops/elementwise/ew_cast_mask_long_output.py',
  Cumsum: 'golden/cumsum_ops',
  Pointwise: 'suites/ops/elementwise/ew_softplus_beta_threshold.py',
  PointwiseBinary: 'suites/ops/elementwise/ew_remainder_tensor.py',
  Ranking: 'suites/ops/reductions/red_sort_descending.py',
  Scan: 'suites/ops/reductions/red_cummax_dim1_values.py',
  'Scan (prod)': 'suites/ops/reductions/red_cumprod_rank4_dim_neg2.py',
  StaticReshape: 'suites/ops/shape/shape_cat_batch.py',
  Statistic: 'suites/ops/reductions/red_std_dim_neg1_keepdim_biased.py',
  TopK: 'suites/ops/reductions/red_topk_k2_values.py',
  TorchNorm: 'suites/ops/layers/layer_groupnorm_2groups.py',
};

const modelName = (path: string) => path.split('/').pop()!.replace(/\.py$/, '');

describe.skipIf(!available)('the Python twins of the op-family layers in real Keras 3', () => {
  it("give PyTorch's outputs: AdaptivePool, Cast, Cumsum, Pointwise, PointwiseBinary, Ranking, Scan, StaticReshape, Statistic, TopK, TorchNorm", async () => {
    const work = await mkdtemp(join(tmpdir(), 'keras-py-twins-'));
    try {
      const fixtures = Object.values(FIXTURES).map((path) => join(ROOT, path));
      const { code, out, err } = await runCli(['verify', ...fixtures, '--targets', 'keras-py', '--golden', join(work, 'golden'), '--report', join(work, 'reports')], {
        cwd: work,
        env: { ...process.env, CI: 'false' },
      });
      expect(code, `${out}\n${err}`).toBe(0);
      const report = JSON.parse(await readFile(join(work, 'reports', 'latest', 'report.json'), 'utf8')) as RunReport;
      for (const path of Object.values(FIXTURES)) {
        const rows = report.results.filter((r) => r.model === modelName(path) && r.target === 'keras-py');
        expect(rows.length, `keras-py rows of ${path}`).toBeGreaterThan(0);
        expect(
          rows.every((r) => r.pass),
          path,
        ).toBe(true);
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }, 300_000);
});
