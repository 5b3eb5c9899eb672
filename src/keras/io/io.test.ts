import { tf } from '../../runtimes/tfjs/index.ts';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKerasModel, kerasInputOf, loadKerasFixture, toTorchLayout, type KerasFixtureName } from '../fixtures/index.ts';
import { createKerasRunner } from '../../runtimes/keras/index.ts';
import { initTfjsBackend } from '../../runtimes/tfjs/index.ts';
import type { Tensor } from '../../tensor/index.ts';
import { transferWeights } from '../transfer/index.ts';
import { KerasModelFileError, MODEL_JSON_NAME, WEIGHTS_BIN_NAME, loadKerasH5, loadTfjsLayersModel, saveKerasH5, saveTfjsLayersModel } from './index.ts';
import { atMost } from '../../../test/support/tolerance.ts';

const PYTHON = process.env['TORCHPORT_PYTHON'] ?? '/usr/bin/python3';
let dir: string;

beforeAll(async () => {
  await initTfjsBackend('wasm');
  dir = await mkdtemp(path.join(tmpdir(), 'torchport-keras-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function transferred(name: KerasFixtureName) {
  const fixture = await loadKerasFixture(name);
  const model = buildKerasModel(name);
  transferWeights(fixture.stateDict, model);
  return { fixture, model };
}

async function predict(model: tf.LayersModel, input: Tensor): Promise<Tensor> {
  const runner = await createKerasRunner(model);
  const [output] = await runner.run([input]);
  await runner.dispose();
  return output!;
}

describe('TF.js layers format', () => {
  for (const name of ['convnet', 'embedding'] as const) {
    it(`${name}: save then load reproduces the same outputs`, async () => {
      const { fixture, model } = await transferred(name);
      const out = path.join(dir, `tfjs-${name}`);
      const saved = await saveTfjsLayersModel(model, out);
      expect((await readdir(out)).sort()).toEqual([WEIGHTS_BIN_NAME, MODEL_JSON_NAME].sort()); // no temp files left
      const json = JSON.parse(await readFile(saved.modelJsonPath, 'utf8'));
      expect(json.format).toBe('layers-model');
      expect(json.weightsManifest[0].paths).toEqual([WEIGHTS_BIN_NAME]);

      const before = await predict(model, kerasInputOf(fixture));
      const loaded = await loadTfjsLayersModel(saved.modelJsonPath);
      const after = await predict(loaded, kerasInputOf(fixture));
      expect(after).toMatchReference(before, atMost(0));
      expect(toTorchLayout(fixture, after)).toMatchReference(fixture.torchOutput, atMost(1e-5));
    });
  }

  it('loads a bare Keras topology (model.to_json()) with fresh weights, ready for transfer', async () => {
    const { fixture, model } = await transferred('seed_conv');
    const topology = model.toJSON(null, false) as object;
    const file = path.join(dir, 'topology.json');
    await writeFile(file, JSON.stringify(topology));
    const loaded = await loadTfjsLayersModel(file);
    transferWeights(fixture.stateDict, loaded);
    expect(toTorchLayout(fixture, await predict(loaded, kerasInputOf(fixture)))).toMatchReference(fixture.torchOutput, atMost(1e-5));
  });

  it('loads a Python Keras topology whose grouped conv is Conv2D(groups=4) as GroupedConv2D', async () => {
    const { fixture, model } = await transferred('convnet');
    const topology = model.toJSON(null, false) as { config: { layers: Array<{ class_name: string; name: string }> } };
    const gconv = topology.config.layers.find((l) => l.name === 'gconv')!;
    expect(gconv.class_name).toBe('GroupedConv2D');
    gconv.class_name = 'Conv2D'; // what Python Keras writes: its Conv2D has `groups`
    const file = path.join(dir, 'python-keras.json');
    await writeFile(file, JSON.stringify(topology));
    const loaded = await loadTfjsLayersModel(file);
    expect(loaded.getLayer('gconv').getClassName()).toBe('GroupedConv2D');
    transferWeights(fixture.stateDict, loaded);
    expect(await predict(loaded, kerasInputOf(fixture))).toMatchReference(fixture.torchOutput, atMost(1e-5));
  });

  it('refuses hostile or broken files with a typed error', async () => {
    const { model } = await transferred('seed_conv');
    const out = path.join(dir, 'hostile');
    const saved = await saveTfjsLayersModel(model, out);
    const json = JSON.parse(await readFile(saved.modelJsonPath, 'utf8'));
    const variant = async (mutate: (j: any) => void) => {
      const copy = structuredClone(json);
      mutate(copy);
      const file = path.join(out, `variant-${Math.random().toString(16).slice(2)}.json`);
      await writeFile(file, JSON.stringify(copy));
      return loadTfjsLayersModel(file);
    };
    await expect(variant((j) => (j.weightsManifest[0].paths = ['../../etc/passwd']))).rejects.toThrow(/leaves the model's directory/);
    await expect(variant((j) => (j.weightsManifest[0].paths = ['/etc/passwd']))).rejects.toThrow(/leaves the model's directory/);
    await expect(variant((j) => (j.weightsManifest[0].weights[0].shape = [3, 3, 3, 100]))).rejects.toThrow(/describes 10800 bytes but its 1 shard\(s\) hold 108/);
    await expect(variant((j) => (j.format = 'graph-model'))).rejects.toThrow(/graph model/);
    await expect(variant((j) => (j.modelTopology.config.layers[1].class_name = 'NoSuchLayer'))).rejects.toThrow(/tfjs could not build the model/);
    const notJson = path.join(out, 'broken.json');
    await writeFile(notJson, '{"modelTopology": ');
    await expect(loadTfjsLayersModel(notJson)).rejects.toBeInstanceOf(KerasModelFileError);
    await truncate(saved.weightsPath, 10);
    await expect(loadTfjsLayersModel(saved.modelJsonPath)).rejects.toMatchObject({ code: 'E_KERAS_MODEL_FILE' });
  });
});

describe('Keras HDF5 format', () => {
  it('convnet: save then load reproduces the same outputs', async () => {
    const { fixture, model } = await transferred('convnet');
    const file = path.join(dir, 'convnet.h5');
    await saveKerasH5(model, file);
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const before = await predict(model, kerasInputOf(fixture));
    const loaded = await loadKerasH5(file);
    const after = await predict(loaded, kerasInputOf(fixture));
    expect(after).toMatchReference(before, atMost(0));
    expect(toTorchLayout(fixture, after)).toMatchReference(fixture.torchOutput, atMost(1e-5));
  });

  it("has Keras's documented layout, as h5py reads it", async () => {
    const { model } = await transferred('convnet');
    const file = path.join(dir, 'layout.h5');
    await saveKerasH5(model, file);
    const script = `
import json, sys, h5py
f = h5py.File(sys.argv[1], 'r')
def text(v): return v.decode('utf8') if isinstance(v, bytes) else str(v)
mw = f['model_weights']
out = {
  'root_attrs': sorted(f.attrs.keys()),
  'keras_version': text(f.attrs['keras_version']),
  'backend': text(f.attrs['backend']),
  'model_config': json.loads(text(f.attrs['model_config'])),
  'layer_names': [text(n) for n in mw.attrs['layer_names']],
  'layer_names_dtype': mw.attrs['layer_names'].dtype.kind,
  'weights': {},
}
for layer in out['layer_names']:
  names = [text(n) for n in mw[layer].attrs['weight_names']]
  out['weights'][layer] = [[n, list(mw[layer][n].shape), mw[layer][n].dtype.str, mw[layer][n][()].ravel().tolist()] for n in names]
print(json.dumps(out))
`;
    const seen = JSON.parse(execFileSync(PYTHON, ['-c', script, file], { encoding: 'utf8' }));
    expect(seen.root_attrs).toEqual(['backend', 'keras_version', 'model_config']);
    expect(seen.keras_version).toMatch(/tfjs-layers/);
    expect(seen.model_config.class_name).toBeTypeOf('string');
    expect(seen.model_config.config.layers.map((l: { name: string }) => l.name)).toEqual(model.layers.map((l) => l.name));
    expect(seen.layer_names).toEqual(model.layers.map((l) => l.name));
    expect(seen.layer_names_dtype).toBe('S'); // fixed-length bytes, as Keras writes them
    for (const layer of model.layers) {
      const stored = seen.weights[layer.name] as Array<[string, number[], string, number[]]>;
      expect(stored.map(([n]) => n)).toEqual(layer.weights.map((w) => `${layer.name}/${w.originalName.split('/').pop()}:0`));
      layer.weights.forEach((w, i) => {
        const [, shape, dtype, values] = stored[i]!;
        expect(shape).toEqual(w.shape);
        expect(dtype).toBe('<f4');
        expect(Float32Array.from(values)).toEqual(w.read().dataSync());
      });
    }
    expect(seen.weights['bn1'].map(([n]: [string]) => n)).toEqual(['bn1/gamma:0', 'bn1/beta:0', 'bn1/moving_mean:0', 'bn1/moving_variance:0']);
  });

  it('splits name lists too large for an HDF5 object header, as Keras does', async () => {
    const long = (tag: string) => `${tag}_${'n'.repeat(40_000)}`; // two names: 80 KB > the 64512-byte limit
    const input = tf.input({ shape: [2], name: long('in') });
    const output = tf.layers.dense({ units: 1, name: long('dense') }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    const file = path.join(dir, 'chunked.h5');
    await saveKerasH5(model, file);
    const script = `
import json, sys, h5py
mw = h5py.File(sys.argv[1], 'r')['model_weights']
print(json.dumps(sorted(k for k in mw.attrs.keys() if k.startswith('layer_names'))))
`;
    expect(JSON.parse(execFileSync(PYTHON, ['-c', script, file], { encoding: 'utf8' }))).toEqual(['layer_names0', 'layer_names1']);
    const loaded = await loadKerasH5(file);
    expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    expect(loaded.layers[1]!.getWeights()[0]!.dataSync()).toEqual(model.layers[1]!.getWeights()[0]!.dataSync());
  });

  it('reads a file written by h5py in the same layout (chunked name lists included)', async () => {
    const { fixture, model } = await transferred('seed_conv');
    const config = JSON.stringify({ class_name: 'Functional', config: (model.toJSON(null, false) as { config: object }).config });
    const kernel = model.getLayer('conv').weights[0]!.read().dataSync();
    const file = path.join(dir, 'from-h5py.h5');
    const script = `
import sys, json, h5py, numpy as np
path, config, kernel = sys.argv[1], sys.argv[2], np.array(json.loads(sys.argv[3]), dtype='<f4').reshape(3, 3, 3, 1)
with h5py.File(path, 'w') as f:
  f.attrs['keras_version'] = b'2.13.1'
  f.attrs['backend'] = b'tensorflow'
  f.attrs['model_config'] = config.encode('utf8')
  mw = f.create_group('model_weights')
  mw.attrs['layer_names0'] = np.array([b'x'])
  mw.attrs['layer_names1'] = np.array([b'conv'])
  g = mw.create_group('conv')
  g.attrs['weight_names'] = np.array([b'conv/kernel:0'])
  g.create_dataset('conv/kernel:0', data=kernel)
`;
    execFileSync(PYTHON, ['-c', script, file, config, JSON.stringify(Array.from(kernel))]);
    const loaded = await loadKerasH5(file);
    expect(toTorchLayout(fixture, await predict(loaded, kerasInputOf(fixture)))).toMatchReference(fixture.torchOutput, atMost(1e-5));
  });

  it('refuses files that are not Keras HDF5 models', async () => {
    const notH5 = path.join(dir, 'not.h5');
    await writeFile(notH5, 'definitely not hdf5');
    await expect(loadKerasH5(notH5)).rejects.toThrow(/not an HDF5 file/);
    await expect(loadKerasH5(path.join(dir, 'absent.h5'))).rejects.toMatchObject({ code: 'E_KERAS_MODEL_FILE' });

    const { model } = await transferred('seed_conv');
    const config = JSON.stringify({ class_name: 'Functional', config: (model.toJSON(null, false) as { config: object }).config });
    const wrongShape = path.join(dir, 'wrong-shape.h5');
    execFileSync(PYTHON, [
      '-c',
      `
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], 'w') as f:
  f.attrs['model_config'] = sys.argv[2].encode('utf8')
  mw = f.create_group('model_weights')
  mw.attrs['layer_names'] = np.array([b'x', b'conv'])
  g = mw.create_group('conv')
  g.attrs['weight_names'] = np.array([b'conv/kernel:0'])
  g.create_dataset('conv/kernel:0', data=np.zeros((5, 5, 3, 1), dtype='<f4'))
`,
      wrongShape,
      config,
    ]);
    await expect(loadKerasH5(wrongShape)).rejects.toThrow(/model_weights\/conv\/conv\/kernel:0 is \[5, 5, 3, 1\] but layer 'conv' needs \[3, 3, 3, 1\]/);

    const weightsOnly = path.join(dir, 'weights-only.h5');
    execFileSync(PYTHON, ['-c', `import sys, h5py\nh5py.File(sys.argv[1], 'w').create_group('model_weights')`, weightsOnly]);
    await expect(loadKerasH5(weightsOnly)).rejects.toThrow(/no model_config/);
  });
});
