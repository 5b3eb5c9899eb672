// convertKerasToTflite: lower the Keras model to the float IR, optimize it (fold, fuse, merge),
// then write one of the four variants. Full int8 first writes the fp32 model with every tensor
// exposed and calibrates on it (../quantize/calibrate.ts).
import type * as tf from '@tensorflow/tfjs';
import { performance } from 'node:perf_hooks';
import type { Tensor } from '../../tensor/index.ts';
import { modelGraphs, writeTflite, type TfliteModel } from '../index.ts';
import { DEFAULT_OBSERVER, OBSERVERS, calibrate, emitInt8, type ExecuteModel, type FloatOpCause, type Observer } from '../quantize/index.ts';
import { emitFloat, emitLoopSubgraphs } from './emit.ts';
import { ConversionOptionsError } from './errors.ts';
import type { IrGraph } from '../ir/index.ts';
import type { GroupedConvolutionStrategy } from './layers/conv.ts';
import { lowerKerasModel } from './lower.ts';
import { RECURRENCE_STRATEGIES, type RecurrenceStrategy } from './loop.ts';
import { writeEveryOutput } from './outputs.ts';
import { optimize, type Rewrite } from './passes.ts';

export const QUANTIZE_VARIANTS = ['fp32', 'fp16', 'dynamic-int8', 'int8'] as const;
export type QuantizeVariant = (typeof QUANTIZE_VARIANTS)[number];

/** Appended to the model description of a debug conversion, so tools can tell one from a plain model. */
export const DEBUG_DESCRIPTION = '(debug: every Keras layer output exposed)';

export interface ConvertOptions {
  quantize: QuantizeVariant;
  /** Calibration samples for `int8`: one tensor per model input each, in the Keras (NHWC) layout. */
  representativeData?: readonly (readonly Tensor[])[];
  /**
   * `int8` only: runs the fp32 calibration model on the samples (an engine is reached through
   * src/runtimes/ only, so the caller injects it; src/convert/ passes LiteRT's executeTflite).
   */
  executeModel?: ExecuteModel;
  /** `int8` only: how each tensor's range is chosen from the calibration data (default DEFAULT_OBSERVER). */
  observer?: Observer;
  /** `int8` only: int8 graph inputs/outputs instead of float ones with QUANTIZE/DEQUANTIZE. */
  int8Io?: boolean;
  /** Also expose every Keras layer's output tensor as a graph output named after the layer. */
  debug?: boolean;
  /** The static batch size of the TFLite model (Keras leaves it open). Default 1. */
  batchSize?: number;
  /**
   * dynamic-int8 only: quantize depthwise filters too. Off by default: the hybrid depthwise
   * kernel runs several times slower than float in LiteRT (scripts/bench-tflite-variants.ts).
   */
  hybridDepthwise?: boolean;
  /** How GroupedConv2D is written (default: one CONV_2D with a grouped filter). */
  groupedConvolution?: GroupedConvolutionStrategy;
  /**
   * How LSTM / GRU recurrences are written (default 'loop': one WHILE per direction, a fixed
   * operator count; 'unroll': one cell per step, ~2x faster in LiteRT and all-int8 under int8).
   */
  recurrence?: RecurrenceStrategy;
  /**
   * `int8` only: module paths (= Keras layer names) whose operators stay float32, between a
   * DEQUANTIZE and a QUANTIZE. A path also covers the layers under it (`blocks.0.attn` covers
   * `blocks.0.attn.q` and the builder's `blocks.0.attn__scores`). Every path must match a layer.
   */
  keepFloat?: readonly string[];
  /**
   * Names of the graph inputs / outputs and of the serving_default signature entries, in the
   * Keras model's input / output order (e.g. PyTorch's `input_0`, `output_0`). Default: the Keras
   * input layer names and output layer names.
   */
  inputNames?: readonly string[];
  outputNames?: readonly string[];
}

