// Writes each golden's converted Keras model as model.h5 and model.keras (torchport's own .keras
// writer) and has real Keras 3 load both and run them on the golden's first input: the .keras
// model must compute exactly what the .h5 model computes. Usage: npx tsx scripts/check-keras3-files.ts [goldens...]
import { execa } from 'execa';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildKeras, toKerasLayout } from '../src/convert/index.ts';
import { loadGolden } from '../src/harness/index.ts';
import { saveKeras3, saveKerasH5 } from '../src/keras/io/index.ts';
import { encodeNpy } from '../src/tensor/index.ts';
import { TfWorker } from '../src/runtimes/tf-worker/index.ts';
import { writeFile } from 'node:fs/promises';

const CHECK = `
import sys, numpy as np
sys.path.insert(0, sys.argv[1])
import torchport_layers, keras
inputs = [np.load(p) for p in sys.argv[2:]]
a = keras.models.load_model(sys.argv[1] + "/model.h5", compile=False)
b = keras.models.load_model(sys.argv[1] + "/model.keras", compile=False)
x = inputs if len(inputs) > 1 else inputs[0]
ya, yb = a(x, training=False), b(x, training=False)
ya = ya if isinstance(ya, (list, tuple)) else [ya]
yb = yb if isinstance(yb, (list, tuple)) else [yb]
print(max(float(np.abs(np.asarray(p) - np.asarray(q)).max()) for p, q in zip(ya, yb)))
`;

const names = process.argv.slice(2).length ? process.argv.slice(2) : (await readdir('golden')).filter((n) => !n.startsWith('.'));
const python = new TfWorker().executable();
const dir = await mkdtemp(join(tmpdir(), 'keras3-check-'));
let failures = 0;
for (const name of names) {
  const golden = await loadGolden(join('golden', name));
  if ('error' in golden.manifest.graph) continue;
  const keras = await buildKeras(golden);
  const out = join(dir, name);
  await mkdir(out, { recursive: true });
  await saveKerasH5(keras.model, join(out, 'model.h5'));
  await saveKeras3(keras.model, join(out, 'model.keras'));
  const inputs = toKerasLayout(await golden.inputs(golden.manifest.seeds[0]!), keras.io.inputs);
  const paths = await Promise.all(
    inputs.map(async (t, i) => {
      const p = join(out, `input_${i}.npy`);
      await writeFile(p, encodeNpy(t));
      return p;
    }),
  );
  keras.model.dispose();
  const run = await execa(python, ['-c', CHECK, out, ...paths], { reject: false, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
  const diff = run.exitCode === 0 ? String(run.stdout).trim().split('\n').pop() : `FAILED: ${String(run.stderr).trim().split('\n').slice(-4).join(' ').slice(0, 1500)}`;
  if (diff !== '0.0') failures++;
  console.log(`${name}\t${diff}`);
}
await rm(dir, { recursive: true, force: true });
console.log(`${names.length - failures} of ${names.length} goldens: model.keras computes exactly what model.h5 computes in Keras 3`);
process.exitCode = failures ? 1 : 0;
