// The conversion pipeline: golden (captured graph + state_dict) -> Keras model -> TFLite variants.
// Everything a conversion produces is written as artifacts (DIR/keras/, DIR/*.tflite,
// DIR/conversion.json) so a release can be verified on the exact bytes it ships.
import type * as tf from '@tensorflow/tfjs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Golden } from '../golden/index.ts';
import { buildKerasModel, type BuildReport, type IORecord } from '../keras/builder/index.ts';
import { loadKerasH5, loadTfjsLayersModel, saveKeras3, saveKerasH5, saveTfjsLayersModel } from '../keras/io/index.ts';
import { initTfjsBackend } from '../runtimes/tfjs/index.ts';
import { executeTflite } from '../runtimes/tflite/index.ts';
import type { Tensor } from '../tensor/index.ts';
import { QUANTIZE_VARIANTS, convertKerasToTflite, type ConversionResult, type QuantizeVariant, type RecurrenceStrategy } from '../tflite/lower/index.ts';
import { DEFAULT_OBSERVER, type Observer } from '../tflite/quantize/index.ts';
import { sha256, writeFileAtomic } from '../util/index.ts';
import { ArtifactsError, CONVERSION_FILE, CONVERSION_RECORD_VERSION, artifactPath, checkArtifactFiles, hashArtifactFiles, requireListed } from './artifacts-record.ts';
import { seededRepresentativeData, type RepresentativeData } from './representative.ts';

export { ArtifactsError, CONVERSION_FILE } from './artifacts-record.ts';
export const KERAS_DIR = 'keras';
/** Keras 3's native format, written next to model.h5. */
const KERAS3_NAME = 'model.keras';

/** DIR/model.tflite, DIR/model.fp16.tflite, DIR/model.dynamic-int8.tflite, DIR/model.int8.tflite. */
export function tfliteFileName(variant: QuantizeVariant): string {
  return variant === 'fp32' ? 'model.tflite' : `model.${variant}.tflite`;
}

export interface ConvertGoldenOptions {
  readonly variants?: readonly QuantizeVariant[];
  /** Calibration samples in PyTorch's layout (default: 32 seeded samples of the golden's distribution). */
  readonly representative?: RepresentativeData;
  readonly int8Io?: boolean;
  /** int8: module paths (Keras layer names) kept in float32 (see ConvertOptions.keepFloat). */
  readonly keepFloat?: readonly string[];
  /** How LSTM / GRU are written (see ConvertOptions.recurrence; default 'loop'). */
  readonly recurrence?: RecurrenceStrategy;
  /** int8: the calibration observer (default DEFAULT_OBSERVER, docs/quantization.md). */
  readonly observer?: Observer;
}

/** Options of lowerToTflite. */
export interface LowerOptions {
  /** int8 calibration samples in PyTorch's layout (default: the golden's seeded samples). */
  readonly representative?: RepresentativeData;
  readonly int8Io?: boolean;
  /** int8 only: module paths (Keras layer names) kept in float32; ignored by the other variants. */
  readonly keepFloat?: readonly string[];
  readonly recurrence?: RecurrenceStrategy;
  readonly observer?: Observer;
}

export interface Conversion {
  readonly model: string;
  readonly keras: tf.LayersModel;
  readonly build: BuildReport | null;
  readonly io: { readonly inputs: readonly IORecord[]; readonly outputs: readonly IORecord[] };
  readonly tflite: ReadonlyMap<QuantizeVariant, ConversionResult | { readonly bytes: Uint8Array; readonly report: null }>;
  /** int8 calibration: the samples and the observer that chose the ranges (absent in records older than observers). */
  readonly representative: { readonly source: string; readonly sha256: string; readonly count: number; readonly observer?: Observer } | null;
  readonly milliseconds: { readonly keras: number; readonly tflite: Readonly<Partial<Record<QuantizeVariant, number>>> };
}

/** PyTorch-layout tensors to the Keras model's layout, per the build's IO record. */
export function toKerasLayout(tensors: readonly Tensor[], records: readonly IORecord[]): Tensor[] {
  return tensors.map((tensor, i) => tensor.toFloat32().permute(records[i]!.toKeras));
}

export function toTorchLayout(tensors: readonly Tensor[], records: readonly IORecord[]): Tensor[] {
  // A 0-d PyTorch output is a Keras / TFLite tensor of shape [1].
  return tensors.map((tensor, i) => (!records[i] ? tensor : records[i]!.torchShape.length === 0 ? tensor.reshape([]) : tensor.permute(records[i]!.toTorch)));
}

/** The Keras half of a conversion: the model built from the golden's captured graph. */
export interface KerasConversion {
  readonly model: tf.LayersModel;
  readonly build: BuildReport;
  readonly io: Conversion['io'];
  readonly milliseconds: number;
}

