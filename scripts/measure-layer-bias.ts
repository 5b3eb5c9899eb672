// Measures, for every golden's full-int8 model, the largest mean signed error of a quantized layer
// in units of its own quantization step (reported per layer in first-divergence data). Healthy
// models reach several steps: where values saturate the calibrated range, and where upstream error
// lands on a layer with a much finer grid (an SE block's 8-value FC: 4.6 steps in mobilenet_v3_block,
// even counting only unsaturated elements). So a systematic offset alone (an off-by-one zero point
// shows as one step) cannot be told from healthy error. Run: npx tsx scripts/measure-layer-bias.ts
import { buildKeras } from '../src/convert/index.ts';
import { listGoldenDirs, loadGolden } from '../src/harness/index.ts';
import { tfliteLayerErrors } from '../src/harness/targets/tflite-divergence.ts';

const rows: Array<{ golden: string; layer: string; steps: number }> = [];
for (const dir of await listGoldenDirs(new URL('../golden', import.meta.url).pathname)) {
  const golden = await loadGolden(dir);
  if ('error' in golden.manifest.graph) continue;
  const keras = await buildKeras(golden);
  const divergence = await tfliteLayerErrors(golden, keras, 'int8');
  let worst = { layer: '-', steps: 0 };
  for (const layer of divergence.layers) {
    if (layer.scale === undefined || layer.meanDiff === undefined) continue;
    const steps = Math.abs(layer.meanDiff) / layer.scale;
    if (steps > worst.steps) worst = { layer: layer.module, steps };
  }
  rows.push({ golden: golden.manifest.name, ...worst });
  keras.model.dispose();
}
rows.sort((a, b) => b.steps - a.steps);
for (const row of rows) console.log(`${row.golden.padEnd(32)} ${row.steps.toFixed(3)} steps at ${row.layer}`);
