// Targets over a model file made by any converter (`verify GOLDEN --tflite FILE` / `--keras FILE`):
// a .tflite in LiteRT.js and in the native interpreter, a Keras .h5 / model.json in TF.js, a .h5 /
// .keras in real Keras 3. Inputs and outputs are paired with the golden's by name, position or
// shape and layout (io-match.ts); rows are judged like torchport's own model of the same kind.
import type * as tf from '@tensorflow/tfjs';
import { readFile, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { TorchportError, describeError } from '../../errors.ts';
import type { Runner } from '../../runtimes/index.ts';
import { Tensor, channelsFirstAxes } from '../../tensor/index.ts';
import type { TfliteInspection } from '../../tflite/index.ts';
import type { QuantizeVariant } from '../../tflite/lower/index.ts';
import { layerErrorMetrics } from '../compare/index.ts';
import type { Golden } from '../../golden/index.ts';
import { divergenceOf, probeLayerOutputs } from './divergence.ts';
import { dequantizeIfNeeded, quantizeInputIfNeeded, tfliteStructure } from './converted.ts';
import { fittingLayouts, matchIo, toGoldenOutputs, toModelInputs, type IoBinding, type LayoutChoice, type ModelPort } from './io-match.ts';
import { nativeSelfTimed, unlessUnavailable } from './python-side.ts';
import { TargetUnavailableError, type Divergence, type DivergentLayer, type OpenTarget, type Target } from './target.ts';

/** The model file cannot be used at all (unknown kind, unreadable). Bad input: exit 2. */
export class ModelFileError extends TorchportError {
  readonly code = 'E_MODEL_FILE';
}

export type ModelFileKind = 'tflite' | 'keras';

export interface ModelFile {
  readonly kind: ModelFileKind;
  readonly path: string;
  /** Forces the layout of every tensor of rank >= 3 (--layout). */
  readonly layout?: LayoutChoice;
}

/** The targets a model file runs on, by format; their names say the engine and (TFLite) the variant. */
export async function fileTargets(file: ModelFile): Promise<Target[]> {
  const info = await stat(file.path).catch(() => null);
  if (!info) throw new ModelFileError(`--${file.kind} ${file.path}: no such file`);
  if (!info.isFile()) throw new ModelFileError(`--${file.kind} ${file.path}: not a file`);
  const ext = extname(file.path).toLowerCase();
  if (file.kind === 'tflite') {
    const bytes = new Uint8Array(await readFile(file.path));
    const { inspectTflite } = await import('../../tflite/index.ts');
    let inspection: TfliteInspection;
    try {
      inspection = inspectTflite(bytes, file.path);
    } catch (error) {
      throw new ModelFileError(`--tflite ${file.path}: not a readable TFLite model (${(error as Error).message})`, { cause: error });
    }
    const variant = tfliteVariantOf(inspection);
    return [tfliteFileTarget(file, bytes, inspection, variant, 'litert-js'), tfliteFileTarget(file, bytes, inspection, variant, 'native')];
  }
  if (ext === '.json') return [kerasFileTarget(file, 'tfjs')];
  if (ext === '.keras') return [kerasFileTarget(file, 'keras3')];
  if (ext === '.h5' || ext === '.hdf5') return [kerasFileTarget(file, 'tfjs'), kerasFileTarget(file, 'keras3')];
  throw new ModelFileError(`--keras ${file.path}: expected a Keras .h5 / .keras file or a TF.js model.json, got "${basename(file.path)}"`);
}

/**
 * Which of torchport's variants a TFLite file is, for its tolerance: int8 activations are full
 * int8, int8 weights with float activations dynamic-range int8, float16 weights fp16.
 */
export function tfliteVariantOf(inspection: TfliteInspection): QuantizeVariant {
  const quantized = (type: string) => type === 'int8' || type === 'uint8' || type === 'int16';
  const activations = inspection.tensors.filter((t) => t.bytes === 0);
  const constants = inspection.tensors.filter((t) => t.bytes > 0);
  if (activations.some((t) => quantized(t.type) && t.quantization?.scale.length)) return 'int8';
  if (constants.some((t) => quantized(t.type))) return 'dynamic-int8';
  if (constants.some((t) => t.type === 'float16')) return 'fp16';
  return 'fp32';
}

type TfliteEngineName = 'litert-js' | 'native';

function tfliteFileTarget(file: ModelFile, bytes: Uint8Array, inspection: TfliteInspection, variant: QuantizeVariant, engine: TfliteEngineName): Target {
  const name = `file-tflite-${engine === 'native' ? 'native-' : ''}${variant}`;
  const label = basename(file.path);
  const openRunner = async (threads?: number): Promise<Runner> => {
    if (engine === 'litert-js') {
      const { createTfliteRunner } = await import('../../runtimes/tflite/index.ts');
      return createTfliteRunner(bytes, { name: label });
    }
    return unlessUnavailable(async () => {
      const { createTfliteNativeRunner } = await import('../../runtimes/tflite-native/index.ts');
      return createTfliteNativeRunner(bytes, { name: label, ...(threads ? { threads } : {}) });
    });
  };
  return {
    name,
    async open(golden) {
      const runner = await openRunner();
      try {
        const ports = tflitePorts(inspection, runner);
        const binding = bind(golden, ports, file);
        const modelInputs = (inputs: readonly Tensor[]) => toModelInputs(binding, inputs).map((t, i) => quantizeInputIfNeeded(castTo(t, ports.inputs[i]!.dtype), ports.tensors.inputs[i]));
        const open: OpenTarget = {
          info: runner.info,
          structure: await tfliteStructure(inspection, bytes),
          run: async (inputs) => {
            const outputs = (await runner.run(modelInputs(inputs))).map((t, i) => dequantizeIfNeeded(t, ports.tensors.outputs[i]));
            return toGoldenOutputs(binding, outputs).map((t) => t.toFloat32());
          },
          close: () => runner.dispose(),
          ...(engine === 'native' ? { selfTimed: (inputs: readonly Tensor[]) => nativeSelfTimed(bytes, label, name, modelInputs(inputs)) } : {}),
        };
        return open;
      } catch (error) {
        await runner.dispose();
        throw error;
      }
    },
  };
}

/** The runner's inputs and outputs (its order) with shapes and types from the file's signature or graph. */
function tflitePorts(inspection: TfliteInspection, runner: Runner) {
  const signature = inspection.signatures[0];
  const byName = (names: readonly string[], role: 'inputs' | 'outputs') =>
    names.map((portName, i) => {
      const index = signature?.[role].find((s) => s.name === portName)?.tensor ?? inspection[role].find((t) => t.name === portName)?.index ?? inspection[role][i]?.index;
      const tensor = index === undefined ? undefined : inspection.tensors[index];
      if (!tensor) throw new ModelFileError(`${runner.info.engine}: ${role.slice(0, -1)} "${portName}" is not a tensor of the model`);
      return tensor;
    });
  const tensors = { inputs: byName(runner.inputNames, 'inputs'), outputs: byName(runner.outputNames, 'outputs') };
  const port = (tensor: (typeof tensors.inputs)[number], portName: string): ModelPort => ({
    name: portName,
    shape: (tensor.shapeSignature ?? tensor.shape).map((d) => (d < 0 ? null : d)),
    dtype: tensor.type,
  });
  return {
    tensors,
    inputs: tensors.inputs.map((t, i) => port(t, runner.inputNames[i]!)),
    outputs: tensors.outputs.map((t, i) => port(t, runner.outputNames[i]!)),
  };
}

function bind(golden: Golden, ports: { inputs: readonly ModelPort[]; outputs: readonly ModelPort[] }, file: ModelFile): IoBinding {
  return matchIo(golden.manifest, ports, { file: basename(file.path), golden: golden.manifest.name, ...(file.layout ? { layout: file.layout } : {}) });
}

/** Casts a golden tensor to what the model's input takes (token ids stay integers, values become float32). */
function castTo(tensor: Tensor, dtype: string): Tensor {
  if (dtype === 'float32') return tensor.toFloat32();
  if ((dtype === 'int32' || dtype === 'int64') && tensor.dtype !== dtype) {
    const values = Array.from(tensor.data as ArrayLike<number | bigint>, Number);
    return dtype === 'int32' ? new Tensor('int32', tensor.shape, Int32Array.from(values)) : new Tensor('int64', tensor.shape, BigInt64Array.from(values.map(BigInt)));
  }
  return tensor;
}

type KerasEngineName = 'tfjs' | 'keras3';

function kerasFileTarget(file: ModelFile, engine: KerasEngineName): Target {
  const label = basename(file.path);
  return {
    name: engine === 'tfjs' ? 'file-keras' : 'file-keras-py',
    async open(golden) {
      if (engine === 'keras3') {
        const runner = await unlessUnavailable(async () => (await import('../../runtimes/keras-py/index.ts')).createKerasPyRunner(file.path));
        return kerasOpenTarget(golden, file, runner, runner.ports);
      }
      const [io, { createKerasRunner }, { initTfjsBackend }] = await Promise.all([import('../../keras/io/index.ts'), import('../../runtimes/keras/index.ts'), import('../../runtimes/tfjs/index.ts')]);
      await initTfjsBackend();
      const format = extname(file.path).toLowerCase() === '.json' ? 'TF.js model.json' : 'Keras .h5';
      const model = await (format === 'TF.js model.json' ? io.loadTfjsLayersModel(file.path) : io.loadKerasH5(file.path)).catch((error: unknown) => {
        // The HDF5 library's own messages ("name not defined!") do not say which file or what it is.
        if (error instanceof TorchportError) throw error;
        throw new ModelFileError(`--keras ${file.path}: TF.js cannot read it as a ${format} (${describeError(error)})`, { cause: error });
      });
      const ports = {
        inputs: model.inputs.map((t, i) => ({ name: model.inputNames[i]!, shape: t.shape, dtype: t.dtype })),
        outputs: model.outputs.map((t, i) => ({ name: model.outputNames[i]!, shape: t.shape, dtype: t.dtype })),
      };
      const runner = await createKerasRunner(model);
      const open = await kerasOpenTarget(golden, file, runner, ports);
      return { ...open, diagnose: () => namedLayerErrors(golden, model, open.binding, label) };
    },
  };
}

async function kerasOpenTarget(golden: Golden, file: ModelFile, runner: Runner, ports: { inputs: readonly ModelPort[]; outputs: readonly ModelPort[] }): Promise<OpenTarget & { binding: IoBinding }> {
  let binding: IoBinding;
  try {
    binding = bind(golden, ports, file);
  } catch (error) {
    await runner.dispose();
    throw error;
  }
  return {
    binding,
    info: runner.info,
    run: async (inputs) => toGoldenOutputs(binding, await runner.run(toModelInputs(binding, inputs).map((t, i) => castTo(t, ports.inputs[i]!.dtype)))),
    close: () => runner.dispose(),
  };
}

/**
 * First divergence for a Keras file: the layers named like a PyTorch module of the golden's graph
 * (torchport's own models, and models whose author kept PyTorch's names) are probed and compared
 * with the golden's activations, each in whichever layout its shape fits. Layers named otherwise
 * cannot be paired and are left out.
 */
async function namedLayerErrors(golden: Golden, model: tf.LayersModel, binding: IoBinding, label: string): Promise<Divergence> {
  const { graph } = await golden.graph();
  const activations = await golden.activations();
  const layerNames = new Set(model.layers.map((l) => l.name));
  const probes: Array<{ module: string; op: string; value: string; layer: string }> = [];
  const seen = new Set<string>();
  for (const node of graph.nodes) {
    const module = node.module ?? node.name;
    const value = node.outputs[0];
    if (!value || !layerNames.has(module) || seen.has(module) || !activations.has(value)) continue;
    seen.add(module);
    probes.push({ module, op: node.op, value, layer: module });
  }
  if (probes.length === 0) throw new TargetUnavailableError(`${label}: no layer is named like a module of ${golden.manifest.name}'s PyTorch graph, so no first divergence can be located`);
  const inputs = toModelInputs(binding, await golden.inputs(golden.manifest.seeds[0]!)).map((t) => t.toFloat32());
  const results = await probeLayerOutputs(
    model,
    probes.map((p) => ({ layer: p.layer, call: 0 })),
    inputs,
  );
  const layers: DivergentLayer[] = [];
  probes.forEach((probe, i) => {
    const reference = activations.get(probe.value)!.toFloat32();
    const actual = results[i]!.toFloat32();
    const layouts = fittingLayouts(reference.shape, actual.shape);
    if (layouts.length !== 1) return; // a shape that fits no layout, or both, cannot be compared safely
    const perm = layouts[0] === 'channels-last' ? channelsFirstAxes(reference.rank) : null;
    const metrics = layerErrorMetrics(perm ? actual.permute(perm) : actual, reference);
    layers.push({ module: probe.module, op: probe.op, convertedName: probe.layer, maxAbsDiff: metrics.maxAbsDiff, maxAbsReference: metrics.maxAbsReference });
  });
  return divergenceOf(layers);
}
