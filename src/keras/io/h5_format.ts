// Keras's HDF5 model format (the "legacy" .h5 of Keras 2, which Keras 3 still loads):
//   /                      attrs keras_version, backend, model_config (JSON {class_name, config})
//   /model_weights         attrs layer_names, backend, keras_version
//   /model_weights/<layer> attr weight_names = ["<layer>/kernel:0", ...] (the layer's weight order)
//   /model_weights/<layer>/<layer>/kernel:0   the dataset (weight names contain '/', so groups)
// Name lists are fixed-length byte strings, as h5py writes numpy bytes arrays; a list too large
// for an HDF5 object header is split into <name>0, <name>1, ... exactly as Keras does.
import { tf } from '../../runtimes/tfjs/index.ts';
import h5wasm from 'h5wasm/node';
import { copyFile, open, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerCustomLayers } from '../builder/registry.ts';
import { adoptGroupedConvolutions } from '../layers/index.ts';
import { replaceAtomically } from '../../util/index.ts';
import { KerasModelFileError } from './errors.ts';
import { captureArtifacts } from './tfjs_format.ts';

type H5Group = InstanceType<typeof h5wasm.Group>;
type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

/** Keras's HDF5_OBJECT_HEADER_LIMIT: attributes above this size are chunked. */
const OBJECT_HEADER_LIMIT = 64512;
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

let ready: Promise<unknown> | undefined;
const h5 = async () => {
  ready ??= h5wasm.ready;
  await ready;
  return h5wasm;
};

/** The Python (Keras 3) twin of src/keras/layers/: written next to every model.h5. */
export const KERAS_PYTHON_LAYERS_NAME = 'torchport_layers.py';
const KERAS_PYTHON_LAYERS = fileURLToPath(new URL(`./${KERAS_PYTHON_LAYERS_NAME}`, import.meta.url));

/**
 * Writes `filePath` (atomically) in Keras's HDF5 layout, and torchport_layers.py beside it so that
 * Python Keras loads it: `import torchport_layers` then `keras.models.load_model(filePath)`.
 */
export async function saveKerasH5(model: tf.LayersModel, filePath: string): Promise<void> {
  await writeH5(model, filePath);
  await replaceAtomically(join(dirname(filePath), KERAS_PYTHON_LAYERS_NAME), (temporary) => copyFile(KERAS_PYTHON_LAYERS, temporary));
}

/**
 * Keras 3 deserializes a wrapped layer (Bidirectional's `layer`) with its new serialization rules,
 * which find a built-in class only through its `module`; TF.js writes none. Adds it (in place).
 */
export function addWrappedLayerModules(node: unknown): void {
  if (typeof node !== 'object' || node === null) return;
  if (Array.isArray(node)) return node.forEach(addWrappedLayerModules);
  const record = node as Record<string, unknown>;
  const config = record['config'] as Record<string, unknown> | undefined;
  const wrapped = record['class_name'] === 'Bidirectional' || record['class_name'] === 'TimeDistributed' ? (config?.['layer'] as Record<string, unknown> | undefined) : undefined;
  if (wrapped && typeof wrapped === 'object' && !('module' in wrapped) && !TORCHPORT_LAYER_NAMES.has(String(wrapped['class_name']))) {
    wrapped['module'] = 'keras.layers';
  }
  for (const value of Object.values(record)) addWrappedLayerModules(value);
}

const TORCHPORT_LAYER_NAMES = new Set(registerCustomLayers());

