// The builtin operators torchport writes, each with its code (`enum BuiltinOperator`) and the
// options table its `builtin_options` union member must be (none for ops without options).
import type { OptionsOf, OptionsTableName } from './options.ts';

interface OperatorEntry {
  readonly code: number;
  readonly options?: OptionsTableName;
}

export const OPERATORS = {
  ADD: { code: 0, options: 'AddOptions' },
  AVERAGE_POOL_2D: { code: 1, options: 'Pool2DOptions' },
  CONCATENATION: { code: 2, options: 'ConcatenationOptions' },
  CONV_2D: { code: 3, options: 'Conv2DOptions' },
  DEPTHWISE_CONV_2D: { code: 4, options: 'DepthwiseConv2DOptions' },
  DEPTH_TO_SPACE: { code: 5, options: 'DepthToSpaceOptions' },
  DEQUANTIZE: { code: 6, options: 'DequantizeOptions' },
  FULLY_CONNECTED: { code: 9, options: 'FullyConnectedOptions' },
  LOGISTIC: { code: 14 },
  MAX_POOL_2D: { code: 17, options: 'Pool2DOptions' },
  MUL: { code: 18, options: 'MulOptions' },
  RELU: { code: 19 },
  RELU_N1_TO_1: { code: 20 },
  RELU6: { code: 21 },
  RESHAPE: { code: 22, options: 'ReshapeOptions' },
  RESIZE_BILINEAR: { code: 23, options: 'ResizeBilinearOptions' },
  SOFTMAX: { code: 25, options: 'SoftmaxOptions' },
  TANH: { code: 28 },
  PAD: { code: 34, options: 'PadOptions' },
  GATHER: { code: 36, options: 'GatherOptions' },
  TRANSPOSE: { code: 39, options: 'TransposeOptions' },
  MEAN: { code: 40, options: 'ReducerOptions' },
  SUB: { code: 41, options: 'SubOptions' },
  DIV: { code: 42, options: 'DivOptions' },
  SQUEEZE: { code: 43, options: 'SqueezeOptions' },
  UNIDIRECTIONAL_SEQUENCE_LSTM: { code: 44, options: 'UnidirectionalSequenceLSTMOptions' },
  STRIDED_SLICE: { code: 45, options: 'StridedSliceOptions' },
  EXP: { code: 47, options: 'ExpOptions' },
  SPLIT: { code: 49, options: 'SplitOptions' },
  LOG_SOFTMAX: { code: 50, options: 'LogSoftmaxOptions' },
  CAST: { code: 53, options: 'CastOptions' },
  PRELU: { code: 54 },
  MAXIMUM: { code: 55, options: 'MaximumMinimumOptions' },
  MINIMUM: { code: 57, options: 'MaximumMinimumOptions' },
  LESS: { code: 58, options: 'LessOptions' },
  NEG: { code: 59, options: 'NegOptions' },
  PADV2: { code: 60, options: 'PadV2Options' },
  GREATER: { code: 61, options: 'GreaterOptions' },
  GREATER_EQUAL: { code: 62, options: 'GreaterEqualOptions' },
  LESS_EQUAL: { code: 63, options: 'LessEqualOptions' },
  SLICE: { code: 65, options: 'SliceOptions' },
  TRANSPOSE_CONV: { code: 67, options: 'TransposeConvOptions' },
  EXPAND_DIMS: { code: 70, options: 'ExpandDimsOptions' },
  EQUAL: { code: 71, options: 'EqualOptions' },
  NOT_EQUAL: { code: 72, options: 'NotEqualOptions' },
  LOG: { code: 73 },
  SUM: { code: 74, options: 'ReducerOptions' },
  SQRT: { code: 75 },
  RSQRT: { code: 76 },
  POW: { code: 78 },
  REDUCE_MAX: { code: 82, options: 'ReducerOptions' },
  PACK: { code: 83, options: 'PackOptions' },
  UNPACK: { code: 88, options: 'UnpackOptions' },
  RESIZE_NEAREST_NEIGHBOR: { code: 97, options: 'ResizeNearestNeighborOptions' },
  LEAKY_RELU: { code: 98, options: 'LeakyReluOptions' },
  MIRROR_PAD: { code: 100, options: 'MirrorPadOptions' },
  ABS: { code: 101 },
  SPLIT_V: { code: 102, options: 'SplitVOptions' },
  QUANTIZE: { code: 114, options: 'QuantizeOptions' },
  ELU: { code: 111 },
  HARD_SWISH: { code: 117, options: 'HardSwishOptions' },
  WHILE: { code: 119, options: 'WhileOptions' },
  SELECT_V2: { code: 123, options: 'SelectV2Options' },
  BATCH_MATMUL: { code: 126, options: 'BatchMatMulOptions' },
  BROADCAST_TO: { code: 130 },
  GELU: { code: 150, options: 'GeluOptions' },
  DYNAMIC_UPDATE_SLICE: { code: 151, options: 'DynamicUpdateSliceOptions' },
} as const satisfies Record<string, OperatorEntry>;

export type OperatorName = keyof typeof OPERATORS;

/** The options an operator takes in memory (`undefined` for operators without options). */
export type OptionsForOperator<Op extends OperatorName> = (typeof OPERATORS)[Op] extends { options: infer T extends OptionsTableName }
  ? OptionsOf<T>
  : undefined;

const OPERATOR_BY_CODE = new Map<number, OperatorName>(Object.entries(OPERATORS).map(([name, entry]) => [entry.code, name as OperatorName]));

export function operatorForCode(code: number): OperatorName | undefined {
  return OPERATOR_BY_CODE.get(code);
}

export function isOperatorName(name: string): name is OperatorName {
  return Object.hasOwn(OPERATORS, name);
}

export function optionsTableOf(op: OperatorName): OptionsTableName | undefined {
  const entry: OperatorEntry = OPERATORS[op];
  return entry.options;
}
