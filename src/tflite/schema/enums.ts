// Enumerations of the official TFLite schema (tflite/converter/schema/schema.fbs in
// google-ai-edge/LiteRT). Each list is in schema order, so a value's index IS its code on disk.

/** `enum TensorType : byte`, lower-cased. */
export const TENSOR_TYPES = [
  'float32',
  'float16',
  'int32',
  'uint8',
  'int64',
  'string',
  'bool',
  'int16',
  'complex64',
  'int8',
  'float64',
  'complex128',
  'uint64',
  'resource',
  'variant',
  'uint32',
  'uint16',
  'int4',
  'bfloat16',
  'int2',
  'uint4',
  'float8_e4m3fn',
  'float8_e5m2',
] as const;
export type TensorType = (typeof TENSOR_TYPES)[number];

/** Bytes per element of the types whose constant data we can size (others: undefined). */
export const TENSOR_TYPE_BYTES: Partial<Record<TensorType, number>> = {
  float32: 4,
  float16: 2,
  int32: 4,
  uint8: 1,
  int64: 8,
  bool: 1,
  int16: 2,
  complex64: 8,
  int8: 1,
  float64: 8,
  complex128: 16,
  uint64: 8,
  uint32: 4,
  uint16: 2,
  bfloat16: 2,
};

/** `enum Padding : byte`. */
export const PADDINGS = ['SAME', 'VALID'] as const;

/** `enum ActivationFunctionType : byte`. */
export const ACTIVATIONS = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT'] as const;

/** `enum FullyConnectedOptionsWeightsFormat : byte`. */
export const FC_WEIGHTS_FORMATS = ['DEFAULT', 'SHUFFLED4x16INT8'] as const;

/** `enum MirrorPadMode : byte`. */
export const MIRROR_PAD_MODES = ['REFLECT', 'SYMMETRIC'] as const;

/**
 * `enum BuiltinOperator : int32`, codes 0..209. Used to name any operator found in a file;
 * the operators we can write (with typed options) are the subset in ./operators.ts.
 */
