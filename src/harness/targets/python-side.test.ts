// The TensorFlow-side targets through the CLI on a committed golden, and how they are judged.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/testing.ts';
import { TfWorker } from '../../runtimes/tf-worker/index.ts';
import { workerHas } from '../../runtimes/tf-worker/testing.ts';
import { loadSuite, resolveTolerance } from '../suite/index.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const probe = new TfWorker();
const available = await workerHas(probe, 'keras');
afterAll(() => probe.close());

describe('tolerances of targets that run the same model elsewhere', () => {
  it('tflite-native-int8 and tflite-tfconverter-int8 take tflite-int8 overrides, keras-py takes keras', async () => {
    const suite = await loadSuite(join(ROOT, 'suites', 'default.json'));
    const own = resolveTolerance(suite, null, 'shufflenet_channel_shuffle', 'tflite-int8', 'output_0');
    expect(own).toMatchObject({ rule: 'quant-steps', steps: 14 });
    expect(resolveTolerance(suite, null, 'shufflenet_channel_shuffle', 'tflite-native-int8', 'output_0')).toEqual(own);
    expect(resolveTolerance(suite, null, 'shufflenet_channel_shuffle', 'tflite-tfconverter-int8', 'output_0')).toEqual(own);
    expect(resolveTolerance(suite, { atol: 3e-6, rtol: 0 }, 'x', 'keras-py', 'output_0')).toMatchObject({ rule: 'allclose', atol: 3e-6 });
  });
});

describe.skipIf(!available)('keras-py and TensorFlow-converter targets', () => {
  it("verify a golden in real Keras 3 and through TensorFlow's TFLiteConverter in the native interpreter", async () => {
    const reports = await mkdtemp(join(tmpdir(), 'python-side-'));
    try {
      const targets = 'keras-py,tflite-tfconverter-fp32,tflite-tfconverter-dynamic-int8,tflite-tfconverter-int8';
      const result = await runCli(['verify', 'golden/seed_single_conv', '--targets', targets, '--report', reports], { cwd: ROOT, env: { ...process.env, CI: '1' } });
      const report = JSON.parse(await readFile(join(reports, 'latest', 'report.json'), 'utf8')) as {
        results: Array<{ target: string; status: string }>;
        targets: Array<{ target: string; info?: { engine: string } }>;
      };
      expect(result.code, result.out).toBe(0);
      for (const target of targets.split(',')) expect(report.results.filter((r) => r.target === target).every((r) => r.status === 'pass')).toBe(true);
      expect(report.targets.find((t) => t.target === 'keras-py')?.info?.engine).toBe('keras');
      expect(report.targets.find((t) => t.target === 'tflite-tfconverter-int8')?.info?.engine).toBe('litert-native');
    } finally {
      await rm(reports, { recursive: true, force: true });
    }
  });
});
