// LiteRT latency and operator count of a converted LSTM / bidirectional LSTM / GRU as the
// sequence grows, for both recurrence strategies (src/tflite/lower/loop.ts): the WHILE loop, whose
// operator count stays flat, and the unrolled cells. Random seeded weights; batch 1; fp32.
//
//   npx tsx scripts/bench-recurrent.ts [--steps 6,32,128] [--units 64] [--features 32] [--warmup 20] [--runs 200]
//
// Latency: warm-up runs are not measured; each measured run includes copying the input in and
// reading the output back. Single-threaded LiteRT (compat wasm build under plain Node).
import { tf } from '../src/runtimes/tfjs/index.ts';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { TorchGRU } from '../src/keras/layers/index.ts';
import { initTfjsBackend } from '../src/runtimes/tfjs/index.ts';
import { createTfliteRunner } from '../src/runtimes/tflite/index.ts';
import { seededInput } from '../src/tensor/index.ts';
import { RECURRENCE_STRATEGIES, convertKerasToTflite, type RecurrenceStrategy } from '../src/tflite/lower/index.ts';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '6,32,128' },
    units: { type: 'string', default: '64' },
    features: { type: 'string', default: '32' },
    warmup: { type: 'string', default: '20' },
    runs: { type: 'string', default: '200' },
  },
});
const stepsList = args.steps.split(',').map(Number);
const units = Number(args.units);
const features = Number(args.features);
const warmup = Number(args.warmup);
const runs = Number(args.runs);

await initTfjsBackend('wasm');

const cells: Record<string, () => tf.layers.Layer> = {
  lstm: () => tf.layers.lstm({ units, recurrentActivation: 'sigmoid', returnSequences: true }),
  'bidirectional lstm': () => tf.layers.bidirectional({ layer: tf.layers.lstm({ units, recurrentActivation: 'sigmoid', returnSequences: true }) as never, mergeMode: 'concat' }),
  gru: () => new TorchGRU({ units }),
};

console.log(`units ${units}, features ${features}, batch 1, fp32; ${runs} runs after ${warmup} warm-up`);
console.log(['cell', 'steps', 'recurrence', 'ops', 'file KiB', 'p50 ms', 'p90 ms', 'mean ms', 'us/step'].join('\t'));
async function measure(name: string, make: () => tf.layers.Layer, steps: number, recurrence: RecurrenceStrategy): Promise<string> {
  const input = tf.input({ shape: [steps, features] });
  const model = tf.model({ inputs: input, outputs: make().apply(input) as tf.SymbolicTensor });
  model.setWeights(model.getWeights().map((w, k) => tf.tensor(seededInput([...w.shape], { kind: 'normal', mean: 0, std: 0.3 }, 1, k).data, w.shape)));
  const { bytes, report } = await convertKerasToTflite(model, { quantize: 'fp32', recurrence });
  model.dispose();
  const runner = await createTfliteRunner(bytes, { name: `${name} x ${steps}` });
  const x = seededInput([1, steps, features], { kind: 'normal', mean: 0, std: 1 }, 2, 0);
  const times: number[] = [];
  try {
    for (let i = 0; i < warmup; i++) await runner.run([x]);
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      await runner.run([x]);
      times.push(performance.now() - start);
    }
  } finally {
    await runner.dispose();
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  return [name, steps, recurrence, report.operatorCount, (bytes.byteLength / 1024).toFixed(1), at(0.5).toFixed(4), at(0.9).toFixed(4), mean.toFixed(4), ((at(0.5) * 1000) / steps).toFixed(2)].join(
    '\t',
  );
}

for (const [name, make] of Object.entries(cells)) {
  for (const steps of stepsList) {
    for (const recurrence of RECURRENCE_STRATEGIES) console.log(await measure(name, make, steps, recurrence));
  }
}