export const BUILTIN_OPERATOR_NAMES: readonly string[] = [
  'ADD', 'AVERAGE_POOL_2D', 'CONCATENATION', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'DEPTH_TO_SPACE', 'DEQUANTIZE',
  'EMBEDDING_LOOKUP', 'FLOOR', 'FULLY_CONNECTED', 'HASHTABLE_LOOKUP', 'L2_NORMALIZATION', 'L2_POOL_2D',
  'LOCAL_RESPONSE_NORMALIZATION', 'LOGISTIC', 'LSH_PROJECTION', 'LSTM', 'MAX_POOL_2D', 'MUL', 'RELU', 'RELU_N1_TO_1',
  'RELU6', 'RESHAPE', 'RESIZE_BILINEAR', 'RNN', 'SOFTMAX', 'SPACE_TO_DEPTH', 'SVDF', 'TANH', 'CONCAT_EMBEDDINGS',
  'SKIP_GRAM', 'CALL', 'CUSTOM', 'EMBEDDING_LOOKUP_SPARSE', 'PAD', 'UNIDIRECTIONAL_SEQUENCE_RNN', 'GATHER',
  'BATCH_TO_SPACE_ND', 'SPACE_TO_BATCH_ND', 'TRANSPOSE', 'MEAN', 'SUB', 'DIV', 'SQUEEZE',
  'UNIDIRECTIONAL_SEQUENCE_LSTM', 'STRIDED_SLICE', 'BIDIRECTIONAL_SEQUENCE_RNN', 'EXP', 'TOPK_V2', 'SPLIT',
  'LOG_SOFTMAX', 'DELEGATE', 'BIDIRECTIONAL_SEQUENCE_LSTM', 'CAST', 'PRELU', 'MAXIMUM', 'ARG_MAX', 'MINIMUM', 'LESS',
  'NEG', 'PADV2', 'GREATER', 'GREATER_EQUAL', 'LESS_EQUAL', 'SELECT', 'SLICE', 'SIN', 'TRANSPOSE_CONV',
  'SPARSE_TO_DENSE', 'TILE', 'EXPAND_DIMS', 'EQUAL', 'NOT_EQUAL', 'LOG', 'SUM', 'SQRT', 'RSQRT', 'SHAPE', 'POW',
  'ARG_MIN', 'FAKE_QUANT', 'REDUCE_PROD', 'REDUCE_MAX', 'PACK', 'LOGICAL_OR', 'ONE_HOT', 'LOGICAL_AND', 'LOGICAL_NOT',
  'UNPACK', 'REDUCE_MIN', 'FLOOR_DIV', 'REDUCE_ANY', 'SQUARE', 'ZEROS_LIKE', 'FILL', 'FLOOR_MOD', 'RANGE',
  'RESIZE_NEAREST_NEIGHBOR', 'LEAKY_RELU', 'SQUARED_DIFFERENCE', 'MIRROR_PAD', 'ABS', 'SPLIT_V', 'UNIQUE', 'CEIL',
  'REVERSE_V2', 'ADD_N', 'GATHER_ND', 'COS', 'WHERE', 'RANK', 'ELU', 'REVERSE_SEQUENCE', 'MATRIX_DIAG', 'QUANTIZE',
  'MATRIX_SET_DIAG', 'ROUND', 'HARD_SWISH', 'IF', 'WHILE', 'NON_MAX_SUPPRESSION_V4', 'NON_MAX_SUPPRESSION_V5',
  'SCATTER_ND', 'SELECT_V2', 'DENSIFY', 'SEGMENT_SUM', 'BATCH_MATMUL', 'PLACEHOLDER_FOR_GREATER_OP_CODES', 'CUMSUM',
  'CALL_ONCE', 'BROADCAST_TO', 'RFFT2D', 'CONV_3D', 'IMAG', 'REAL', 'COMPLEX_ABS', 'HASHTABLE', 'HASHTABLE_FIND',
  'HASHTABLE_IMPORT', 'HASHTABLE_SIZE', 'REDUCE_ALL', 'CONV_3D_TRANSPOSE', 'VAR_HANDLE', 'READ_VARIABLE',
  'ASSIGN_VARIABLE', 'BROADCAST_ARGS', 'RANDOM_STANDARD_NORMAL', 'BUCKETIZE', 'RANDOM_UNIFORM', 'MULTINOMIAL', 'GELU',
  'DYNAMIC_UPDATE_SLICE', 'RELU_0_TO_1', 'UNSORTED_SEGMENT_PROD', 'UNSORTED_SEGMENT_MAX', 'UNSORTED_SEGMENT_SUM',
  'ATAN2', 'UNSORTED_SEGMENT_MIN', 'SIGN', 'BITCAST', 'BITWISE_XOR', 'RIGHT_SHIFT', 'STABLEHLO_LOGISTIC',
  'STABLEHLO_ADD', 'STABLEHLO_DIVIDE', 'STABLEHLO_MULTIPLY', 'STABLEHLO_MAXIMUM', 'STABLEHLO_RESHAPE',
  'STABLEHLO_CLAMP', 'STABLEHLO_CONCATENATE', 'STABLEHLO_BROADCAST_IN_DIM', 'STABLEHLO_CONVOLUTION',
  'STABLEHLO_SLICE', 'STABLEHLO_CUSTOM_CALL', 'STABLEHLO_REDUCE', 'STABLEHLO_ABS', 'STABLEHLO_AND',
  'STABLEHLO_COSINE', 'STABLEHLO_EXPONENTIAL', 'STABLEHLO_FLOOR', 'STABLEHLO_LOG', 'STABLEHLO_MINIMUM',
  'STABLEHLO_NEGATE', 'STABLEHLO_OR', 'STABLEHLO_POWER', 'STABLEHLO_REMAINDER', 'STABLEHLO_RSQRT',
  'STABLEHLO_SELECT', 'STABLEHLO_SUBTRACT', 'STABLEHLO_TANH', 'STABLEHLO_SCATTER', 'STABLEHLO_COMPARE',
  'STABLEHLO_CONVERT', 'STABLEHLO_DYNAMIC_SLICE', 'STABLEHLO_DYNAMIC_UPDATE_SLICE', 'STABLEHLO_PAD',
  'STABLEHLO_IOTA', 'STABLEHLO_DOT_GENERAL', 'STABLEHLO_REDUCE_WINDOW', 'STABLEHLO_SORT', 'STABLEHLO_WHILE',
  'STABLEHLO_GATHER', 'STABLEHLO_TRANSPOSE', 'DILATE', 'STABLEHLO_RNG_BIT_GENERATOR', 'REDUCE_WINDOW',
  'STABLEHLO_COMPOSITE', 'STABLEHLO_SHIFT_LEFT', 'STABLEHLO_CBRT', 'STABLEHLO_CASE',
];

/**
 * `OperatorCode.deprecated_builtin_code` is a byte: codes from this value up are written as
 * it (the schema's PLACEHOLDER_FOR_GREATER_OP_CODES) and the real code goes in `builtin_code`.
 */
export const PLACEHOLDER_FOR_GREATER_OP_CODES = 127;

/** The operator's name for a builtin code, or `BUILTIN_<code>` for a code newer than this list. */
export function builtinOperatorName(code: number): string {
  return BUILTIN_OPERATOR_NAMES[code] ?? `BUILTIN_${code}`;
}
