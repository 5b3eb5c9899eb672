// One record per TFLite builtin operator torchport reads or writes: its code in
// `enum BuiltinOperator`, the options table of its `builtin_options` union member, the version the
// official converter gives it (tensorflow/lite/tools/versioning/op_version.cc), the runtime release
// that first shipped each version (runtime_version.cc), and its full-integer quantization rule.
// Every field is required, so an operator added without a version, a runtime or an int8 decision
// does not compile (before, a forgotten entry meant silently version 1, no minimum runtime, float32).
import type { Quantization } from '../model.ts';
import type { TensorType } from './enums.ts';
import type { OptionsTableName } from './options.ts';

/** What an operator's version depends on, read from the model by ../versions.ts. */
export interface VersionQuery {
  /** Types of input 0, input 1 (weights) and output 0; undefined when absent or omitted. */
  readonly input: TensorType | undefined;
  readonly weights: TensorType | undefined;
  readonly output: TensorType | undefined;
  /** Input 1 carries more than one quantization scale. */
  readonly perChannelWeights: boolean;
  /** Tensor indices of the inputs (-1 marks an omitted optional input). */
  readonly inputs: readonly number[];
  /** Rank of input 0 (undefined when absent). */
  readonly inputRank?: number | undefined;
  readonly options: Readonly<Record<string, unknown>>;
}

export type OutputRule =
  /** Scale and zero point from the calibrated range of the output. */
  | { kind: 'calibrated' }
  /** Output reuses the quantization of input `input` (pooling, reshapes, padding, gather...). */
  | { kind: 'same-as-input'; input: number }
  /** Every input and the output share one quantization (the union of their ranges). */
  | { kind: 'shared' }
  /** Fixed by the kernel (LOGISTIC, SOFTMAX, TANH). */
  | { kind: 'fixed'; quantization: Quantization };

/**
 * How full-integer quantization writes the operator, from the TFLite quantization spec and the
 * kernels' own checks (XNNPACK refuses a node whose scales break them; the builtin kernels may
 * then compute garbage rather than fail).
 */
export interface Int8Rule {
  readonly output: OutputRule;
  /** Constant weight input quantized symmetric int8, per channel along `axis` (per tensor when undefined). */
  readonly weights?: { readonly input: number; readonly axis: number | undefined };
  /** int32 bias input, scale = scale(data input) x weight scale. */
  readonly bias?: number;
  /** The activation input whose scale enters the bias scale (0 except TRANSPOSE_CONV). */
  readonly dataInput?: number;
}

export interface BuiltinRecord {
  readonly code: number;
  readonly options: OptionsTableName | undefined;
  readonly version: (query: VersionQuery) => number;
  /** Runtime release per operator version; an empty table leaves the model's minimum alone. */
  readonly firstRuntime: Readonly<Record<number, string>>;
  /** 'float': full int8 keeps the operator in float32 between DEQUANTIZE and QUANTIZE. */
  readonly int8: Int8Rule | 'float';
}

const FLOAT = 'float';
/** Not in the official runtime table we copied from: the operator does not raise the minimum. */
const UNLISTED = {};

const calibrated = { output: { kind: 'calibrated' } } as const;
const sameAsInput = (input = 0) => ({ output: { kind: 'same-as-input', input } }) as const;
const fixed = (scale: number, zeroPoint: number) => ({ output: { kind: 'fixed', quantization: { scale: [scale], zeroPoint: [zeroPoint], quantizedDimension: 0 } } }) as const;

const isInt8 = (q: VersionQuery) => q.input === 'int8' && q.weights === 'int8' && q.output === 'int8';
const isHybrid = (q: VersionQuery) => q.input === 'float32' && q.weights === 'int8' && q.output === 'float32';

