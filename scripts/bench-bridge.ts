// Measures what the PyTorch bridge costs: worker startup (the one `import torch` a run pays) and the
// per-fixture overhead after that (load a fixture, run it once, unload), on a trivial model so the
// numbers are the bridge's, not the model's. Run: npx tsx scripts/bench-bridge.ts
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { Tensor } from '../src/tensor/index.ts';
import { TorchBridge } from '../src/torch/index.ts';

const dir = await mkdtemp(join(tmpdir(), 'bench-bridge-'));
const fixture = join(dir, 'identity.py');
await writeFile(fixture, 'import torch.nn as nn\nINPUT_SHAPES = [[1, 4]]\n\ndef build():\n    return nn.Identity()\n');
const conv = new URL('../suites/fixtures/conv_dw_bn_relu6_linear.py', import.meta.url).pathname;

const bridge = new TorchBridge();
const started = performance.now();
const versions = await bridge.versions();
const startupMs = performance.now() - started;

const input = Tensor.fromNumbers([1, 4], [1, 2, 3, 4]);
const convInput = Tensor.zeros('float32', [1, 3, 32, 32]);
const loaded = await bridge.loadFixture(fixture);
const bench = new Bench({ iterations: 30, warmupIterations: 3, time: 0 });
bench
  .add('fixture round trip (load + run + unload), Identity', async () => {
    const handle = await bridge.loadFixture(fixture);
    await bridge.run(handle, [input]);
    await bridge.unload(handle);
  })
  .add('run only (fixture already loaded), Identity', async () => {
    await bridge.run(loaded, [input]);
  })
  .add('fixture round trip, conv_dw_bn_relu6_linear (1x3x32x32)', async () => {
    const handle = await bridge.loadFixture(conv);
    await bridge.run(handle, [convInput]);
    await bridge.unload(handle);
  });
await bench.run();
await bridge.close();
await rm(dir, { recursive: true, force: true });

console.log(`torch ${versions.torch}, Python ${versions.python} (${versions.executable})`);
console.log(`worker startup (spawn + import torch + ready): ${startupMs.toFixed(0)} ms, paid once per run`);
for (const task of bench.tasks) {
  const r = task.result!;
  const latency = (r as unknown as { latency: { p50: number; p99: number; mean: number; samplesCount?: number } }).latency;
  console.log(`${task.name}: p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms, mean ${latency.mean.toFixed(2)} ms`);
}
