// Issue 19 with real torch: `golden add` records PyTorch's float64 answer (checked against a float64
// run of the same fixture in a separate Python process), and a model that cannot run in float64
// gets a golden whose manifest says why, and report rows that say the rule fell back.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeNpy } from '../../tensor/index.ts';
import { TorchBridge, findTorchPython } from '../../torch/index.ts';
import { loadGolden, recordGolden, verifyGolden } from '../../golden/index.ts';
import { parseSuite } from '../suite/index.ts';
import { torchTarget } from '../targets/index.ts';
import { verifyModels } from '../verify/index.ts';
import { float16WeightsError, float64File, loadFloat64Outputs } from '../../golden/index.ts';

// Token ids as a float input cast inside forward (as the project's text fixtures do), a float
// path with a reduction deep enough for float32 to round visibly, and two outputs.
const FIXTURE = `
import torch
import torch.nn as nn

INPUT_SHAPES = [[2, 6], [2, 16]]
INPUT_DISTRIBUTION = {"kind": "uniform", "low": 0, "high": 10}
SEED = 5


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 16)
        self.mlp = nn.Sequential(nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 64), nn.GELU(), nn.Linear(64, 4))

    def forward(self, tokens, x):
        h = self.embed(tokens.long()).mean(dim=1) + x
        return self.mlp(h), torch.zeros(2, 3) + h[:, :3].exp()


def build():
    return Net()
`;

// forward() builds a float32 tensor explicitly and multiplies with it: a float64 copy cannot run.
const NO_FLOAT64 = `
import torch
import torch.nn as nn

INPUT_SHAPES = [[1, 8]]
SEED = 1


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        scale = torch.ones(8, 8, dtype=torch.float32) * 1.5
        return self.fc(x) @ scale


def build():
    return Net()
`;

// The float64 run, independently of the bridge: the fixture's model, .double(), the golden's inputs.
const REFERENCE_RUN = `
import importlib.util, sys, numpy, torch
path, out, *inputs = sys.argv[1:]
spec = importlib.util.spec_from_file_location("fixture", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
torch.manual_seed(module.SEED)
model = module.build().eval().double()
torch.set_default_dtype(torch.float64)
xs = [torch.from_numpy(numpy.load(p)) for p in inputs]
with torch.no_grad():
    ys = model(*[x.double() if x.is_floating_point() else x for x in xs])
for i, y in enumerate(ys if isinstance(ys, tuple) else (ys,)):
    numpy.save(f"{out}/output_{i}.npy", y.numpy())
`;

// What float16 weights cost, independently of the bridge: the float64 model as above and a copy with
// every floating parameter and buffer rounded to float16 first; max|r16w - r64| per output as JSON.
const FLOAT16_WEIGHTS_RUN = `
import copy, importlib.util, json, sys, numpy, torch
path, *inputs = sys.argv[1:]
spec = importlib.util.spec_from_file_location("fixture", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
torch.manual_seed(module.SEED)
model = module.build().eval()
rounded = copy.deepcopy(model)
with torch.no_grad():
    for t in list(rounded.parameters()) + list(rounded.buffers()):
        if t.is_floating_point():
            t.data = t.data.half().double()
model, rounded = model.double(), rounded.double()
torch.set_default_dtype(torch.float64)
xs = [torch.from_numpy(numpy.load(p)) for p in inputs]
xs = [x.double() if x.is_floating_point() else x for x in xs]
with torch.no_grad():
    exact, cost = model(*xs), rounded(*xs)
print(json.dumps({f"output_{i}": (a - b).abs().max().item() for i, (a, b) in enumerate(zip(cost, exact))}))
`;