const version = {
  one: () => 1,
  int8Input: (q: VersionQuery) => (q.input === 'int8' ? 2 : 1),
  conv2d: (q: VersionQuery) => (isInt8(q) ? 3 : isHybrid(q) ? (q.perChannelWeights ? 5 : 2) : 1),
  depthwiseConv2d: (q: VersionQuery) => {
    if (isHybrid(q)) return q.perChannelWeights ? 6 : 4;
    if (isInt8(q)) return 3;
    return (q.options['dilationWFactor'] ?? 1) !== 1 || (q.options['dilationHFactor'] ?? 1) !== 1 ? 2 : 1;
  },
  fullyConnected: (q: VersionQuery) => {
    if (isHybrid(q) && q.perChannelWeights) return 12;
    if (q.inputs.length === 2) return 6;
    if (q.options['keepNumDims']) return 5;
    if (isInt8(q)) return 4;
    if (isHybrid(q)) return q.options['asymmetricQuantizeInputs'] ? 9 : 3;
    return 1;
  },
  transposeConv: (q: VersionQuery) => {
    if ((q.options['fusedActivationFunction'] ?? 'NONE') !== 'NONE') return 4;
    if (q.inputs.length === 4 && q.inputs[3] !== -1) return 3;
    return q.weights === 'int8' ? 2 : 1;
  },
  dequantize: (q: VersionQuery) => (q.input === 'float16' ? 3 : q.input === 'int8' ? 2 : 1),
  quantize: (q: VersionQuery) => (q.output === 'int8' ? 2 : 1),
  // Input 0 is the axis; the data is input 1.
  split: (q: VersionQuery) => (q.weights === 'int8' ? 2 : 1),
  // Rank above 4 needs version 4, above 5 version 6; int16 is 5, bool 3 (op_version.cc's order).
  transpose: (q: VersionQuery) => {
    const rank = q.inputRank ?? 0;
    if (rank > 5) return 6;
    if (q.input === 'int16') return 5;
    if (rank > 4) return 4;
    if (q.input === 'bool') return 3;
    return q.input === 'int8' ? 2 : 1;
  },
  // Version 1 was the Flex (TensorFlow) kernel; the builtin starts at 2 and LiteRT registers no version 1.
  broadcastTo: () => 2,
};

/**
 * Fully-connected weights are per tensor: the per-channel int8 FULLY_CONNECTED kernel is recent
 * and not what the official converter writes by default; convolutions are per output channel.
 * The pad value of PADV2 (input 2) is quantized with the input's parameters (the kernel requires it).
 * LOGISTIC / SOFTMAX / TANH / LOG_SOFTMAX have the fixed output ranges their int8 (LUT) kernels
 * require: [0, 1), [-1, 1) and [-16 + 1/16, 0].
 */
