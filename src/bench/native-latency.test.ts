// `torchport bench` on a tflite-native target: the native interpreter is timed inside the
// TensorFlow worker, once on 1 thread and once on every core, each row naming its runtime.
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../harness/index.ts';
import { runCli } from '../cli/testing.ts';
import { TfWorker } from '../runtimes/tf-worker/index.ts';
import { workerHas } from '../runtimes/tf-worker/testing.ts';

const repo = new URL('../../', import.meta.url).pathname;
const probe = new TfWorker();
const available = await workerHas(probe, 'ai-edge-litert');
afterAll(() => probe.close());

describe.skipIf(!available)('torchport bench with the native LiteRT interpreter', () => {
  it('reports native latency on 1 thread and on all cores beside LiteRT.js, with the engine of each row', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-native-'));
    try {
      const argv = ['bench', join(repo, 'golden', 'seed_single_conv'), '--targets', 'tflite-fp32,tflite-native-fp32', '--time', '40', '--rounds', '2', '--warmup', '5', '--json', '--report', dir];
      const result = await runCli(argv, { cwd: repo, env: { ...process.env, CI: '1', TORCHPORT_BENCH_INJECT_SLOWDOWN: '' } });
      expect(result.code, result.err).toBe(0);
      const entries = (JSON.parse(result.out) as RunReport).latency!.entries;
      const wasm = entries.find((e) => e.target === 'tflite-fp32');
      expect(wasm).toMatchObject({ status: 'ok', timedIn: 'node', info: { engine: 'litert' } });
      const native = entries.filter((e) => e.target.startsWith('tflite-native-fp32'));
      const cores = availableParallelism();
      expect(native.map((e) => e.info?.threads)).toEqual(cores > 1 ? [1, cores] : [1]);
      for (const entry of native) {
        expect(entry).toMatchObject({ status: 'ok', timedIn: 'bridge', info: { engine: 'litert-native', backend: 'xnnpack-native' } });
        expect(entry.stats!.n).toBeGreaterThanOrEqual(4);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