async function writeH5(model: tf.LayersModel, filePath: string): Promise<void> {
  const { File } = await h5();
  const artifacts = await captureArtifacts(model);
  const topology = artifacts.modelTopology as { class_name?: string; config?: unknown; keras_version?: string; backend?: string };
  const kerasVersion = topology.keras_version ?? `tfjs-layers ${tf.version.tfjs}`;
  const backend = topology.backend ?? 'tensor_flow.js';
  const layers = model.layers;

  await replaceAtomically(filePath, (temporary) => {
    const file = new File(temporary, 'w');
    try {
      file.create_attribute('keras_version', kerasVersion);
      file.create_attribute('backend', backend);
      const modelConfig = { class_name: topology.class_name, config: structuredClone(topology.config) };
      addWrappedLayerModules(modelConfig);
      file.create_attribute('model_config', JSON.stringify(modelConfig));
      const weightsGroup = file.create_group('model_weights');
      writeNameList(
        weightsGroup,
        'layer_names',
        layers.map((l) => l.name),
      );
      weightsGroup.create_attribute('backend', backend);
      weightsGroup.create_attribute('keras_version', kerasVersion);
      for (const layer of [...layers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        const layerGroup = weightsGroup.create_group(layer.name);
        const names = layer.weights.map((w) => `${w.originalName}:0`);
        writeNameList(layerGroup, 'weight_names', names);
        layer.weights.forEach((variable, i) => {
          const parts = names[i]!.split('/');
          let group = layerGroup;
          for (const part of parts.slice(0, -1)) group = group.keys().includes(part) ? (group.get(part) as H5Group) : group.create_group(part);
          const values = variable.read().dataSync();
          if (!(values instanceof Float32Array || values instanceof Int32Array)) throw new Error(`weight ${names[i]} has unsupported dtype ${variable.dtype}`);
          const leaf = parts[parts.length - 1]!;
          group.create_dataset({ name: leaf, data: values, shape: [...(variable.shape as number[])] });
          // h5wasm reports some HDF5 failures on stderr instead of throwing: check the dataset exists.
          if (!group.keys().includes(leaf)) throw new KerasModelFileError(filePath, `HDF5 could not create dataset model_weights/${layer.name}/${names[i]}`);
        });
      }
    } finally {
      file.close();
    }
  });
}

/** Reads a Keras .h5: the topology from `model_config`, then every layer's weights by name. */
export async function loadKerasH5(filePath: string): Promise<tf.LayersModel> {
  const { File } = await h5();
  const fail = (problem: string, cause?: unknown): never => {
    throw new KerasModelFileError(filePath, problem, cause === undefined ? undefined : { cause });
  };
  await checkSignature(filePath);
  let file: InstanceType<typeof File>;
  try {
    file = new File(filePath, 'r');
  } catch (error) {
    return fail(`HDF5 library cannot open it (${(error as Error).message ?? String(error)})`, error);
  }
  try {
    const configText = readStringAttribute(file, 'model_config');
    if (configText === undefined) return fail('has no model_config attribute (a weights-only .h5? torchport needs a full model file)');
    let config: unknown;
    try {
      config = JSON.parse(configText);
    } catch (error) {
      return fail(`model_config is not valid JSON (${(error as Error).message})`, error);
    }
    registerCustomLayers();
    adoptGroupedConvolutions(config);
    let model: tf.LayersModel;
    try {
      model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: config as object }), { strict: true });
    } catch (error) {
      return fail(`tfjs could not build the model from model_config: ${(error as Error).message}`, error);
    }
    if (!file.keys().includes('model_weights')) return fail('has no model_weights group');
    const weightsGroup = file.get('model_weights') as H5Group;
    // Weights are matched by layer name (Keras's by_name loading), so a file whose layer order
    // differs from the topology's still loads correctly; counts and shapes are checked per layer.
    const stored = readNameList(weightsGroup, 'layer_names') ?? [];
    const missing = model.layers.filter((l) => l.weights.length > 0 && !stored.includes(l.name)).map((l) => l.name);
    if (missing.length > 0) fail(`model_weights has no weights for layer(s) ${missing.join(', ')}`);
    const writes: Array<[tf.LayerVariable, tf.Tensor]> = [];
    try {
      for (const layer of model.layers) {
        if (layer.weights.length === 0) continue;
        if (!weightsGroup.keys().includes(layer.name)) fail(`model_weights/${layer.name} is missing`);
        const layerGroup = weightsGroup.get(layer.name) as H5Group;
        const names = readNameList(layerGroup, 'weight_names') ?? [];
        if (names.length !== layer.weights.length) {
          fail(`layer '${layer.name}' (${layer.getClassName()}) has ${layer.weights.length} weights but the file stores ${names.length} (${names.join(', ')})`);
        }
        layer.weights.forEach((variable, i) => {
          const where = `model_weights/${layer.name}/${names[i]}`;
          const dataset = findDataset(layerGroup, names[i]!);
          if (!dataset) return fail(`${where} is missing`);
          const shape = dataset.shape ?? [];
          const expected = variable.shape as number[];
          // The shape is checked before the values are read: a hostile file cannot make us allocate.
          if (shape.length !== expected.length || shape.some((d, axis) => d !== expected[axis])) {
            fail(`${where} is [${shape.join(', ')}] but layer '${layer.name}' needs [${expected.join(', ')}]`);
          }
          const values = dataset.value;
          if (!(values instanceof Float32Array || values instanceof Float64Array || values instanceof Int32Array)) {
            return fail(`${where} has unsupported type ${JSON.stringify(dataset.dtype)}`);
          }
          writes.push([variable, tf.tensor(values, expected, variable.dtype as 'float32' | 'int32')]);
        });
      }
      for (const [variable, value] of writes) variable.write(value);
    } finally {
      for (const [, value] of writes) value.dispose();
    }
    return model;
  } finally {
    file.close();
  }
}

