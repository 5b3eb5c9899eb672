// Targets on converted models: the Keras model and each TFLite variant. One conversion per golden
// serves all five targets of a run (or the artifacts of `torchport convert`, with --artifacts).
import type { Conversion, KerasConversion } from '../../convert/index.ts';
import { TorchportError } from '../../errors.ts';
import { Tensor } from '../../tensor/index.ts';
import type { InspectedTensor, TfliteInspection } from '../../tflite/index.ts';
import type { QuantizeVariant } from '../../tflite/lower/index.ts';
import type { Runner } from '../../runtimes/index.ts';
import type { Golden } from '../../golden/index.ts';
import { kerasLayerErrors } from './divergence.ts';
import { TargetUnavailableError, type ModelStructure, type SelfTimedLatency, type Target } from './target.ts';

export class ConversionFailedError extends TorchportError {
  readonly code = 'E_CONVERSION';
  override readonly exitCode = 1 as const;
}

/** Where a target gets the converted models of a golden from. */
export interface ConversionSource {
  keras(golden: Golden): Promise<KerasConversion | (Pick<KerasConversion, 'model' | 'io'> & { readonly build: null; readonly h5?: KerasConversion['model'] })>;
  tflite(golden: Golden, variant: QuantizeVariant): Promise<Uint8Array>;
  /** The same variant converted in debug mode (every layer output exposed), for first-divergence reports. */
  tfliteDebug?(golden: Golden, variant: QuantizeVariant): Promise<Uint8Array>;
}

/**
 * Converts lazily and once per golden: the Keras model when a target first needs it, each TFLite
 * variant when its target runs (a variant that cannot be lowered fails only its own target). Only
 * the latest golden's models are kept, so a long suite does not hold every model in memory.
 */
export function conversionCache(): ConversionSource {
  let current: { dir: string; keras: Promise<KerasConversion>; tflite: Map<QuantizeVariant, Promise<Uint8Array>> } | undefined;
  const entryFor = async (golden: Golden) => {
    if (current?.dir !== golden.dir) {
      const previous = current?.keras;
      const { buildKeras } = await import('../../convert/index.ts'); // tfjs loads only when a converted target runs
      current = { dir: golden.dir, keras: buildKeras(golden), tflite: new Map() };
      previous?.then((k) => k.model.dispose()).catch(() => undefined);
    }
    return current;
  };
  return {
    async keras(golden) {
      return (await entryFor(golden)).keras;
    },
    async tflite(golden, variant) {
      const entry = await entryFor(golden);
      let bytes = entry.tflite.get(variant);
      if (!bytes) {
        const { lowerToTflite } = await import('../../convert/index.ts');
        bytes = entry.keras.then((keras) => lowerToTflite(keras, golden, variant)).then((result) => result.bytes);
        entry.tflite.set(variant, bytes);
      }
      return bytes;
    },
    async tfliteDebug(golden, variant) {
      const entry = await entryFor(golden);
      const { convertForDivergence } = await import('./tflite-divergence.ts');
      return convertForDivergence(golden, await entry.keras, variant);
    },
  };
}

/** The artifacts of `torchport convert` (one model): verify exactly the bytes that ship. */
export function artifactsSource(dir: string): ConversionSource {
  let loaded: ReturnType<typeof import('../../convert/index.ts').loadArtifacts> | undefined;
  const load = async (golden: Golden): Promise<Conversion & { readonly kerasH5: KerasConversion['model'] }> => {
    const { loadArtifacts } = await import('../../convert/index.ts');
    loaded ??= loadArtifacts(dir);
    const conversion = await loaded;
    if (conversion.model !== golden.manifest.name) {
      throw new ConversionFailedError(`artifacts in ${dir} were converted from ${conversion.model}, not ${golden.manifest.name}; verify them against golden/${conversion.model}`);
    }
    return conversion;
  };
  return {
    async keras(golden) {
      const conversion = await load(golden);
      return { model: conversion.keras, io: conversion.io, build: null, h5: conversion.kerasH5 };
    },
    async tflite(golden, variant) {
      const bytes = (await load(golden)).tflite.get(variant)?.bytes;
      if (!bytes) throw new TargetUnavailableError(`the artifacts in ${dir} have no ${variant} TFLite model`);
      return bytes;
    },
  };
}

