// The model-family suite (suites/families.json, suites/families/): its files, the fixtures' behaviour without
// their libraries, and, with a Python that has timm and transformers (the project's .venv: scripts/requirements.txt
// pins them; suites/families/python.ts), that the pins are what is installed, that fixtures of both libraries
// build offline beside the CPU build of torch, and that a few families convert and match torch (the ONNX export
// on torch 2.x: src/torch/onnx_export.test.ts). Under CI a missing library fails.
import { execa } from 'execa';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSuite } from '../src/harness/index.ts';
import { TorchBridge } from '../src/torch/index.ts';
import { runCli } from '../src/cli/testing.ts';
import { familyPython } from './families/python.ts';

const ROOT = join(import.meta.dirname, '..');
const FAMILIES = join(ROOT, 'suites', 'families');
const PYTHON = familyPython(ROOT);
// CI installs the libraries (npm run setup): there a missing one fails instead of skipping.
const SKIP = PYTHON === undefined && process.env['CI'] !== 'true';

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
      expect(String(error)).toMatch(/needs the Python package 'torchvision'.*run `npm run setup` \(it installs scripts\/requirements\.txt into \.venv\)/s);
    } finally {
      await bridge.close();
    }
  });
});

describe.skipIf(SKIP)('family environment (timm and transformers beside torch)', () => {
  const python = PYTHON ?? 'no interpreter with timm and transformers: run npm run setup';
  const env = { ...process.env, TORCHPORT_PYTHON: python, HF_HUB_OFFLINE: '1' };

  it('has the versions scripts/requirements.txt pins', async () => {
    const pins = Object.fromEntries([...readFileSync(join(ROOT, 'scripts', 'requirements.txt'), 'utf8').matchAll(/^(timm|transformers|torchvision|torch)==(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    expect(Object.keys(pins).sort()).toEqual(['timm', 'torch', 'torchvision', 'transformers']);
    const script = `import importlib.metadata as m, json; print(json.dumps({p: m.version(p) for p in ${JSON.stringify(Object.keys(pins))}}))`;
    const result = await execa(python, ['-c', script], { env, reject: false });
    expect(result.exitCode, result.stderr).toBe(0);
    const installed = JSON.parse(result.stdout) as Record<string, string>;
    // torch's local version (+cpu) is the build, not the release.
    expect(Object.fromEntries(Object.entries(installed).map(([p, v]) => [p, v.replace(/\+.*$/, '')]))).toEqual(pins);
  });

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
    const result = await execa(python, ['-W', 'ignore', '-c', script], { env, reject: false });
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => /^(\w+) (\([\d, ]+\)) (\S+)$/.exec(l)!);
    expect(lines.map((m) => [m[1], m[2]])).toEqual([
      ['timm_vit', '(1, 10)'],
      ['hf_llama', '(1, 8, 100)'],
    ]);
    for (const m of lines) expect(Number(m[3])).toBeGreaterThan(0.1);
  });

  // A text encoder and a vision transformer with SDPA (BERT, ViT), a timm image
  // model (ConvNeXt: LayerNorm2d traced through): recorded against torch and verified on the float targets.
  it('BERT, ViT and timm ConvNeXt convert and match torch on keras and the float TFLite variants', async () => {
    const names = ['hf_bert', 'hf_vit', 'timm_convnext'];
    const targets = ['keras', 'tflite-fp32', 'tflite-fp16', 'tflite-dynamic-int8'];
    const reports = await mkdtemp(join(tmpdir(), 'families-verify-'));
    try {
      const files = names.map((name) => join(FAMILIES, `${name}.py`));
      const result = await runCli(['verify', join(ROOT, 'suites', 'families.json'), ...files, '--targets', targets.join(','), '--json', '--report', reports], {
        cwd: ROOT,
        env: { ...env, CI: 'false' },
      });
      const rows = (JSON.parse(result.out) as { results: Array<{ model: string; target: string; status: string; reason?: string }> }).results;
      expect(new Set(rows.map((r) => `${r.model} ${r.target}`)).size).toBe(names.length * targets.length);
      expect(rows.filter((r) => r.status !== 'pass').map((r) => `${r.model} ${r.target}: ${r.status} ${r.reason ?? ''}`)).toEqual([]);
    } finally {
      await rm(reports, { recursive: true, force: true });
    }
  }, 1_800_000);
});
