// Issue 12, items 4, 5, 6 and 9: a golden notices what it depends on, cannot be edited to pass
// (tolerances are read from the fixture, every recorded field carries a digest),
// refuses outputs that cannot discriminate, and carries the drift ratchet's baseline from the start.
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy, Tensor } from '../tensor/index.ts';
import { TorchBridge } from '../torch/index.ts';
import { sha256File } from '../util/index.ts';
import { judgeRun } from '../harness/judge/index.ts';
import { parseRunRecord } from '../harness/run/index.ts';
import { defaultSuite } from '../harness/suite/index.ts';
import { onnxTarget, torchTarget } from '../harness/targets/index.ts';
import { RUN_RECORD_FILE, verifyModels } from '../harness/verify/index.ts';
import { GoldenDiscriminationError, acceptLevels, loadGolden, parseManifest, recordGolden, serializeManifest, verifyGolden } from './index.ts';

const testFixture = (name: string) => new URL(`../torch/test-fixtures/${name}`, import.meta.url).pathname;
const python = (lines: string[]) => `${lines.join('\n')}\n`;

describe('golden integrity with real torch', () => {
  let bridge: TorchBridge;
  let work: string;
  beforeAll(async () => {
    bridge = new TorchBridge();
    work = await mkdtemp(join(tmpdir(), 'golden-integrity-'));
  });
  afterAll(async () => {
    await bridge.close();
    await rm(work, { recursive: true, force: true });
  });

  async function recordTiny(root: string): Promise<string> {
    await mkdir(root, { recursive: true });
    const fixture = join(root, 'tiny.py');
    await copyFile(testFixture('two_outputs_noisy.py'), fixture);
    await recordGolden(bridge, fixture, { goldenRoot: join(root, 'golden'), ci: false });
    return join(root, 'golden', 'tiny');
  }

  it('detects a hand edit of any recorded field and names it with the command that re-records: tolerance, accepted levels, seeds, output shapes, file hashes', async () => {
    const golden = await recordTiny(join(work, 'edits'));
    expect((await verifyGolden(golden)).problems).toEqual([]);
    const path = join(golden, 'manifest.json');
    const original = await readFile(path, 'utf8');
    expect(JSON.parse(original)).not.toHaveProperty('tolerance');
    const edits: Array<[(m: Record<string, any>) => void, RegExp]> = [
      [(m) => (m['tolerance'] = { atol: 1 }), /"tolerance" is not a recorded field \(added by hand; tolerances belong in the fixture's TOLERANCE or the suite\)/],
      [(m) => (m['accepted'] = { onnx: { maxAbsDiff: 1, acceptedAt: '2026-01-01T00:00:00Z' } }), /"accepted" was edited by hand/],
      [(m) => (m['seeds'] = [5, 6]), /"seeds" was edited by hand/],
      [(m) => (m['outputs'][0].shape = [1, 3]), /"outputs" was edited by hand/],
      [(m) => (m['files']['seed-5/output_0.npy'] = '0'.repeat(64)), /"files" was edited by hand/],
      [(m) => delete m['waiver'], /"waiver" was removed by hand/],
    ];
    for (const [edit, named] of edits) {
      const manifest = JSON.parse(original);
      edit(manifest);
      await writeFile(path, JSON.stringify(manifest, null, 2));
      const result = await verifyGolden(golden);
      expect(result.ok, edit.toString()).toBe(false);
      expect(result.problems.join('\n')).toMatch(named);
      expect(result.problems.join('\n')).toMatch(/restore the file \(git checkout\) or re-record the golden with `npx torchport golden add .*tiny\.py --update`/);
      // verify refuses it too (the golden-integrity check of the model), and --update does not re-sign it.
      await expect(acceptLevels(golden, { onnx: { maxAbsDiff: 0 } }, false)).rejects.toThrow(/refusing to accept error levels/);
    }
    // verify refuses the edited golden: its integrity check names the field and the command.
    const seedsEdited = JSON.parse(original);
    seedsEdited.seeds = [5, 6];
    await writeFile(path, JSON.stringify(seedsEdited, null, 2));
    const { report } = await verifyModels([{ golden }], {
      suite: defaultSuite(['onnx']), targets: [onnxTarget()], goldenRoot: join(work, 'edits', 'golden'), runDir: join(work, 'edits', 'run'), runId: 'edits', ci: false, bridge, torch: await bridge.versions(), torchUnavailable: null, cwd: work,
    });
    expect(report.summary.pass).toBe(false);
    expect(report.checks.find((c) => c.check === 'golden-integrity')?.problems.join('\n')).toMatch(/"seeds" was edited by hand.*golden add .*tiny\.py --update/);
    // Even re-signed, a shape that disagrees with the recorded tensors is caught.
    const manifest = parseManifest(original, path);
    await writeFile(path, serializeManifest({ ...manifest, outputs: [{ ...manifest.outputs[0]!, shape: [1, 3] }, manifest.outputs[1]!] }));
    expect((await verifyGolden(golden)).problems).toEqual([expect.stringMatching(/seed-5\/output_0\.npy: holds float32 \[2, 3\], the manifest says float32 \[1, 3\]/), expect.anything(), expect.anything()]);
    await writeFile(path, original);
    expect((await verifyGolden(golden)).ok).toBe(true);
  });

  it('a tolerance written into the manifest, even re-signed, does not make a wrong model pass: the verdict reads the fixture', async () => {
    const dir = join(work, 'policy');
    await mkdir(dir, { recursive: true });
    const fixture = join(dir, 'tiny.py');
    await copyFile(testFixture('two_outputs_noisy.py'), fixture); // TOLERANCE = {"atol": 1e-6}
    const torch = await bridge.versions();
    const run = () =>
      verifyModels([{ fixture }], { suite: defaultSuite(['onnx']), targets: [onnxTarget()], goldenRoot: join(dir, 'golden'), runDir: join(dir, 'run'), runId: 'policy', ci: false, bridge, torch, torchUnavailable: null, cwd: dir });
    expect((await run()).report.summary.pass).toBe(true);
    const golden = join(dir, 'golden', 'tiny');
    const manifest = parseManifest(await readFile(join(golden, 'manifest.json'), 'utf8'), 'manifest.json');
    // A determined editor re-signs the loosened manifest, so its digests match.
    await writeFile(join(golden, 'manifest.json'), serializeManifest({ ...manifest, tolerance: { atol: 1 } } as typeof manifest));
    // A wrong model: ONNX's output_0 off by 0.5 everywhere.
    const record = parseRunRecord(await readFile(join(dir, 'run', RUN_RECORD_FILE), 'utf8'), 'run.json');
    for (const seed of record.models[0]!.targets[0]!.seeds) {
      const file = join(dir, 'run', seed.outputs![0]!.file);
      const tensor = decodeNpy(await readFile(file));
      await writeFile(file, encodeNpy(new Tensor('float32', tensor.shape, tensor.toFloat32().data.map((v) => v + 0.5))));
    }
    const judged = await judgeRun(record, join(dir, 'run'), defaultSuite(['onnx']));
    expect(judged.results.filter((r) => r.output === 'output_0').map((r) => [r.pass, r.tolerance])).toEqual([
      [false, { rule: 'scaled', atol: 1e-6 }],
      [false, { rule: 'scaled', atol: 1e-6 }],
      [false, { rule: 'scaled', atol: 1e-6 }],
    ]);
    expect(judged.summary.pass).toBe(false);
    // And golden verify names the policy field that has no place in recorded data.
    expect((await verifyGolden(golden)).problems).toEqual([expect.stringMatching(/manifest\.json carries "tolerance", which no golden records/)]);
  });

  it('refuses to record a fixture whose TOLERANCE the source does not spell as a literal, or spells otherwise than Python evaluates it', async () => {
    const dir = join(work, 'spelled');
    await mkdir(dir, { recursive: true });
    const body = ['INPUT_SHAPES = [[2, 3]]', 'def build():', '    return torch.nn.Linear(3, 3)'];
    await writeFile(join(dir, 'computed.py'), python(['import torch', 'TOLERANCE = {"atol": 10 ** -4}', ...body]));
    await expect(recordGolden(bridge, join(dir, 'computed.py'), { goldenRoot: join(dir, 'golden'), ci: false })).rejects.toThrow(/computed\.py:2: TOLERANCE must be a literal/);
    await writeFile(join(dir, 'hidden.py'), python(['import torch', 'if True:', '    TOLERANCE = {"atol": 1}', ...body]));
    await expect(recordGolden(bridge, join(dir, 'hidden.py'), { goldenRoot: join(dir, 'golden'), ci: false })).rejects.toThrow(
      /TOLERANCE evaluates to \{"atol":1\} when the fixture runs but reads as null from its source/,
    );
    await expect(readFile(join(dir, 'golden', 'hidden', 'manifest.json'))).rejects.toThrow(/ENOENT/);
  });

  it('records the modules a fixture imports and the files build() reads; a change to either is named, and torch refuses weights build() no longer produces', async () => {
    const dir = join(work, 'deps');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, '_helper.py'), python(['import torch.nn as nn', 'def head():', '    return nn.Linear(4, 3)']));
    await writeFile(
      join(dir, 'ckpt.py'),
      python([
        'import os, torch',
        'from _helper import head',
        'INPUT_SHAPES = [[2, 4]]',
        'def build():',
        '    model = head()',
        '    model.load_state_dict(torch.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights.pt")))',
        '    return model',
      ]),
    );
    const train = async (seed: number) => {
      const script = `import sys, torch; sys.path.insert(0, ${JSON.stringify(dir)}); from _helper import head; torch.manual_seed(${seed}); torch.save(head().state_dict(), ${JSON.stringify(join(dir, 'weights.pt'))})`;
      const { execa } = await import('execa');
      await execa((await bridge.versions()).executable, ['-c', script]);
    };
    await train(1);
    await recordGolden(bridge, join(dir, 'ckpt.py'), { goldenRoot: join(dir, 'golden'), ci: false });
    const golden = join(dir, 'golden', 'ckpt');
    const manifest = JSON.parse(await readFile(join(golden, 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['../../_helper.py', '../../weights.pt']);
    expect((await verifyGolden(golden)).ok).toBe(true);

    await train(2); // retrained: the checkpoint changes, the golden still holds the old weights
    const stale = await verifyGolden(golden);
    expect(stale.problems).toEqual([expect.stringMatching(new RegExp(`${join(dir, 'weights.pt')}: changed since golden ckpt was recorded .*golden add .*ckpt\\.py --update`))]);
    const target = await torchTarget(bridge).open(await loadGolden(golden)).catch((error: Error) => error);
    expect(String(target)).toMatch(/the weights build\(\) produces today differ from golden ckpt's \(bias, weight\).*--update/);

    await train(1);
    await writeFile(join(dir, '_helper.py'), python(['import torch.nn as nn', 'def head():', '    return nn.Linear(4, 3)  # edited']));
    expect((await verifyGolden(golden)).problems).toEqual([expect.stringMatching(/_helper\.py: changed since golden ckpt was recorded/)]);
  });

  it('refuses outputs that cannot discriminate, says why and how to fix it; a written waiver records it anyway', async () => {
    const dir = join(work, 'weak');
    await mkdir(dir, { recursive: true });
    const cases: Record<string, [string, RegExp]> = {
      constant: ['x * 0 + self.bias', /output_0: identical on every seed \(0, 1, 2\): it does not depend on the input/],
      tiny: ['x * 1e-9', /output_0: its largest \|value\| over every seed is \d\.\d\de-9, far below the float32 tolerance/],
      nan: ['x / 0 * 0', /output_0: the reference holds NaN/],
      compare: ['x == x + 100', /output_0: identical on every seed/],
    };
    for (const [name, [expression, why]] of Object.entries(cases)) {
      const source = ['import torch', 'INPUT_SHAPES = [[2, 3]]', 'class M(torch.nn.Module):', '    def __init__(self):', '        super().__init__()', '        self.bias = torch.nn.Parameter(torch.randn(3))', '    def forward(self, x):', `        return ${expression}`, 'def build():', '    return M()'];
      await writeFile(join(dir, `${name}.py`), python(source));
      const refused = await recordGolden(bridge, join(dir, `${name}.py`), { goldenRoot: join(dir, 'golden'), ci: false }).catch((error: Error) => error);
      expect(refused).toBeInstanceOf(GoldenDiscriminationError);
      expect((refused as Error).message).toMatch(why);
      expect((refused as Error).message).toMatch(/BatchNorm statistics .* INPUT_DISTRIBUTION .* DISCRIMINATION_WAIVER/s);
    }
    await writeFile(join(dir, 'waived.py'), python(['import torch', 'INPUT_SHAPES = [[2, 3]]', 'DISCRIMINATION_WAIVER = "checks only that a tiny path converts"', 'class M(torch.nn.Module):', '    def forward(self, x):', '        return x * 1e-9', 'def build():', '    return M()']));
    const manifest = await recordGolden(bridge, join(dir, 'waived.py'), { goldenRoot: join(dir, 'golden'), ci: false });
    expect(manifest.waiver).toBe('checks only that a tiny path converts');
    expect((await verifyGolden(join(dir, 'golden', 'waived'))).ok).toBe(true);
  });

  it('golden verify flags an existing golden whose outputs do not change with the input', async () => {
    const golden = await recordTiny(join(work, 'old'));
    // As a golden recorded before the check would look: every seed's output_1 the same.
    const manifest = parseManifest(await readFile(join(golden, 'manifest.json'), 'utf8'), 'manifest.json');
    const files = { ...manifest.files };
    const first = await readFile(join(golden, 'seed-5', 'output_1.npy'));
    for (const seed of [6, 7]) {
      await writeFile(join(golden, `seed-${seed}`, 'output_1.npy'), first);
      files[`seed-${seed}/output_1.npy`] = await sha256File(join(golden, `seed-${seed}`, 'output_1.npy'));
    }
    await writeFile(join(golden, 'manifest.json'), serializeManifest({ ...manifest, files }));
    const result = await verifyGolden(golden);
    expect(result.problems).toEqual([expect.stringMatching(/golden tiny cannot tell a broken converter from a correct one:\n\s+output_1: identical on every seed \(5, 6, 7\)/)]);
  });

  it('a golden recorded by a run carries accepted levels; a target clearly worse than accepted fails while under tolerance', async () => {
    const dir = join(work, 'ratchet');
    await mkdir(dir, { recursive: true });
    const fixture = join(dir, 'tiny.py');
    await copyFile(testFixture('two_outputs_noisy.py'), fixture);
    const torch = await bridge.versions();
    const { report } = await verifyModels([{ fixture }], {
      suite: defaultSuite(['onnx']),
      targets: [onnxTarget()],
      goldenRoot: join(dir, 'golden'),
      runDir: join(dir, 'run'),
      runId: 'ratchet',
      ci: false,
      bridge,
      torch,
      torchUnavailable: null,
      cwd: dir,
    });
    expect(report.summary.pass).toBe(true);
    const manifest = JSON.parse(await readFile(join(dir, 'golden', 'tiny', 'manifest.json'), 'utf8'));
    expect(manifest.accepted.onnx.maxAbsDiff).toBe(report.targets[0]!.maxAbsDiff);
    expect((await verifyGolden(join(dir, 'golden', 'tiny'))).ok).toBe(true);
    // A converter that got worse: ONNX's output_0 shifted by 2e-6, inside tiny's tolerance (1e-6 x max|ref| ~ 6e-6).
    const record = parseRunRecord(await readFile(join(dir, 'run', RUN_RECORD_FILE), 'utf8'), 'run.json');
    for (const seed of record.models[0]!.targets[0]!.seeds) {
      const file = join(dir, 'run', seed.outputs![0]!.file);
      const tensor = decodeNpy(await readFile(file));
      await writeFile(file, encodeNpy(new Tensor('float32', tensor.shape, tensor.toFloat32().data.map((v) => v + 2e-6))));
    }
    const worse = await judgeRun(record, join(dir, 'run'), defaultSuite(['onnx']));
    expect(worse.results.every((r) => r.pass)).toBe(true);
    expect(worse.checks.find((c) => c.check === 'ratchet')).toMatchObject({ pass: false, problems: [expect.stringMatching(/max\|diff\| grew to [12]\.\d+e-6, past 2 x the accepted/)] });
    expect(worse.summary.pass).toBe(false);
  });
});