export const BUILTINS = {
  ADD: { code: 0, options: 'AddOptions', version: version.int8Input, firstRuntime: { 1: '1.5.0', 2: '1.14.0' }, int8: calibrated },
  AVERAGE_POOL_2D: { code: 1, options: 'Pool2DOptions', version: version.int8Input, firstRuntime: { 1: '1.5.0', 2: '1.14.0' }, int8: sameAsInput() },
  CONCATENATION: { code: 2, options: 'ConcatenationOptions', version: version.int8Input, firstRuntime: { 1: '1.5.0', 2: '1.14.0' }, int8: { output: { kind: 'shared' } } },
  CONV_2D: {
    code: 3,
    options: 'Conv2DOptions',
    version: version.conv2d,
    firstRuntime: { 1: '1.5.0', 2: '1.14.0', 3: '1.14.0', 5: '2.4.0' },
    int8: { ...calibrated, weights: { input: 1, axis: 0 }, bias: 2 },
  },
  DEPTHWISE_CONV_2D: {
    code: 4,
    options: 'DepthwiseConv2DOptions',
    version: version.depthwiseConv2d,
    firstRuntime: { 1: '1.5.0', 2: '1.12.0', 3: '1.14.0', 4: '2.2.0', 6: '2.3.0' },
    int8: { ...calibrated, weights: { input: 1, axis: 3 }, bias: 2 },
  },
  DEPTH_TO_SPACE: { code: 5, options: 'DepthToSpaceOptions', version: version.one, firstRuntime: UNLISTED, int8: FLOAT },
  DEQUANTIZE: { code: 6, options: 'DequantizeOptions', version: version.dequantize, firstRuntime: { 1: '1.13.1', 2: '1.14.0', 3: '1.15.0' }, int8: FLOAT },
  FLOOR: { code: 8, options: undefined, version: version.one, firstRuntime: UNLISTED, int8: FLOAT },
  FULLY_CONNECTED: {
    code: 9,
    options: 'FullyConnectedOptions',
    version: version.fullyConnected,
    firstRuntime: { 1: '1.5.0', 3: '1.14.0', 4: '1.14.0', 5: '2.0.0', 6: '2.1.0', 9: '2.3.0' },
    int8: { ...calibrated, weights: { input: 1, axis: undefined }, bias: 2 },
  },
  LOGISTIC: { code: 14, options: undefined, version: version.int8Input, firstRuntime: { 1: '1.14.0', 2: '1.14.0' }, int8: fixed(1 / 256, -128) },
  MAX_POOL_2D: { code: 17, options: 'Pool2DOptions', version: version.int8Input, firstRuntime: { 1: '1.5.0', 2: '1.14.0' }, int8: sameAsInput() },
  MUL: { code: 18, options: 'MulOptions', version: version.int8Input, firstRuntime: { 1: '1.5.0', 2: '1.14.0' }, int8: calibrated },
  RELU: { code: 19, options: undefined, version: version.int8Input, firstRuntime: { 1: '1.5.0', 2: '2.1.0' }, int8: calibrated },
  RELU_N1_TO_1: { code: 20, options: undefined, version: version.one, firstRuntime: UNLISTED, int8: calibrated },
  RELU6: { code: 21, options: undefined, version: version.int8Input, firstRuntime: { 1: '1.5.0', 2: '1.14.0' }, int8: calibrated },
  RESHAPE: { code: 22, options: 'ReshapeOptions', version: version.one, firstRuntime: { 1: '1.5.0' }, int8: sameAsInput() },
  RESIZE_BILINEAR: { code: 23, options: 'ResizeBilinearOptions', version: version.int8Input, firstRuntime: { 1: '1.7.0', 2: '1.14.0' }, int8: sameAsInput() },
  SOFTMAX: { code: 25, options: 'SoftmaxOptions', version: version.int8Input, firstRuntime: { 1: '1.5.0', 2: '1.14.0' }, int8: fixed(1 / 256, -128) },
  TANH: { code: 28, options: undefined, version: version.int8Input, firstRuntime: { 1: '1.14.0', 2: '1.14.0' }, int8: fixed(1 / 128, 0) },
  PAD: { code: 34, options: 'PadOptions', version: version.int8Input, firstRuntime: { 1: '1.5.0', 2: '1.14.0' }, int8: sameAsInput() },
  GATHER: { code: 36, options: 'GatherOptions', version: version.int8Input, firstRuntime: { 1: '1.6.0', 2: '1.14.0' }, int8: sameAsInput(0) },
  TRANSPOSE: { code: 39, options: 'TransposeOptions', version: version.transpose, firstRuntime: { 1: '1.6.0', 2: '1.14.0', 3: '1.15.0', 4: '2.3.0', 5: '2.4.0', 6: '2.12.0' }, int8: sameAsInput() },
  MEAN: { code: 40, options: 'ReducerOptions', version: version.int8Input, firstRuntime: { 1: '1.6.0', 2: '1.14.0' }, int8: calibrated },
  SUB: { code: 41, options: 'SubOptions', version: version.int8Input, firstRuntime: { 1: '1.6.0', 2: '1.14.0' }, int8: calibrated },
  DIV: { code: 42, options: 'DivOptions', version: version.one, firstRuntime: { 1: '1.6.0' }, int8: FLOAT },
  SQUEEZE: { code: 43, options: 'SqueezeOptions', version: version.one, firstRuntime: { 1: '1.6.0' }, int8: sameAsInput() },
  UNIDIRECTIONAL_SEQUENCE_LSTM: { code: 44, options: 'UnidirectionalSequenceLSTMOptions', version: version.one, firstRuntime: UNLISTED, int8: FLOAT },
  STRIDED_SLICE: { code: 45, options: 'StridedSliceOptions', version: version.int8Input, firstRuntime: { 1: '1.6.0', 2: '1.14.0' }, int8: sameAsInput() },
  EXP: { code: 47, options: 'ExpOptions', version: version.int8Input, firstRuntime: UNLISTED, int8: FLOAT },
  TOPK_V2: { code: 48, options: undefined, version: version.one, firstRuntime: { 1: '1.7.0' }, int8: FLOAT },
  SPLIT: { code: 49, options: 'SplitOptions', version: version.split, firstRuntime: { 1: '1.5.0', 2: '1.14.0' }, int8: sameAsInput(1) },
  LOG_SOFTMAX: { code: 50, options: 'LogSoftmaxOptions', version: version.int8Input, firstRuntime: { 1: '1.14.0', 2: '1.14.0' }, int8: fixed(16 / 256, 127) },
  CAST: { code: 53, options: 'CastOptions', version: version.one, firstRuntime: UNLISTED, int8: FLOAT },
  PRELU: { code: 54, options: undefined, version: version.one, firstRuntime: { 1: '1.8.0' }, int8: calibrated },
  MAXIMUM: { code: 55, options: 'MaximumMinimumOptions', version: version.int8Input, firstRuntime: UNLISTED, int8: { output: { kind: 'shared' } } },
  MINIMUM: { code: 57, options: 'MaximumMinimumOptions', version: version.int8Input, firstRuntime: UNLISTED, int8: { output: { kind: 'shared' } } },
  LESS: { code: 58, options: 'LessOptions', version: version.one, firstRuntime: { 1: '1.14.0' }, int8: FLOAT },
  NEG: { code: 59, options: 'NegOptions', version: version.one, firstRuntime: { 1: '1.9.0' }, int8: FLOAT },
  PADV2: { code: 60, options: 'PadV2Options', version: version.int8Input, firstRuntime: { 1: '1.9.0', 2: '1.14.0' }, int8: sameAsInput() },
  GREATER: { code: 61, options: 'GreaterOptions', version: version.one, firstRuntime: { 1: '1.14.0' }, int8: FLOAT },
  GREATER_EQUAL: { code: 62, options: 'GreaterEqualOptions', version: version.one, firstRuntime: { 1: '1.14.0' }, int8: FLOAT },
  LESS_EQUAL: { code: 63, options: 'LessEqualOptions', version: version.one, firstRuntime: { 1: '1.14.0' }, int8: FLOAT },
  SLICE: { code: 65, options: 'SliceOptions', version: version.int8Input, firstRuntime: { 1: '1.14.0', 2: '1.14.0' }, int8: sameAsInput() },
  SIN: { code: 66, options: undefined, version: version.one, firstRuntime: UNLISTED, int8: FLOAT },
  TRANSPOSE_CONV: {
    code: 67,
    options: 'TransposeConvOptions',
    version: version.transposeConv,
    firstRuntime: { 1: '1.9.0', 2: '2.2.0', 3: '2.3.0' },
    int8: { ...calibrated, weights: { input: 1, axis: 0 }, bias: 3, dataInput: 2 },
  },
  EXPAND_DIMS: { code: 70, options: 'ExpandDimsOptions', version: version.one, firstRuntime: UNLISTED, int8: sameAsInput() },
  EQUAL: { code: 71, options: 'EqualOptions', version: version.one, firstRuntime: { 1: '1.14.0' }, int8: FLOAT },
  NOT_EQUAL: { code: 72, options: 'NotEqualOptions', version: version.one, firstRuntime: { 1: '1.14.0' }, int8: FLOAT },
  LOG: { code: 73, options: undefined, version: version.one, firstRuntime: UNLISTED, int8: FLOAT },
  SUM: { code: 74, options: 'ReducerOptions', version: version.int8Input, firstRuntime: { 1: '1.10.0', 2: '1.15.0' }, int8: calibrated },
  SQRT: { code: 75, options: undefined, version: version.one, firstRuntime: UNLISTED, int8: FLOAT },
  RSQRT: { code: 76, options: undefined, version: version.int8Input, firstRuntime: { 1: '1.10.0', 2: '2.5.0' }, int8: calibrated },
  POW: { code: 78, options: undefined, version: version.one, firstRuntime: UNLISTED, int8: FLOAT },
  REDUCE_PROD: { code: 81, options: 'ReducerOptions', version: version.one, firstRuntime: { 1: '1.11.0' }, int8: FLOAT },
  REDUCE_MAX: { code: 82, options: 'ReducerOptions', version: version.int8Input, firstRuntime: { 1: '1.11.0', 2: '1.14.0' }, int8: sameAsInput() },
  PACK: { code: 83, options: 'PackOptions', version: version.int8Input, firstRuntime: UNLISTED, int8: FLOAT },
  UNPACK: { code: 88, options: 'UnpackOptions', version: version.int8Input, firstRuntime: UNLISTED, int8: FLOAT },
  REDUCE_MIN: { code: 89, options: 'ReducerOptions', version: version.int8Input, firstRuntime: { 1: '1.11.0', 2: '1.14.0' }, int8: sameAsInput() },
  RESIZE_NEAREST_NEIGHBOR: { code: 97, options: 'ResizeNearestNeighborOptions', version: version.int8Input, firstRuntime: { 1: '1.13.1', 2: '1.14.0' }, int8: sameAsInput() },
  LEAKY_RELU: { code: 98, options: 'LeakyReluOptions', version: version.int8Input, firstRuntime: { 1: '1.13.1', 2: '2.3.0' }, int8: calibrated },
  MIRROR_PAD: { code: 100, options: 'MirrorPadOptions', version: version.one, firstRuntime: UNLISTED, int8: FLOAT },
  ABS: { code: 101, options: undefined, version: version.one, firstRuntime: UNLISTED, int8: FLOAT },
  SPLIT_V: { code: 102, options: 'SplitVOptions', version: version.one, firstRuntime: UNLISTED, int8: FLOAT },
  CEIL: { code: 104, options: undefined, version: version.one, firstRuntime: UNLISTED, int8: FLOAT },
  COS: { code: 108, options: undefined, version: version.one, firstRuntime: UNLISTED, int8: FLOAT },
  QUANTIZE: { code: 114, options: 'QuantizeOptions', version: version.quantize, firstRuntime: { 1: '1.14.0', 2: '1.15.0' }, int8: FLOAT },
  ROUND: { code: 116, options: undefined, version: version.one, firstRuntime: UNLISTED, int8: FLOAT },
  ELU: { code: 111, options: undefined, version: version.one, firstRuntime: { 1: '2.4.0', 2: '2.4.0' }, int8: calibrated },
  HARD_SWISH: { code: 117, options: 'HardSwishOptions', version: version.one, firstRuntime: { 1: '1.15.0' }, int8: calibrated },
  WHILE: { code: 119, options: 'WhileOptions', version: version.one, firstRuntime: { 1: '1.15.0' }, int8: FLOAT },
  SELECT_V2: { code: 123, options: 'SelectV2Options', version: version.one, firstRuntime: { 1: '2.2.0' }, int8: FLOAT },
  BATCH_MATMUL: { code: 126, options: 'BatchMatMulOptions', version: version.one, firstRuntime: { 1: '2.3.0' }, int8: FLOAT },
  CUMSUM: { code: 128, options: 'CumsumOptions', version: version.one, firstRuntime: { 1: '2.4.0' }, int8: FLOAT },
  // CONV_3D / CONV_3D_TRANSPOSE have float32 kernels only (conv3d.cc, conv3d_transpose.cc): no hybrid and no int8 form.
  CONV_3D: { code: 132, options: 'Conv3DOptions', version: version.one, firstRuntime: { 1: '2.5.0' }, int8: FLOAT },
  CONV_3D_TRANSPOSE: { code: 141, options: 'Conv3DOptions', version: version.one, firstRuntime: { 1: '2.6.0' }, int8: FLOAT },
  BROADCAST_TO: { code: 130, options: undefined, version: version.broadcastTo, firstRuntime: { 2: '2.5.0' }, int8: FLOAT },
  GELU: { code: 150, options: 'GeluOptions', version: version.int8Input, firstRuntime: { 1: '2.9.0', 2: '2.9.0' }, int8: calibrated },
  DYNAMIC_UPDATE_SLICE: { code: 151, options: 'DynamicUpdateSliceOptions', version: version.one, firstRuntime: { 1: '2.9.0' }, int8: FLOAT },
  ATAN2: { code: 156, options: 'ATan2Options', version: version.one, firstRuntime: { 1: '2.10.0' }, int8: FLOAT },
} as const satisfies Record<string, BuiltinRecord>;
