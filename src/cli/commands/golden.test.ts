// `golden add --no-onnx --no-activations`: the two heavy parts of a golden left out, on a real
// recording with torch, against a full recording of the same fixture.
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../harness/index.ts';
import { runCli } from '../testing.ts';

const repo = new URL('../../../', import.meta.url).pathname;

describe('torchport golden add without the heavy parts', () => {
  let project: string;
  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'golden-light-'));
    await copyFile(join(repo, 'suites/fixtures/resnet_basic_block.py'), join(project, 'block.py'));
    for (const helper of ['_common.py', '_resnet.py']) await copyFile(join(repo, 'suites/fixtures', helper), join(project, helper));
  });
  afterAll(() => rm(project, { recursive: true, force: true }));

  const cli = (argv: string[]) => runCli(argv, { cwd: project, env: { ...process.env, CI: '' } });

  it('--no-onnx --no-activations leave out model.onnx and activations.safetensors; the golden verifies and the rest still runs', async () => {
    const full = await cli(['golden', 'add', 'block.py', '--name', 'full']);
    expect(full.code, full.err).toBe(0);
    const light = await cli(['golden', 'add', 'block.py', '--name', 'light', '--no-onnx', '--no-activations']);
    expect(light.code, light.err).toBe(0);

    const fullDir = join(project, 'golden', 'full');
    const lightDir = join(project, 'golden', 'light');
    for (const file of ['model.onnx', 'activations.safetensors']) {
      expect(existsSync(join(fullDir, file)), file).toBe(true);
      expect(existsSync(join(lightDir, file)), file).toBe(false);
    }
    const manifest = JSON.parse(await readFile(join(lightDir, 'manifest.json'), 'utf8'));
    expect(manifest.onnx).toEqual({ error: 'not exported: recorded with --no-onnx' });
    expect(Object.keys(manifest.files)).not.toContain('activations.safetensors');
    expect((await stat(join(lightDir, 'weights.safetensors'))).size).toBe((await stat(join(fullDir, 'weights.safetensors'))).size);

    expect((await cli(['golden', 'verify', 'light'])).code).toBe(0);
    const verified = await cli(['verify', lightDir, '--targets', 'onnx,keras,tflite-fp32', '--json', '--report', join(project, 'reports')]);
    const report = JSON.parse(verified.out) as RunReport;
    const status = (target: string) => [...new Set(report.results.filter((r) => r.target === target).map((r) => r.status))];
    expect(status('keras')).toEqual(['pass']);
    expect(status('tflite-fp32')).toEqual(['pass']);
    expect(status('onnx')).not.toContain('pass');
    expect(report.results.find((r) => r.target === 'onnx')!.reason).toMatch(/--no-onnx/);
  });
});
