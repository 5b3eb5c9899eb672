// The model-family suite (suites/families.json, suites/families/): its files, the fixtures' behaviour without
// their libraries, and, where the family environment exists (.venv-families, scripts/requirements-families.txt),
// that fixtures of both libraries build offline beside the CPU build of torch and that the golden recorder's ONNX
// export on torch 2.x writes one self-contained file.
import { execa } from 'execa';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSuite } from '../src/harness/index.ts';
import { Tensor } from '../src/tensor/index.ts';
import { TorchBridge } from '../src/torch/index.ts';

const ROOT = join(import.meta.dirname, '..');
const FAMILIES = join(ROOT, 'suites', 'families');
const VENV_PYTHON = join(ROOT, '.venv-families', 'bin', 'python');
const NO_VENV = !existsSync(VENV_PYTHON);

describe('family suite files', () => {
  it('suites/families.json loads and lists every family fixture, each golden name unique across the suites', async () => {
    const suite = await loadSuite(join(ROOT, 'suites', 'families.json'));
    const onDisk = readdirSync(FAMILIES).filter((f) => /^(timm|hf)_.*\.py$/.test(f));
    expect(suite.fixtures.map((f) => basename(f)).sort()).toEqual(onDisk.sort());
    expect(onDisk.length).toBeGreaterThanOrEqual(32);
    const bundled = readdirSync(join(ROOT, 'suites', 'fixtures')).filter((f) => f.endsWith('.py'));
    expect(onDisk.filter((f) => bundled.includes(f))).toEqual([]);
  });

  it('a family fixture whose library is missing fails naming the requirements file', async () => {
    // A fixture that hides timm and torchvision from the import system, then builds a timm family fixture.
    const dir = await mkdtemp(join(tmpdir(), 'families-missing-'));
    const fixture = join(dir, 'no_timm.py');
    await writeFile(fixture, `import sys\nsys.modules["timm"] = None\nsys.modules["torchvision"] = None\nsys.path.insert(0, ${JSON.stringify(FAMILIES)})\nfrom timm_vit import INPUT_SHAPES, build\n`);
    const bridge = new TorchBridge();
    try {
      const error = await bridge.loadFixture(fixture).catch((e: unknown) => e);
      expect(String(error)).toMatch(/needs the Python package 'torchvision'.*pip install -r scripts\/requirements-families\.txt/s);
    } finally {
      await bridge.close();
    }
  });
});

describe.skipIf(NO_VENV)('family environment (.venv-families)', () => {
  const env = { ...process.env, TORCHPORT_PYTHON: VENV_PYTHON, HF_HUB_OFFLINE: '1' };

  it('builds a timm and a transformers fixture offline; outputs depend on the input', async () => {
    const script = [
      'import sys, torch',
      `sys.path.insert(0, ${JSON.stringify(FAMILIES)})`,
      'import timm_vit, hf_llama',
      'for fixture, draw in ((timm_vit, torch.randn), (hf_llama, lambda s: torch.rand(s) * hf_llama.VOCAB)):',
      '    torch.manual_seed(fixture.SEED)',
      '    model = fixture.build().eval()',
      '    with torch.no_grad():',
      '        a, b = model(draw(fixture.INPUT_SHAPES[0])), model(draw(fixture.INPUT_SHAPES[0]))',
      '    print(fixture.__name__, tuple(a.shape), float((a - b).abs().max() / a.abs().max()))',
    ].join('\n');
    const result = await execa(VENV_PYTHON, ['-W', 'ignore', '-c', script], { env, reject: false });
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n').map((l) => /^(\w+) (\([\d, ]+\)) (\S+)$/.exec(l)!);
    expect(lines.map((m) => [m[1], m[2]])).toEqual([
      ['timm_vit', '(1, 10)'],
      ['hf_llama', '(1, 8, 100)'],
    ]);
    for (const m of lines) expect(Number(m[3])).toBeGreaterThan(0.1);
  });

  it("the golden recorder's ONNX export on torch 2.x writes model.onnx alone (no external-data file beside it)", async () => {
    const bridge = new TorchBridge({ env });
    try {
      const handle = await bridge.loadFixture(join(ROOT, 'suites', 'fixtures', 'seed_single_conv.py'));
      const dir = await mkdtemp(join(tmpdir(), 'families-onnx-'));
      await bridge.exportOnnx(handle, handle.inputShapes.map((shape) => Tensor.zeros('float32', shape)), join(dir, 'model.onnx'));
      expect(await readdir(dir)).toEqual(['model.onnx']);
    } finally {
      await bridge.close();
    }
  });
});