const FLOAT_OP_REASONS: Readonly<Record<FloatOpCause, string>> = {
  'kept-float': 'kept in float32 (keepFloat): runs between DEQUANTIZE and QUANTIZE',
  'no-int8-rule': 'no int8 rule for this operator: runs in float32 between DEQUANTIZE and QUANTIZE',
  loop: 'a recurrence loop: its body runs in float32 (calibration cannot observe values inside a loop), between DEQUANTIZE and QUANTIZE',
  statistics:
    "a normalization's per-sample statistics (mean, 1 / std): their range depends on each sample, which calibration cannot bound, so they run in float32 and the normalized values are quantized",
  index:
    'computes indices (it feeds, through integer arithmetic, an int32 value such as GATHER indices or a cast to int): int8 rounding would change the ids, and so which rows are read, so it runs unquantized (float32, int32 where the graph already is)',
  'non-finite': 'reads or writes values that were ±inf/NaN on the calibration data (a -inf mask fill): int8 has no infinity, so it runs in float32',
};

export interface LayerMapping {
  readonly layer: string;
  readonly className: string;
  /**
   * The TFLite tensor holding this layer's output, or (when `fused`) the output of the operator
   * its computation was folded or fused into. Absent for layers that compute nothing at
   * inference (Dropout) or whose operator cancelled out (a reshape pair).
   */
  readonly tensor?: string;
  readonly fused?: boolean;
}

export interface ConversionReport {
  readonly quantize: QuantizeVariant;
  readonly int8Io: boolean;
  readonly batchSize: number;
  readonly fileBytes: number;
  /** Bytes of constant data in the file, and of the Keras model's float32 weights. */
  readonly constantBytes: number;
  readonly kerasWeightBytes: number;
  readonly operatorCount: number;
  readonly operatorHistogram: Readonly<Record<string, number>>;
  readonly inputs: ReadonlyArray<{ name: string; type: string; shape: readonly number[] }>;
  readonly outputs: ReadonlyArray<{ name: string; type: string; shape: readonly number[] }>;
  readonly rewrites: readonly Rewrite[];
  readonly layers: readonly LayerMapping[];
  /** Debug mode: the names of the extra outputs (one per surviving Keras layer tensor). */
  readonly debugOutputs: readonly string[];
  /** Quantized variants: operators that run in float32 and why. */
  readonly floatOperators: ReadonlyArray<{ op: string; layer: string; reason: string }>;
  /** `int8` with keepFloat: each requested module path and the Keras layers it kept in float32. */
  readonly keptFloat?: ReadonlyArray<{ path: string; layers: readonly string[] }>;
  /** `int8`: the Keras layers whose operators compute indices and so run unquantized, and why (src/tflite/quantize/index-values.ts). */
  readonly keptFloatIndices?: { readonly layers: readonly string[]; readonly reason: string };
  readonly calibration?: { samples: number; sha256: string; method: Observer; requantizations: number };
  readonly timings: { lowerMs: number; calibrateMs: number; emitMs: number; totalMs: number };
}

export interface ConversionResult {
  readonly bytes: Uint8Array;
  readonly report: ConversionReport;
}