describe('float64 answers recorded with real torch', () => {
  let bridge: TorchBridge;
  let work: string;
  beforeAll(async () => {
    bridge = new TorchBridge();
    work = await mkdtemp(join(tmpdir(), 'float64-record-'));
    await writeFile(join(work, 'budget_net.py'), FIXTURE);
    await writeFile(join(work, 'no_float64.py'), NO_FLOAT64);
  });
  afterAll(async () => {
    await bridge.close();
    await rm(work, { recursive: true, force: true });
  });

  it('golden add records the float64 outputs, equal to a float64 run of the fixture, and the golden verifies', async () => {
    const manifest = await recordGolden(bridge, join(work, 'budget_net.py'), { goldenRoot: join(work, 'golden'), ci: false, onnx: false, activations: false });
    expect(manifest.float64).toEqual({ outputs: ['output_0', 'output_1'] });
    const dir = join(work, 'golden', 'budget_net');
    expect(await verifyGolden(dir)).toMatchObject({ ok: true, problems: [] });
    const golden = await loadGolden(dir);
    const python = (await findTorchPython()).executable;
    for (const seed of manifest.seeds) {
      const out = await mkdtemp(join(work, 'ref-'));
      const inputs = manifest.inputs.map((spec) => join(dir, `seed-${seed}`, `${spec.name}.npy`));
      await execa(python, ['-c', REFERENCE_RUN, join(work, 'budget_net.py'), out, ...inputs]);
      const recorded = await loadFloat64Outputs(dir, manifest.float64, seed);
      if (!('outputs' in recorded)) throw new Error(recorded.unavailable);
      const float32 = await golden.outputs(seed);
      for (const [i, name] of ['output_0', 'output_1'].entries()) {
        const reference = decodeNpy(await readFile(join(out, `${name}.npy`)), name);
        const answer = recorded.outputs.get(name)!;
        expect(answer.dtype).toBe('float64');
        expect(Array.from(answer.data as Float64Array)).toEqual(Array.from(reference.data as Float64Array));
        // It is a float64 answer, not float32 widened: it differs from PyTorch's float32 output.
        expect(answer.data.some((v, j) => v !== float32[i]!.data[j])).toBe(true);
      }
    }
    expect(await readFile(join(dir, float64File(manifest.seeds[0]!, 'output_1')))).toBeTruthy();
  }, 180_000);

  it('a model that cannot run in float64: the manifest says why, rows say the rule fell back, the run still judges', async () => {
    const manifest = await recordGolden(bridge, join(work, 'no_float64.py'), { goldenRoot: join(work, 'golden'), ci: false });
    expect(manifest.float64).toEqual({ error: expect.stringMatching(/cannot run in float64 \(seed 1\): .*(dtype|Double|Float)/) });
    const dir = join(work, 'golden', 'no_float64');
    expect((await verifyGolden(dir)).ok).toBe(true);
    const { report } = await verifyModels([{ golden: dir }], {
      suite: parseSuite({ targets: ['torch'], tolerances: { targets: { torch: { rule: 'float64-budget' } } } }, null),
      targets: [torchTarget(bridge)],
      goldenRoot: join(work, 'golden'),
      runDir: join(work, 'run-no-float64'),
      runId: 'no-float64',
      ci: true,
      bridge,
      torch: await bridge.versions(),
      torchUnavailable: null,
      cwd: work,
    });
    expect(report.results.length).toBe(3);
    for (const row of report.results) {
      expect(row).toMatchObject({ status: 'pass', rule: 'float64-budget', float64: { unavailable: manifest.float64 && 'error' in manifest.float64 ? manifest.float64.error : '' } });
      expect(row.needed?.parameter).toBe('atol'); // judged by the scaled fallback
    }
  }, 180_000);

  it('golden add records what float16 weights cost (max|r16w - r64|, equal to an independent run), hashed by the manifest', async () => {
    const manifest = await recordGolden(bridge, join(work, 'budget_net.py'), { goldenRoot: join(work, 'golden16'), ci: false, onnx: false, activations: false });
    const dir = join(work, 'golden16', 'budget_net');
    expect(await verifyGolden(dir)).toMatchObject({ ok: true, problems: [] });
    const python = (await findTorchPython()).executable;
    for (const seed of manifest.seeds) {
      const inputs = manifest.inputs.map((spec) => join(dir, `seed-${seed}`, `${spec.name}.npy`));
      const expected = JSON.parse((await execa(python, ['-c', FLOAT16_WEIGHTS_RUN, join(work, 'budget_net.py'), ...inputs])).stdout) as Record<string, number>;
      for (const name of ['output_0', 'output_1']) {
        expect(expected[name]).toBeGreaterThan(0); // float16 weights cost something on this model
        expect(float16WeightsError(manifest.float16Weights, seed, name)).toBe(expected[name]);
      }
    }
    // A hand edit of the recorded cost (a looser budget) is caught and named.
    const path = join(dir, 'manifest.json');
    const raw = JSON.parse(await readFile(path, 'utf8'));
    raw.float16Weights.maxAbsDiff[String(manifest.seeds[0])].output_0 *= 10;
    await writeFile(path, JSON.stringify(raw, null, 2));
    const tampered = await verifyGolden(dir);
    expect(tampered.ok).toBe(false);
    expect(tampered.problems.join('\n')).toMatch(/manifest\.json: "float16Weights" was edited by hand since the golden was recorded/);
  }, 180_000);

  it('a model that cannot run in float64 has no float16-weights budget either, and says why', async () => {
    const manifest = await recordGolden(bridge, join(work, 'no_float64.py'), { goldenRoot: join(work, 'golden16'), ci: false, onnx: false, activations: false });
    expect(manifest.float16Weights).toEqual({ error: expect.stringMatching(/^no float64 answer to measure against: the model cannot run in float64/) });
    expect(float16WeightsError(manifest.float16Weights, manifest.seeds[0]!, 'output_0')).toBeNull();
  }, 180_000);
});