/**
 * A golden whose recording could not capture a graph cannot be converted: its converted targets are
 * skipped with the recorded reason (and, being skips, fail the run unless allowed). Every other
 * failure to read the golden is an error of the row, never a skip.
 */
function requireGraph(golden: Golden): void {
  const graph = golden.manifest.graph;
  if ('error' in graph) throw new TargetUnavailableError(`golden ${golden.manifest.name} has no captured graph (capture failed when it was recorded: ${graph.error})`);
}

/** The Keras (TF.js layers) model built from the golden's graph, run on the active tfjs backend. */
export function kerasTarget(source: ConversionSource): Target {
  return {
    name: 'keras',
    async open(golden) {
      requireGraph(golden);
      const conversion = await source.keras(golden);
      const [{ createKerasRunner }, { toKerasLayout, toTorchLayout }] = await Promise.all([import('../../runtimes/keras/index.ts'), import('../../convert/index.ts')]);
      const runner = await createKerasRunner(conversion.model, { disposeModel: false });
      // Shipped artifacts carry the model twice (model.json + shards, model.h5): both must compute the same.
      const h5 = 'h5' in conversion && conversion.h5 ? await createKerasRunner(conversion.h5, { disposeModel: false }) : null;
      return {
        info: runner.info,
        run: async (inputs) => {
          const kerasInputs = toKerasLayout(inputs, conversion.io.inputs);
          const outputs = await runner.run(kerasInputs);
          if (h5) sameOutputs(outputs, await h5.run(kerasInputs));
          return toTorchLayout(outputs, conversion.io.outputs);
        },
        close: async () => {
          await runner.dispose();
          await h5?.dispose();
        },
        ...(conversion.build ? { diagnose: () => kerasLayerErrors(golden, conversion as KerasConversion) } : {}),
      };
    },
  };
}

/** The model.h5 of the artifacts must reproduce model.json's outputs bit for bit (same weights, same backend). */
function sameOutputs(fromJson: readonly Tensor[], fromH5: readonly Tensor[]): void {
  fromJson.forEach((tensor, i) => {
    const a = tensor.toFloat32().data;
    const b = fromH5[i]?.toFloat32().data;
    let worst = b && b.length === a.length ? 0 : Infinity;
    for (let k = 0; b && k < a.length && worst !== Infinity; k++) worst = Math.max(worst, Math.abs(a[k]! - b[k]!));
    if (worst !== 0) throw new ConversionFailedError(`model.h5 does not compute what model.json computes (output ${i}: max|diff| ${worst}); the shipped .h5 is not the verified model`);
  });
}

/** A TFLite runtime a variant can be run in: LiteRT.js (WebAssembly) or the native LiteRT interpreter. */
export interface TfliteEngine {
  /** Prefix of the target name: `tflite` (LiteRT.js) or `tflite-native`. */
  readonly prefix: string;
  open(bytes: Uint8Array, name: string): Promise<Runner>;
  /** Latency timed inside the engine (see OpenTarget.selfTimed); absent: bench times `run`. */
  selfTimed?(bytes: Uint8Array, name: string, targetName: string, inputs: readonly Tensor[]): Promise<SelfTimedLatency[]>;
}

const LITERT_JS: TfliteEngine = {
  prefix: 'tflite',
  async open(bytes, name) {
    const { createTfliteRunner } = await import('../../runtimes/tflite/index.ts');
    return createTfliteRunner(bytes, { name });
  },
};

