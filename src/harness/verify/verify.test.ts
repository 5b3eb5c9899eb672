import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TorchBridge } from '../../torch/index.ts';
import { sha256File } from '../../util/index.ts';
import { parseManifest, recordGolden, serializeManifest } from '../../golden/index.ts';
import { judgeRun } from '../judge/index.ts';
import { parseRunRecord } from '../run/index.ts';
import { defaultSuite, parseSuite } from '../suite/index.ts';
import { onnxTarget, torchTarget } from '../targets/index.ts';
import { RUN_RECORD_FILE, verifyModels, type VerifyOptions } from './index.ts';

const testFixture = (name: string) => new URL(`../../torch/test-fixtures/${name}`, import.meta.url).pathname;

describe('verifyModels with real torch and ONNX Runtime', () => {
  let bridge: TorchBridge;
  let work: string;
  let fixture: string;
  let options: (dir: string, extra?: Partial<VerifyOptions>) => VerifyOptions;
  beforeAll(async () => {
    bridge = new TorchBridge();
    work = await mkdtemp(join(tmpdir(), 'verify-test-'));
    fixture = join(work, 'tiny.py');
    await copyFile(testFixture('two_outputs_noisy.py'), fixture);
    const torch = await bridge.versions();
    options = (dir, extra = {}) => ({
      suite: defaultSuite(['torch', 'onnx']),
      targets: [torchTarget(bridge), onnxTarget()],
      goldenRoot: join(dir, 'golden'),
      runDir: join(dir, 'run'),
      runId: 'test-run',
      ci: false,
      bridge,
      torch,
      torchUnavailable: null,
      cwd: work,
      ...extra,
    });
  });
  afterAll(async () => {
    await bridge.close();
    await rm(work, { recursive: true, force: true });
  });

  it('under CI fails a missing golden with the command that records it', async () => {
    const { report } = await verifyModels([{ fixture }], options(join(work, 'ci'), { ci: true }));
    expect(report.checks).toEqual([
      { model: 'tiny', check: 'golden', pass: false, problems: [expect.stringMatching(/goldens are not recorded under CI; record it locally with `npx torchport golden add .*tiny\.py`/)] },
    ]);
    expect(report.results).toEqual([]);
    expect(report.summary.pass).toBe(false);
  });

  it('records outside CI, runs torch and onnx on every seed and output, writes a re-judgeable run record', async () => {
    const dir = join(work, 'run');
    const { record, report } = await verifyModels([{ fixture }], options(dir));
    expect(record.models[0]!.recorded).toBe(true);
    expect(report.checks.every((c) => c.pass)).toBe(true);
    expect(report.results).toHaveLength(12); // 2 targets x 3 seeds x 2 outputs
    expect(report.results.filter((r) => r.target === 'torch').every((r) => r.status === 'pass' && r.maxAbsDiff === 0)).toBe(true);
    expect(report.results.filter((r) => r.target === 'onnx').every((r) => r.status === 'pass')).toBe(true);
    expect(report.targets.find((t) => t.target === 'onnx')!.info).toMatchObject({ engine: 'onnxruntime' });
  });

  it('re-judges a stored run with other tolerances without running anything', async () => {
    // The committed conv golden: ONNX Runtime differs from PyTorch by ~1e-7 there (float summation order).
    const dir = join(work, 'rejudge');
    const golden = new URL('../../../golden/conv_dw_bn_relu6_linear', import.meta.url).pathname;
    const { report } = await verifyModels([{ golden }], options(dir, { targets: [onnxTarget()] }));
    expect(report.summary.pass).toBe(true);
    const stored = parseRunRecord(await readFile(join(dir, 'run', RUN_RECORD_FILE), 'utf8'), 'run.json');
    const strict = parseSuite({ tolerances: { targets: { onnx: { atol: 0, rtol: 0 } } } }, null);
    const rejudged = await judgeRun(stored, join(dir, 'run'), strict);
    expect(rejudged.results.every((r) => r.status === 'fail' && r.needed!.value > 0 && r.needed!.value < 1e-5)).toBe(true);
    expect(rejudged.summary.pass).toBe(false);
  });

  it('tolerance layers: suite per-target < fixture TOLERANCE < suite per-fixture < suite per-output', async () => {
    const dir = join(work, 'overrides');
    await verifyModels([{ fixture }], options(dir));
    const stored = parseRunRecord(await readFile(join(dir, 'run', RUN_RECORD_FILE), 'utf8'), 'run.json');
    const suite = parseSuite({ tolerances: { targets: { '*': { atol: 0 } }, fixtures: { tiny: { outputs: { output_1: { onnx: { atol: 1 } } } } } } }, null);
    const report = await judgeRun(stored, join(dir, 'run'), suite);
    const onnx = report.results.filter((r) => r.target === 'onnx');
    expect(onnx.filter((r) => r.output === 'output_1').every((r) => r.tolerance.rule === 'scaled' && r.tolerance.atol === 1 && r.pass)).toBe(true);
    // output_0 keeps the fixture's own TOLERANCE (atol 1e-6), which beats the suite's per-target atol 0.
    expect(onnx.filter((r) => r.output === 'output_0').every((r) => r.tolerance.rule === 'scaled' && r.tolerance.atol === 1e-6)).toBe(true);
  });

  it('the torch target refuses a golden whose weights build() no longer produces, even with every hash rewritten', async () => {
    const dir = join(work, 'drift');
    await recordGolden(bridge, fixture, { goldenRoot: join(dir, 'golden'), ci: false, seedCount: 1 });
    // Change the weights and re-sign the manifest, as a stale golden would look: integrity holds, the torch target must not.
    const golden = join(dir, 'golden', 'tiny');
    const weights = await readFile(join(golden, 'weights.safetensors'));
    // Tensors are stored in name order: the last 12 bytes are 'offset' (float32 [0, 1, 2]); make it [0.5, 1, 2].
    weights.writeFloatLE(0.5, weights.length - 12);
    await writeFile(join(golden, 'weights.safetensors'), weights);
    const manifest = parseManifest(await readFile(join(golden, 'manifest.json'), 'utf8'), 'manifest.json');
    const files = { ...manifest.files, 'weights.safetensors': await sha256File(join(golden, 'weights.safetensors')) };
    await writeFile(join(golden, 'manifest.json'), serializeManifest({ ...manifest, files }));
    const { report } = await verifyModels([{ golden }], options(dir, { targets: [torchTarget(bridge)] }));
    expect(report.checks.filter((c) => !c.pass)).toEqual([]);
    expect(report.results).toEqual([
      expect.objectContaining({ target: 'torch', status: 'error', reason: expect.stringMatching(/weights build\(\) produces today differ from golden tiny's \(offset\)/) }),
    ]);
  });

  it('drift ratchet: --update accepts the error levels; a later run whose error grows past the factor fails while under tolerance', async () => {
    const dir = join(work, 'ratchet');
    const first = await verifyModels([{ fixture }], options(dir, { update: true, targets: [onnxTarget()] }));
    expect(first.report.summary.pass).toBe(true);
    const manifest = JSON.parse(await readFile(join(dir, 'golden', 'tiny', 'manifest.json'), 'utf8'));
    expect(manifest.accepted.onnx.maxAbsDiff).toBe(first.report.targets[0]!.maxAbsDiff);
    // Pretend the accepted level was tiny: the same run now exceeds factor x max(accepted, floor).
    manifest.accepted.onnx.maxAbsDiff = 0;
    await writeFile(join(dir, 'golden', 'tiny', 'manifest.json'), JSON.stringify(manifest));
    const suite = parseSuite({ ratchet: { factor: 2, floor: 1e-12 } }, null);
    const stored = parseRunRecord(await readFile(join(dir, 'run', RUN_RECORD_FILE), 'utf8'), 'run.json');
    const report = await judgeRun(stored, join(dir, 'run'), suite);
    expect(report.results.every((r) => r.pass)).toBe(true);
    const ratchet = report.checks.find((c) => c.check === 'ratchet')!;
    expect(ratchet.pass).toBe(first.report.targets[0]!.maxAbsDiff! <= 2e-12);
    if (!ratchet.pass) expect(ratchet.problems[0]).toMatch(/grew to .* past 2 x the accepted 0\.000e\+0 .*torchport verify --update/);
  });

  it('refuses to accept levels under CI', async () => {
    const dir = join(work, 'ci-update');
    await recordGolden(bridge, fixture, { goldenRoot: join(dir, 'golden'), ci: false, seedCount: 1 });
    await expect(verifyModels([{ golden: join(dir, 'golden', 'tiny') }], options(dir, { ci: true, update: true, targets: [onnxTarget()] }))).rejects.toThrow(/under CI/);
  });
});
