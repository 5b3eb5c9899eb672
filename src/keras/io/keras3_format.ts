// Keras 3's native format (.keras): a zip of
//   metadata.json     {"keras_version", "date_saved"}
//   config.json       {"module", "class_name": "Functional", "config": <the model config>, "registered_name"}
//   model.weights.h5  /layers/<key>/vars/0, 1, ...  (the layer's weights in its own order)
// <key> is not the layer's name: Keras numbers layers per class in the model's layer order,
// snake_case (conv2d, conv2d_1, batch_normalization, ...). Recurrent layers keep their weights in
// their cell (lstm/cell/vars), Bidirectional in its two wrapped layers. Keras 3 reads the legacy
// (Keras 2 / TF.js) layer configs in config.json as it does in .h5 files.
import type * as tf from '@tensorflow/tfjs';
import h5wasm from 'h5wasm/node';
import { strToU8, zipSync } from 'fflate';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/index.ts';
import { KerasModelFileError } from './errors.ts';
import { addWrappedLayerModules } from './h5_format.ts';
import { captureArtifacts } from './tfjs_format.ts';

/** The Keras 3 release whose .keras layout this writer follows (metadata.json's keras_version). */
const KERAS_FORMAT_VERSION = '3.15.1';

const MODEL_MODULES: Readonly<Record<string, string>> = { Functional: 'keras.src.models.functional', Model: 'keras.src.models.functional' };
const RECURRENT = new Set(['LSTM', 'GRU', 'SimpleRNN']);

/** Keras's naming.to_snake_case for class names (Conv2D -> conv2d, BatchNormalization -> batch_normalization). */
export function kerasSnakeCase(name: string): string {
  return name
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** Where each of a layer's weights lives under its key: own vars, its cell's, or its wrapped layers'. */
function variablePaths(layer: tf.layers.Layer): string[] {
  const className = layer.getClassName();
  const count = layer.weights.length;
  if (RECURRENT.has(className)) return Array.from({ length: count }, (_, i) => `cell/vars/${i}`);
  if (className === 'Bidirectional') {
    const half = count / 2;
    return Array.from({ length: count }, (_, i) => (i < half ? `forward_layer/${innerPath(layer, i)}` : `backward_layer/${innerPath(layer, i - half)}`));
  }
  if (className === 'TimeDistributed') return Array.from({ length: count }, (_, i) => `layer/vars/${i}`);
  return Array.from({ length: count }, (_, i) => `vars/${i}`);
}

function innerPath(wrapper: tf.layers.Layer, i: number): string {
  // getConfig() is camelCase in memory (className); it becomes class_name when serialized.
  const wrapped = wrapper.getConfig()['layer'] as { className?: string; class_name?: string } | undefined;
  const inner = wrapped?.className ?? wrapped?.class_name ?? '';
  return RECURRENT.has(inner) ? `cell/vars/${i}` : `vars/${i}`;
}

/** Writes `filePath` (atomically) as a Keras 3 .keras file; load it with torchport_layers imported, like model.h5. */
export async function saveKeras3(model: tf.LayersModel, filePath: string): Promise<void> {
  const artifacts = await captureArtifacts(model);
  const topology = artifacts.modelTopology as { class_name?: string; config?: unknown };
  const className = topology.class_name ?? '';
  const module = MODEL_MODULES[className];
  if (!module) throw new KerasModelFileError(filePath, `the .keras writer takes functional models; this one is a ${className || 'model without a class name'}`);
  const config = { module, class_name: 'Functional', config: structuredClone(topology.config), registered_name: 'Functional' };
  addWrappedLayerModules(config);
  const weights = await weightsFile(model, filePath);
  const metadata = { keras_version: KERAS_FORMAT_VERSION, date_saved: new Date().toISOString().slice(0, 19).replace('T', '@') };
  // Stored, not deflated, as Keras writes it: float weights barely compress and deflating them is slow.
  const zipped = zipSync({ 'metadata.json': strToU8(JSON.stringify(metadata)), 'config.json': strToU8(JSON.stringify(config)), 'model.weights.h5': weights }, { level: 0 });
  await writeFileAtomic(filePath, zipped);
}

async function weightsFile(model: tf.LayersModel, filePath: string): Promise<Uint8Array> {
  await h5wasm.ready;
  const dir = await mkdtemp(join(tmpdir(), 'torchport-keras3-'));
  try {
    const path = join(dir, 'model.weights.h5');
    const file = new h5wasm.File(path, 'w');
    try {
      const used = new Map<string, number>();
      for (const layer of model.layers) {
        const base = kerasSnakeCase(layer.getClassName());
        const seen = used.get(base) ?? 0;
        used.set(base, seen + 1);
        const key = `layers/${seen === 0 ? base : `${base}_${seen}`}`;
        const paths = variablePaths(layer);
        if (paths.length === 0) ensureGroup(file, `${key}/vars`);
        layer.weights.forEach((variable, i) => {
          const [group, leaf] = splitPath(`${key}/${paths[i]!}`);
          const values = variable.read().dataSync();
          if (!(values instanceof Float32Array || values instanceof Int32Array)) throw new KerasModelFileError(filePath, `weight ${variable.name} has unsupported dtype ${variable.dtype}`);
          const parent = ensureGroup(file, group);
          parent.create_dataset({ name: leaf, data: values, shape: [...(variable.shape as number[])] });
          // h5wasm reports some HDF5 failures on stderr instead of throwing: check the dataset exists.
          if (!parent.keys().includes(leaf)) throw new KerasModelFileError(filePath, `HDF5 could not create ${group}/${leaf}`);
        });
      }
      ensureGroup(file, 'optimizer/vars');
    } finally {
      file.close();
    }
    return new Uint8Array(await readFile(path));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

type H5Group = InstanceType<typeof h5wasm.Group>;

function splitPath(path: string): [string, string] {
  const at = path.lastIndexOf('/');
  return [path.slice(0, at), path.slice(at + 1)];
}

function ensureGroup(root: H5Group, path: string): H5Group {
  let group = root;
  for (const part of path.split('/')) group = group.keys().includes(part) ? (group.get(part) as H5Group) : group.create_group(part);
  return group;
}