/** One TFLite variant of the converted model, run in the official LiteRT runtime (LiteRT.js unless `engine` says otherwise). */
export function tfliteTarget(variant: QuantizeVariant, source: ConversionSource, engine: TfliteEngine = LITERT_JS): Target {
  return {
    name: `${engine.prefix}-${variant}`,
    async open(golden) {
      requireGraph(golden);
      const conversion = await source.keras(golden);
      const bytes = await source.tflite(golden, variant);
      const [{ toKerasLayout, toTorchLayout }, { inspectTflite }] = await Promise.all([import('../../convert/index.ts'), import('../../tflite/index.ts')]);
      const runner = await engine.open(bytes, `${golden.manifest.name} (${variant})`);
      const inspection = inspectTflite(bytes);
      const modelInputs = (inputs: readonly Tensor[]) => toKerasLayout(inputs, conversion.io.inputs).map((t, i) => quantizeInputIfNeeded(t, inspection.inputs[i]));
      return {
        info: runner.info,
        structure: await tfliteStructure(inspection, bytes),
        outputScales: outputScales(inspection),
        ...(conversion.build && source.tfliteDebug
          ? {
              diagnose: async () => {
                const { tfliteLayerErrors } = await import('./tflite-divergence.ts');
                return tfliteLayerErrors(golden, conversion as KerasConversion, variant, { bytes: await source.tfliteDebug!(golden, variant) });
              },
            }
          : {}),
        ...(engine.selfTimed ? { selfTimed: (inputs: readonly Tensor[]) => engine.selfTimed!(bytes, golden.manifest.name, `${engine.prefix}-${variant}`, modelInputs(inputs)) } : {}),
        run: async (inputs: readonly Tensor[]) => {
          const outputs = await runner.run(modelInputs(inputs));
          return toTorchLayout(
            outputs.map((t, i) => dequantizeIfNeeded(t, inspection.outputs[i])),
            conversion.io.outputs,
          );
        },
        close: () => runner.dispose(),
      };
    },
  };
}

/** Operator histogram, size and custom / Flex ops of a TFLite model, for the structural checks. */
export async function tfliteStructure(inspection: TfliteInspection, bytes: Uint8Array): Promise<ModelStructure> {
  const [{ readTflite }, { int8ParameterProblems }] = await Promise.all([import('../../tflite/index.ts'), import('../../tflite/quantize/index.ts')]);
  // A file torchport's reader cannot decode (another converter's) is still run and judged by
  // LiteRT; only the int8 rule check, which needs every tensor's parameters, is left out for it.
  let int8Parameters: string[];
  try {
    int8Parameters = int8ParameterProblems(readTflite(bytes).model);
  } catch {
    int8Parameters = [];
  }
  return {
    ops: inspection.operatorHistogram,
    bytes: bytes.byteLength,
    customOps: Object.keys(inspection.operatorHistogram).filter((op) => op === 'CUSTOM' || op.startsWith('Flex')),
    int8Parameters,
  };
}

/**
 * The scale of the quantized tensor each output was dequantized from: the output's own scale for
 * int8 I/O, else the scale of the DEQUANTIZE op's input that produced it. Null for float outputs.
 */
function outputScales(inspection: TfliteInspection): Array<number | null> {
  return inspection.outputs.map((output) => {
    const own = output.quantization?.scale?.[0];
    if (own !== undefined) return own;
    const producer = inspection.operators.find((op) => op.name === 'DEQUANTIZE' && op.outputs.includes(output.index));
    const source = producer ? inspection.tensors[producer.inputs[0]!] : undefined;
    return source?.quantization?.scale?.[0] ?? null;
  });
}

/** int8-I/O models take quantized inputs: q = round(x / scale) + zeroPoint, clamped to int8. */
export function quantizeInputIfNeeded(tensor: Tensor, input: InspectedTensor | undefined): Tensor {
  if (!input || input.type !== 'int8' || !input.quantization?.scale?.length) return tensor;
  const scale = input.quantization.scale[0]!;
  const zero = Number(input.quantization.zeroPoint?.[0] ?? 0);
  const values = tensor.toFloat32().data;
  const out = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.max(-128, Math.min(127, Math.round(values[i]! / scale) + zero));
  return new Tensor('int8', tensor.shape, out);
}

/** int8 outputs back to floats: x = (q - zeroPoint) * scale. */
export function dequantizeIfNeeded(tensor: Tensor, output: InspectedTensor | undefined): Tensor {
  if (tensor.dtype !== 'int8' && tensor.dtype !== 'uint8') return tensor;
  const scale = output?.quantization?.scale?.[0] ?? 1;
  const zero = Number(output?.quantization?.zeroPoint?.[0] ?? 0);
  const values = tensor.data as Int8Array | Uint8Array;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = (values[i]! - zero) * scale;
  return new Tensor('float32', tensor.shape, out);
}