export async function buildKeras(golden: Golden): Promise<KerasConversion> {
  await initTfjsBackend();
  const started = performance.now();
  const { graph, constants } = await golden.graph();
  const { model, report } = buildKerasModel(graph, { weights: await golden.weights(), constants }, { name: golden.manifest.name });
  return { model, build: report, io: { inputs: report.inputs, outputs: report.outputs }, milliseconds: performance.now() - started };
}

/** The default representative dataset of a golden: seeded samples of its input distribution. */
export function defaultRepresentative(golden: Golden): RepresentativeData {
  return seededRepresentativeData(
    golden.manifest.inputs.map((s) => s.shape),
    golden.manifest.inputDistribution,
  );
}

/**
 * Lowers the Keras model to one TFLite variant (int8 calibrates on `representative`, PyTorch
 * layout). The graph inputs/outputs and the serving_default signature carry the PyTorch names
 * (input_0, ..., output_0, ...) in PyTorch's order.
 */
export async function lowerToTflite(keras: KerasConversion, golden: Golden, variant: QuantizeVariant, options: LowerOptions = {}): Promise<ConversionResult> {
  // Keras's batch: PyTorch's axis 0, except for a sequence-first input held batch first (layout [1, 0, 2]).
  const batchSize = keras.io.inputs[0]?.kerasShape[0] ?? golden.manifest.inputs[0]!.shape[0] ?? 1;
  const representative = variant === 'int8' ? (options.representative ?? defaultRepresentative(golden)) : undefined;
  return convertKerasToTflite(keras.model, {
    quantize: variant,
    batchSize,
    inputNames: keras.io.inputs.map((record) => record.name),
    outputNames: keras.io.outputs.map((record) => record.name),
    ...(representative
      ? {
          representativeData: representative.samples.map((sample) => toKerasLayout(sample, keras.io.inputs)),
          executeModel: executeTflite,
          int8Io: options.int8Io ?? false,
          ...(options.observer ? { observer: options.observer } : {}),
        }
      : {}),
    ...(variant === 'int8' && options.keepFloat?.length ? { keepFloat: options.keepFloat } : {}),
    ...(options.recurrence ? { recurrence: options.recurrence } : {}),
  });
}

/** Builds the Keras model from the golden's captured graph and lowers it to each TFLite variant. */
export async function convertGolden(golden: Golden, options: ConvertGoldenOptions = {}): Promise<Conversion> {
  const keras = await buildKeras(golden);
  const variants = options.variants ?? QUANTIZE_VARIANTS;
  const representative = variants.includes('int8') ? (options.representative ?? defaultRepresentative(golden)) : null;
  const tflite = new Map<QuantizeVariant, ConversionResult>();
  const tfliteMs: Partial<Record<QuantizeVariant, number>> = {};
  for (const variant of variants) {
    const t0 = performance.now();
    const { variants: _, representative: __, ...lowerOptions } = options;
    tflite.set(variant, await lowerToTflite(keras, golden, variant, { ...lowerOptions, ...(representative ? { representative } : {}) }));
    tfliteMs[variant] = performance.now() - t0;
  }
  return {
    model: golden.manifest.name,
    keras: keras.model,
    build: keras.build,
    io: keras.io,
    tflite,
    representative: representative ? { source: representative.source, sha256: representative.sha256, count: representative.samples.length, observer: options.observer ?? DEFAULT_OBSERVER } : null,
    milliseconds: { keras: keras.milliseconds, tflite: tfliteMs },
  };
}

/** What conversion.json records: enough to run the artifacts without the golden's graph. */
export interface ConversionRecord {
  readonly format: 'torchport-conversion';
  readonly version: typeof CONVERSION_RECORD_VERSION;
  readonly model: string;
  readonly io: Conversion['io'];
  /** keras3: the Keras 3 native file (model.keras), absent in records written before it. */
  readonly keras: { readonly modelJson: string; readonly h5: string; readonly keras3?: string; readonly layers: number | null; readonly parameters: number | null; readonly permutes: number | null };
  readonly tflite: Readonly<
    Partial<
      Record<
        QuantizeVariant,
        {
          readonly file: string;
          readonly bytes: number;
          readonly sha256: string;
          readonly operators: Readonly<Record<string, number>> | null;
          /** int8 with keepFloat: the module paths kept in float32 and the layers each covered. */
          readonly keptFloat?: NonNullable<ConversionResult['report']['keptFloat']>;
          /** int8: the layers kept unquantized because they compute indices, and why. */
          readonly keptFloatIndices?: NonNullable<ConversionResult['report']['keptFloatIndices']>;
        }
      >
    >
  >;
  readonly representative: Conversion['representative'];
  /** SHA-256 of every shipped file (Keras model.json, weight shards, model.h5, TFLite files), by path relative to DIR. */
  readonly files: Readonly<Record<string, string>>;
}