async function checkSignature(filePath: string): Promise<void> {
  let size: number;
  try {
    size = (await stat(filePath)).size;
  } catch (error) {
    throw new KerasModelFileError(filePath, `cannot be read (${(error as Error).message})`, { cause: error });
  }
  const handle = await open(filePath, 'r');
  try {
    const head = new Uint8Array(8);
    await handle.read(head, 0, 8, 0);
    if (size < 8 || HDF5_SIGNATURE.some((b, i) => head[i] !== b)) throw new KerasModelFileError(filePath, 'is not an HDF5 file (signature missing)');
  } finally {
    await handle.close();
  }
}

function findDataset(group: H5Group, name: string): H5Dataset | undefined {
  let current: H5Group = group;
  const parts = name.split('/');
  for (const [i, part] of parts.entries()) {
    if (!current.keys().includes(part)) return undefined;
    const entry = current.get(part);
    if (i === parts.length - 1) return entry instanceof h5wasm.Dataset ? entry : undefined;
    if (!(entry instanceof h5wasm.Group)) return undefined;
    current = entry;
  }
  return undefined;
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function writeNameList(group: H5Group, name: string, values: readonly string[]): void {
  const width = Math.max(1, ...values.map(utf8Length));
  // numpy.array_split semantics: the first (n % k) chunks get one extra element.
  let chunks = 1;
  while (Math.ceil(values.length / chunks) * width > OBJECT_HEADER_LIMIT) chunks++;
  if (chunks === 1) {
    group.create_attribute(name, [...values], [values.length], `S${width}`);
    return;
  }
  const base = Math.floor(values.length / chunks);
  const extra = values.length % chunks;
  let start = 0;
  for (let k = 0; k < chunks; k++) {
    const count = base + (k < extra ? 1 : 0);
    group.create_attribute(`${name}${k}`, values.slice(start, start + count), [count], `S${width}`);
    start += count;
  }
}

function readNameList(group: H5Group, name: string): string[] | undefined {
  const attrs = group.attrs;
  const asList = (key: string): string[] => {
    const value = attrs[key]!.value;
    const items = Array.isArray(value) ? value : [value];
    return items.map((item) => (item instanceof Uint8Array ? new TextDecoder().decode(item) : String(item)));
  };
  if (name in attrs) return asList(name);
  if (!(`${name}0` in attrs)) return undefined;
  const out: string[] = [];
  for (let k = 0; `${name}${k}` in attrs; k++) out.push(...asList(`${name}${k}`));
  return out;
}

function readStringAttribute(group: H5Group, name: string): string | undefined {
  const attrs = group.attrs;
  if (!(name in attrs)) return undefined;
  const value = attrs[name]!.value;
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  return undefined;
}