export async function convertKerasToTflite(model: tf.LayersModel, options: ConvertOptions): Promise<ConversionResult> {
  const started = performance.now();
  const quantize = options.quantize;
  if (!(QUANTIZE_VARIANTS as readonly string[]).includes(quantize)) throw new ConversionOptionsError(`quantize must be one of ${QUANTIZE_VARIANTS.join(', ')}, got ${JSON.stringify(quantize)}`);
  if (options.int8Io && quantize !== 'int8') throw new ConversionOptionsError(`int8Io applies to quantize 'int8' only (got '${quantize}')`);
  if (quantize === 'int8' && !options.representativeData?.length) throw new ConversionOptionsError(`quantize 'int8' needs representativeData (calibration samples, NHWC, one tensor per model input)`);
  if (quantize === 'int8' && !options.executeModel) throw new ConversionOptionsError(`quantize 'int8' needs executeModel (runs the calibration model; pass executeTflite from src/runtimes/tflite)`);
  if (options.observer !== undefined && !(OBSERVERS as readonly string[]).includes(options.observer))
    throw new ConversionOptionsError(`observer must be one of ${OBSERVERS.join(', ')}, got ${JSON.stringify(options.observer)}`);
  const batchSize = options.batchSize ?? 1;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ConversionOptionsError(`batchSize must be a positive integer, got ${batchSize}`);
  if (options.keepFloat?.length && quantize !== 'int8')
    throw new ConversionOptionsError(`keepFloat applies to quantize 'int8' only (got '${quantize}'); the other variants keep float activations anyway`);
  checkIoNames('inputNames', options.inputNames, model.inputs.length);
  checkIoNames('outputNames', options.outputNames, model.outputs.length);
  const keptFloat = options.keepFloat?.length
    ? resolveKeepFloat(
        options.keepFloat,
        model.layers.map((layer) => layer.name),
      )
    : undefined;

  if (options.recurrence !== undefined && !(RECURRENCE_STRATEGIES as readonly string[]).includes(options.recurrence))
    throw new ConversionOptionsError(`recurrence must be one of ${RECURRENCE_STRATEGIES.join(', ')}, got ${JSON.stringify(options.recurrence)}`);
  const lowered = lowerKerasModel(model, batchSize, { groupedConvolution: options.groupedConvolution ?? 'grouped-filter', recurrence: options.recurrence ?? 'loop' });
  const { graph } = lowered;
  const ioNames = nameGraphIo(graph, options.inputNames, options.outputNames);
  // TANH is not fused: LiteRT's kernels compute the clamp range of RELU, RELU6 and RELU_N1_TO_1
  // only and ignore a fused TANH (see lower.test.ts, which checks it against the runtime).
  const rewrites = optimize(graph, { fusableActivations: new Set(['RELU', 'RELU6', 'RELU_N1_TO_1']) });
  writeEveryOutput(graph);
  const debugOutputs = options.debug ? exposeLayerOutputs(graph) : [];
  const lowerMs = performance.now() - started;

  let calibrateMs = 0;
  let tflite: TfliteModel;
  let floatOperators: Array<{ op: string; layer: string; reason: string }> = [];
  let calibration: ConversionReport['calibration'];
  let keptFloatIndices: ConversionReport['keptFloatIndices'];
  if (quantize === 'int8') {
    const calibrationStart = performance.now();
    const exposed = emitFloat(graph, 'fp32', { exposeAll: true });
    const result = await calibrate(
      { bytes: writeTflite(exposed.model), inputIds: graph.inputs, inputDtypes: graph.inputs.map((id) => (graph.value(id).dtype === 'int32' ? 'int32' : 'float32')), outputIds: exposed.outputIds },
      options.representativeData!,
      { execute: options.executeModel!, observer: options.observer ?? DEFAULT_OBSERVER },
    );
    calibrateMs = performance.now() - calibrationStart;
    const emitted = emitInt8(graph, {
      ranges: result.ranges,
      int8Io: options.int8Io ?? false,
      emitLoop: (op, subgraphs) => emitLoopSubgraphs(op, 'fp32', subgraphs),
      nonFinite: result.nonFinite,
      ...(keptFloat ? { keepFloat: new Set(keptFloat.flatMap((k) => k.layers)) } : {}),
    });
    tflite = emitted.model;
    floatOperators = emitted.floatOps.map(({ op, layer, cause }) => ({
      op,
      layer,
      reason: FLOAT_OP_REASONS[cause],
    }));
    calibration = { samples: result.samples, sha256: result.sha256, method: result.method, requantizations: emitted.requantizations };
    const indexLayers = [...new Set(emitted.floatOps.filter((op) => op.cause === 'index').map((op) => op.layer))];
    if (indexLayers.length) keptFloatIndices = { layers: indexLayers, reason: FLOAT_OP_REASONS.index };
  } else {
    tflite = emitFloat(graph, quantize, { hybridDepthwise: options.hybridDepthwise ?? false }).model;
    if (quantize === 'dynamic-int8') {
      floatOperators = graph.ops
        .filter((op) => (op.op === 'DEPTHWISE_CONV_2D' && !options.hybridDepthwise) || op.op === 'TRANSPOSE_CONV')
        .map((op) => ({
          op: op.op,
          layer: op.layer,
          reason: op.op === 'DEPTHWISE_CONV_2D' ? 'hybrid depthwise is several times slower than float in LiteRT: weights kept float32' : 'no hybrid XNNPACK kernel: weights kept float32',
        }));
    }
  }
  // A debug model keeps its outputs' tensor names: the divergence report finds each layer's int8
  // tensor (and its scale) by the layer's name.
  const renamed = nameIoTensors(tflite, options.debug ? { inputs: ioNames.inputs, outputs: [] } : ioNames);
  if (options.debug) tflite.description = `${tflite.description} ${DEBUG_DESCRIPTION}`;
  const bytes = writeTflite(tflite);
  const totalMs = performance.now() - started;

  const histogram: Record<string, number> = {};
  const graphs = modelGraphs(tflite);
  const allOperators = graphs.flatMap((graph) => graph.operators);
  for (const op of allOperators) {
    const name = op.op === 'OPAQUE' ? op.name : op.op;
    histogram[name] = (histogram[name] ?? 0) + 1;
  }
  const describeTensor = (index: number, name: string) => ({ name, type: tflite.tensors[index]!.type, shape: tflite.tensors[index]!.shape });
  const signature = tflite.signature!;
  return {
    bytes,
    report: {
      quantize,
      int8Io: options.int8Io ?? false,
      batchSize,
      fileBytes: bytes.byteLength,
      constantBytes: graphs.flatMap((graph) => graph.tensors).reduce((sum, t) => sum + (t.data?.byteLength ?? 0), 0),
      kerasWeightBytes: lowered.kerasWeightBytes,
      operatorCount: allOperators.length,
      operatorHistogram: Object.fromEntries(Object.entries(histogram).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
      inputs: signature.inputs.map((s) => describeTensor(s.tensor, s.name)),
      outputs: signature.outputs.map((s) => describeTensor(s.tensor, s.name)),
      rewrites,
      layers: layerMappings(graph, lowered.layers, renamed),
      debugOutputs,
      floatOperators,
      ...(keptFloat ? { keptFloat } : {}),
      ...(keptFloatIndices ? { keptFloatIndices } : {}),
      ...(calibration ? { calibration } : {}),
      timings: { lowerMs, calibrateMs, emitMs: totalMs - lowerMs - calibrateMs, totalMs },
    },
  };
}

/** Debug mode: every value carrying a Keras layer's output becomes a graph output named after the layer. */
function exposeLayerOutputs(graph: IrGraph): string[] {
  const names: string[] = [];
  for (const op of graph.ops) {
    for (const id of op.outputs) {
      const value = graph.value(id);
      if (!value.layer || graph.isGraphOutput(id) || value.dtype === 'bool') continue;
      graph.outputs.push({ id, name: value.layer });
      names.push(value.layer);
    }
  }
  return names;
}

function checkIoNames(option: string, names: readonly string[] | undefined, count: number): void {
  if (!names) return;
  if (names.length !== count) throw new ConversionOptionsError(`${option} has ${names.length} name(s); the Keras model has ${count}`);
  const bad = names.filter((name, i) => !name || names.indexOf(name) !== i);
  if (bad.length) throw new ConversionOptionsError(`${option} must be non-empty and distinct; offending: ${bad.map((n) => JSON.stringify(n)).join(', ')}`);
}

/** Module path -> the Keras layers it covers: the layer itself, its children (`.`) and the builder's derived layers (`__`). */
function resolveKeepFloat(paths: readonly string[], layers: readonly string[]): Array<{ path: string; layers: string[] }> {
  const resolved = paths.map((path) => ({ path, layers: layers.filter((layer) => layer === path || layer.startsWith(`${path}.`) || layer.startsWith(`${path}__`)) }));
  const unmatched = resolved.filter((r) => r.layers.length === 0).map((r) => r.path);
  if (unmatched.length) {
    throw new ConversionOptionsError(
      `keepFloat: ${unmatched.map((p) => `'${p}'`).join(', ')} match${unmatched.length === 1 ? 'es' : ''} no Keras layer (layer names are PyTorch module paths, e.g. ${layers
        .slice(1, 4)
        .map((l) => `'${l}'`)
        .join(', ')})`,
    );
  }
  return resolved;
}

/**
 * Applies the requested graph input/output names to the IR's signature entries. Returns, per
 * graph input and per (non-debug) output, the name its TFLite tensor must carry.
 */
function nameGraphIo(graph: IrGraph, inputNames: readonly string[] | undefined, outputNames: readonly string[] | undefined): { inputs: readonly string[]; outputs: readonly string[] } {
  if (inputNames) graph.inputs.forEach((id, i) => (graph.value(id).name = inputNames[i]!));
  if (outputNames) graph.outputs.forEach((output, i) => (output.name = outputNames[i]!));
  return { inputs: graph.inputs.map((id) => graph.value(id).name), outputs: graph.outputs.map((output) => output.name) };
}

/**
 * The graph input and output tensors carry the signature names (an int8 model's float output is
 * otherwise "<layer>/dequantized", an fp32 one the Keras layer's name). Another tensor that had
 * the name (an int8 model's int8 output, without explicit output names) becomes "<name>/int8".
 * Returns old tensor name -> new one.
 */
function nameIoTensors(model: TfliteModel, names: { inputs: readonly string[]; outputs: readonly string[] }): Map<string, string> {
  const renamed = new Map<string, string>();
  const signature = model.signature!;
  const rename = (entry: { name: string; tensor: number }, name: string) => {
    const tensor = model.tensors[entry.tensor]!;
    if (tensor.name !== name) {
      for (const other of model.tensors) if (other.name === name) other.name = `${name}/int8`;
      renamed.set(tensor.name, name);
      tensor.name = name;
    }
    entry.name = name;
  };
  names.inputs.forEach((name, i) => rename(signature.inputs[i]!, name));
  names.outputs.forEach((name, i) => rename(signature.outputs[i]!, name));
  return renamed;
}

function layerMappings(graph: IrGraph, layers: ReadonlyArray<{ name: string; className: string }>, renamed: ReadonlyMap<string, string>): LayerMapping[] {
  const own = new Map<string, string>();
  const fusedInto = new Map<string, string>();
  for (const id of graph.inputs) own.set(graph.value(id).layer ?? graph.value(id).name, graph.value(id).name);
  for (const op of graph.ops) {
    for (const id of op.outputs) {
      const value = graph.value(id);
      if (value.layer) own.set(value.layer, value.name);
    }
    const output = graph.value(op.outputs[0]!).name;
    for (const layer of [op.layer, ...(op.fused ?? [])]) if (!fusedInto.has(layer)) fusedInto.set(layer, output);
  }
  for (const [layer, tensor] of own) if (renamed.has(tensor)) own.set(layer, renamed.get(tensor)!);
  for (const [layer, tensor] of fusedInto) if (renamed.has(tensor)) fusedInto.set(layer, renamed.get(tensor)!);
  return layers.map(({ name, className }) => {
    const tensor = own.get(name);
    if (tensor) return { layer: name, className, tensor };
    const fused = fusedInto.get(name);
    return fused ? { layer: name, className, tensor: fused, fused: true } : { layer: name, className };
  });
}
