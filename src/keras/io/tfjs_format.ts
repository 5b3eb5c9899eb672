// The TF.js layers format: model.json (topology + weights manifest) and binary weight shards.
// Saved without tfjs-node's file:// handler (not installable everywhere): tfjs hands us the
// artifacts through withSaveHandler and we write them; loading goes through fromMemory.
// model.json and its shards may come from anyone, so every path, size and count is checked
// before a byte of weights is read.
import { tf } from '../../runtimes/tfjs/index.ts';
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { registerCustomLayers } from '../builder/registry.ts';
import { adoptGroupedConvolutions } from '../layers/index.ts';
import { writeFileAtomic } from '../../util/index.ts';
import { KerasModelFileError } from './errors.ts';

export const MODEL_JSON_NAME = 'model.json';
export const WEIGHTS_BIN_NAME = 'group1-shard1of1.bin';

/** model.json is topology and a manifest; anything this large is not one. */
const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;

export interface SavedTfjsModel {
  readonly modelJsonPath: string;
  readonly weightsPath: string;
  readonly weightBytes: number;
}

/** Writes DIR/model.json and DIR/group1-shard1of1.bin (each atomically: temp file, then rename). */
export async function saveTfjsLayersModel(model: tf.LayersModel, dir: string): Promise<SavedTfjsModel> {
  const artifacts = await captureArtifacts(model);
  const weightData = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  const modelJson = {
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: 'torchport',
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_BIN_NAME], weights: artifacts.weightSpecs ?? [] }],
  };
  await mkdir(dir, { recursive: true });
  const weightsPath = path.join(dir, WEIGHTS_BIN_NAME);
  const modelJsonPath = path.join(dir, MODEL_JSON_NAME);
  // Weights first: a model.json on disk always names shards that are complete.
  await writeFileAtomic(weightsPath, new Uint8Array(weightData));
  await writeFileAtomic(modelJsonPath, JSON.stringify(modelJson));
  return { modelJsonPath, weightsPath, weightBytes: weightData.byteLength };
}

/** The artifacts tfjs would write: topology in Keras's JSON form, weight specs, one weight buffer. */
export async function captureArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured || captured.modelTopology instanceof ArrayBuffer || !captured.modelTopology) {
    throw new Error(`tfjs produced no JSON topology for model '${model.name}'`);
  }
  return captured;
}

/**
 * Loads a layers model from a model.json: the TF.js layers format (with its weight shards) or a
 * bare Keras topology as Python's `model.to_json()` writes it (weights then keep their initial
 * values, ready for transferWeights).
 */
export async function loadTfjsLayersModel(modelJsonPath: string): Promise<tf.LayersModel> {
  const json = await readModelJson(modelJsonPath);
  const fail = (problem: string): never => {
    throw new KerasModelFileError(modelJsonPath, problem);
  };
  let artifacts: tf.io.ModelArtifacts;
  if ('modelTopology' in json) {
    if (json['format'] === 'graph-model') fail('is a TF.js graph model (tfjs-converter output), not a layers model');
    const topology = json['modelTopology'];
    if (typeof topology !== 'object' || topology === null || Array.isArray(topology)) return fail('modelTopology is not a JSON object');
    const { weightSpecs, weightData } = await readWeights(modelJsonPath, json['weightsManifest']);
    artifacts = { modelTopology: topology, weightSpecs, weightData };
  } else if ('class_name' in json && 'config' in json) {
    artifacts = { modelTopology: json };
  } else {
    return fail('is neither a TF.js layers model (no "modelTopology") nor a Keras model JSON (no "class_name"/"config")');
  }
  registerCustomLayers();
  adoptGroupedConvolutions(artifacts.modelTopology);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts), { strict: true });
  } catch (error) {
    return fail(`tfjs could not build the model: ${(error as Error).message}`);
  }
}

