// The golden recorder's ONNX export on torch 2.x (scripts/torch_bridge.py, export_onnx): the TorchScript
// exporter first, then the dynamo exporter at opset 18 for what the first cannot convert (grouped-query
// attention, F.scaled_dot_product_attention with enable_gqa=True, as transformers' Llama calls it); ONNX Runtime
// then runs the exported model and matches torch.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/testing.ts';
import { Tensor } from '../tensor/index.ts';
import { TorchBridge } from './index.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const fixture = (name: string) => join(import.meta.dirname, 'test-fixtures', `${name}.py`);

describe('ONNX export on torch 2.x', () => {
  let bridge: TorchBridge;
  let dir: string;
  beforeAll(async () => {
    bridge = new TorchBridge();
    dir = await mkdtemp(join(tmpdir(), 'torchport-onnx-'));
  });
  afterAll(async () => {
    await bridge.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Exports `path`'s model into a fresh folder: the opset written and the files in that folder. */
  async function exportOnnx(path: string): Promise<{ opset: number; files: string[] }> {
    const handle = await bridge.loadFixture(path);
    const out = await mkdtemp(join(dir, 'export-'));
    const { opset } = await bridge.exportOnnx(
      handle,
      handle.inputShapes.map((shape) => Tensor.zeros('float32', shape)),
      join(out, 'model.onnx'),
    );
    return { opset, files: await readdir(out) };
  }

  it('falls back to the dynamo exporter at opset 18 for grouped-query attention, writing one file', async () => {
    expect(await exportOnnx(fixture('gqa_attention'))).toEqual({ opset: 18, files: ['model.onnx'] });
  });

  it('keeps the TorchScript exporter and the opset asked for where it converts the model, writing one file', async () => {
    expect(await exportOnnx(join(ROOT, 'suites', 'fixtures', 'seed_single_conv.py'))).toEqual({ opset: 17, files: ['model.onnx'] });
  });

  it('ONNX Runtime runs the exported attention and matches torch', async () => {
    const result = await runCli(['verify', fixture('gqa_attention'), '--targets', 'onnx', '--json', '--report', join(dir, 'reports')], { cwd: ROOT, env: { ...process.env, CI: 'false' } });
    const rows = (JSON.parse(result.out) as { results: Array<{ target: string; status: string; reason?: string }> }).results;
    expect(rows.map((r) => `${r.target}: ${r.status} ${r.reason ?? ''}`.trim())).toEqual(['onnx: pass', 'onnx: pass', 'onnx: pass']);
  }, 600_000);
});
