// A fresh Node process, as an app would be: TensorFlow.js alone refuses torchport's model.json
// ("Unknown layer"); after registerLayers() from torchport/layers plain tf.loadLayersModel reads it.
import { execa } from 'execa';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tf } from '../../runtimes/tfjs/index.ts';
import { HardSwish } from '../layers/index.ts';
import { saveTfjsLayersModel } from './index.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('registerLayers (torchport/layers)', () => {
  it('lets plain tf.loadLayersModel read a model with torchport layers in a process that had refused it', async () => {
    // Inside the project, so the app script resolves @tensorflow/tfjs from node_modules as an app would.
    await mkdir(join(ROOT, '.torchport-cache'), { recursive: true });
    const dir = await mkdtemp(join(ROOT, '.torchport-cache', 'register-'));
    try {
      const input = tf.input({ shape: [4] });
      const model = tf.model({ inputs: input, outputs: new HardSwish({ name: 'hswish' }).apply(input) as tf.SymbolicTensor });
      await saveTfjsLayersModel(model, dir);
      model.dispose();
      const script = join(dir, 'app.mts');
      await writeFile(
        script,
        [
          "import * as tf from '@tensorflow/tfjs';",
          "import { readFileSync } from 'node:fs';",
          `const dir = ${JSON.stringify(dir)};`,
          "const json = JSON.parse(readFileSync(`${dir}/model.json`, 'utf8'));",
          'const weights = readFileSync(`${dir}/${json.weightsManifest[0].paths[0]}`);',
          'const load = () => tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) }));',
          "const before = await load().then(() => 'loaded', (e) => String(e.message));",
          `const { registerLayers } = await import(${JSON.stringify(join(ROOT, 'src/layers.ts'))});`,
          'const names = registerLayers();',
          'const m = await load();',
          'const y = await (m.predict(tf.tensor2d([[-4, -1, 1, 4]])) as tf.Tensor).data();',
          'console.log(JSON.stringify({ before, names, y: Array.from(y) }));',
        ].join('\n'),
      );
      const result = await execa(join(ROOT, 'node_modules/.bin/tsx'), [script], { cwd: ROOT, reject: false });
      expect(result.exitCode, String(result.stderr)).toBe(0);
      const out = JSON.parse(String(result.stdout).trim().split('\n').pop()!) as { before: string; names: string[]; y: number[] };
      expect(out.before).toMatch(/Unknown layer: HardSwish/);
      expect(out.names).toContain('HardSwish');
      expect(out.names).toContain('ConstantPadding');
      // PyTorch's hardswish: x * relu6(x + 3) / 6.
      expect(out.y.map((v) => Math.round(v * 1e6) / 1e6 + 0)).toEqual([0, -0.333333, 0.666667, 4]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