async function readModelJson(modelJsonPath: string): Promise<Record<string, unknown>> {
  let size: number;
  try {
    size = (await stat(modelJsonPath)).size;
  } catch (error) {
    throw new KerasModelFileError(modelJsonPath, `cannot be read (${(error as Error).message})`, { cause: error });
  }
  if (size > MAX_MODEL_JSON_BYTES) throw new KerasModelFileError(modelJsonPath, `is ${size} bytes, more than the ${MAX_MODEL_JSON_BYTES}-byte limit for a model.json`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(modelJsonPath, 'utf8'));
  } catch (error) {
    throw new KerasModelFileError(modelJsonPath, `is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new KerasModelFileError(modelJsonPath, 'is not a JSON object');
  return json as Record<string, unknown>;
}

const BYTES_PER_STORED_ELEMENT: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** Reads and concatenates the shards the manifest names, after checking their paths and sizes. */
async function readWeights(modelJsonPath: string, manifest: unknown): Promise<{ weightSpecs: tf.io.WeightsManifestEntry[]; weightData: ArrayBuffer }> {
  const fail = (problem: string): never => {
    throw new KerasModelFileError(modelJsonPath, problem);
  };
  if (manifest === undefined) return { weightSpecs: [], weightData: new ArrayBuffer(0) };
  if (!Array.isArray(manifest)) return fail('weightsManifest is not an array');
  const dir = path.dirname(path.resolve(modelJsonPath));
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const shardPaths: string[] = [];
  let expectedBytes = 0;
  for (const [g, group] of manifest.entries()) {
    const { paths, weights } = (group ?? {}) as { paths?: unknown; weights?: unknown };
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) return fail(`weightsManifest[${g}].paths is not an array of strings`);
    if (!Array.isArray(weights)) return fail(`weightsManifest[${g}].weights is not an array`);
    for (const shard of paths as string[]) {
      const resolved = path.resolve(dir, shard);
      // Shards live next to model.json: an absolute path or ../ would read arbitrary files.
      if (path.isAbsolute(shard) || path.relative(dir, resolved).startsWith('..')) fail(`weight shard path ${JSON.stringify(shard)} leaves the model's directory`);
      shardPaths.push(resolved);
    }
    for (const spec of weights as tf.io.WeightsManifestEntry[]) {
      const where = `weight ${JSON.stringify(spec?.name)}`;
      if (typeof spec?.name !== 'string' || !Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        fail(`weightsManifest[${g}] has a malformed entry: ${JSON.stringify(spec).slice(0, 200)}`);
      }
      const stored = spec.quantization?.dtype ?? spec.dtype;
      const bytes = BYTES_PER_STORED_ELEMENT[stored];
      if (bytes === undefined) fail(`${where} has unsupported dtype ${JSON.stringify(stored)}`);
      expectedBytes += spec.shape.reduce((a, b) => a * b, 1) * bytes!;
      weightSpecs.push(spec);
    }
  }
  let actualBytes = 0;
  const sizes: number[] = [];
  for (const shard of shardPaths) {
    try {
      const size = (await stat(shard)).size;
      sizes.push(size);
      actualBytes += size;
    } catch (error) {
      throw new KerasModelFileError(modelJsonPath, `weight shard ${shard} cannot be read (${(error as Error).message})`, { cause: error });
    }
  }
  if (actualBytes !== expectedBytes) {
    fail(`the weights manifest describes ${expectedBytes} bytes but its ${shardPaths.length} shard(s) hold ${actualBytes} (truncated or mismatched files?)`);
  }
  const data = new Uint8Array(actualBytes);
  let offset = 0;
  for (const [i, shard] of shardPaths.entries()) {
    const bytes = await readFile(shard);
    if (bytes.byteLength !== sizes[i]) fail(`weight shard ${shard} changed size while being read`);
    data.set(bytes, offset);
    offset += bytes.byteLength;
  }
  return { weightSpecs, weightData: data.buffer };
}