/** Writes DIR/keras/ (model.json + weights, model.h5), the TFLite files and conversion.json. */
export async function writeArtifacts(conversion: Conversion, dir: string): Promise<ConversionRecord> {
  const kerasDir = join(dir, KERAS_DIR);
  await mkdir(kerasDir, { recursive: true });
  const saved = await saveTfjsLayersModel(conversion.keras, kerasDir);
  await saveKerasH5(conversion.keras, join(kerasDir, 'model.h5'));
  await saveKeras3(conversion.keras, join(kerasDir, KERAS3_NAME));
  const tflite: Record<string, ConversionRecord['tflite'][QuantizeVariant]> = {};
  for (const [variant, result] of conversion.tflite) {
    const file = tfliteFileName(variant);
    await writeFileAtomic(join(dir, file), result.bytes);
    const keptFloat = result.report?.keptFloat;
    const keptFloatIndices = result.report?.keptFloatIndices;
    tflite[variant] = {
      file,
      bytes: result.bytes.byteLength,
      sha256: sha256(result.bytes),
      operators: result.report?.operatorHistogram ?? null,
      ...(keptFloat ? { keptFloat } : {}),
      ...(keptFloatIndices ? { keptFloatIndices } : {}),
    };
  }
  const record: ConversionRecord = {
    format: 'torchport-conversion',
    version: CONVERSION_RECORD_VERSION,
    model: conversion.model,
    io: conversion.io,
    keras: {
      modelJson: join(KERAS_DIR, saved.modelJsonPath.split('/').pop()!),
      h5: join(KERAS_DIR, 'model.h5'),
      keras3: join(KERAS_DIR, KERAS3_NAME),
      layers: conversion.build?.layerCount ?? null,
      parameters: conversion.build?.parameterCount ?? null,
      permutes: conversion.build?.permuteCount ?? null,
    },
    tflite,
    representative: conversion.representative,
    files: await hashArtifactFiles(dir),
  };
  await writeFileAtomic(join(dir, CONVERSION_FILE), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

/**
 * Reads artifacts back (for `verify --artifacts`): every shipped file is first checked against the
 * SHA-256 conversion.json recorded (nothing unlisted, no path outside DIR), then the Keras model is
 * loaded from model.json and from model.h5, and each TFLite file is read: what is verified is what ships.
 */
export async function loadArtifacts(dir: string): Promise<Conversion & { readonly kerasH5: tf.LayersModel }> {
  const path = join(dir, CONVERSION_FILE);
  const text = await readFile(path, 'utf8').catch(() => {
    throw new ArtifactsError(`${dir}: no ${CONVERSION_FILE}; artifacts are what \`torchport convert --out ${dir}\` writes`);
  });
  let record: ConversionRecord;
  try {
    record = JSON.parse(text) as ConversionRecord;
  } catch (error) {
    throw new ArtifactsError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof record !== 'object' || record === null || record.format !== 'torchport-conversion') throw new ArtifactsError(`${path}: not a torchport conversion record`);
  if (record.version !== CONVERSION_RECORD_VERSION)
    throw new ArtifactsError(`${path}: conversion record version ${JSON.stringify(record.version)}; this torchport verifies version ${CONVERSION_RECORD_VERSION} (convert again)`);
  if (typeof record.model !== 'string' || typeof record.keras !== 'object' || record.keras === null || typeof record.tflite !== 'object' || record.tflite === null) {
    throw new ArtifactsError(`${path}: "model", "keras" and "tflite" must be present`);
  }
  if (!record.io || !Array.isArray(record.io.inputs) || !Array.isArray(record.io.outputs)) throw new ArtifactsError(`${path}: "io" must list inputs and outputs`);
  const files = await checkArtifactFiles(dir, record.files);
  const modelJson = await artifactPath(dir, record.keras.modelJson, 'keras.modelJson');
  const h5 = await artifactPath(dir, record.keras.h5, 'keras.h5');
  requireListed(dir, files, record.keras.modelJson, 'keras.modelJson');
  requireListed(dir, files, record.keras.h5, 'keras.h5');
  await initTfjsBackend();
  const keras = await loadTfjsLayersModel(modelJson);
  const kerasH5 = await loadKerasH5(h5);
  const tflite = new Map<QuantizeVariant, { bytes: Uint8Array; report: null }>();
  for (const [variant, entry] of Object.entries(record.tflite) as Array<[QuantizeVariant, NonNullable<ConversionRecord['tflite'][QuantizeVariant]>]>) {
    if (!(QUANTIZE_VARIANTS as readonly string[]).includes(variant)) throw new ArtifactsError(`${path}: unknown TFLite variant ${JSON.stringify(variant)}`);
    const file = await artifactPath(dir, entry?.file, `tflite.${variant}.file`);
    requireListed(dir, files, entry.file, `tflite.${variant}.file`);
    tflite.set(variant, { bytes: new Uint8Array(await readFile(file)), report: null });
  }
  return { model: record.model, keras, kerasH5, build: null, io: record.io, tflite, representative: record.representative ?? null, milliseconds: { keras: 0, tflite: {} } };
}
