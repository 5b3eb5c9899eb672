// The builtin-options tables we read and write, declared as data: each table has its position
// in `union BuiltinOptions` (its type code on disk; NONE is 0) and, per field, its slot (the
// field's index in the schema table, deprecated fields included), kind and schema default.
// Adding an op's options is adding one entry here and one line in ./operators.ts.
import { ACTIVATIONS, FC_WEIGHTS_FORMATS, MIRROR_PAD_MODES, PADDINGS, TENSOR_TYPES } from './enums.ts';

export type OptionField =
  | { readonly slot: number; readonly kind: 'bool'; readonly default: boolean }
  | { readonly slot: number; readonly kind: 'int32'; readonly default: number }
  | { readonly slot: number; readonly kind: 'float32'; readonly default: number }
  | { readonly slot: number; readonly kind: 'int32[]' }
  // A byte enum; values are stored by their index in `values`.
  | { readonly slot: number; readonly kind: 'enum'; readonly values: readonly string[]; readonly default: string };

export interface OptionsTable {
  /** Type code in `union BuiltinOptions`. */
  readonly unionType: number;
  readonly fields: Readonly<Record<string, OptionField>>;
}

const bool = (slot: number, byDefault = false) => ({ slot, kind: 'bool', default: byDefault }) as const;
const int32 = (slot: number, byDefault = 0) => ({ slot, kind: 'int32', default: byDefault }) as const;
const float32 = (slot: number, byDefault = 0) => ({ slot, kind: 'float32', default: byDefault }) as const;
const int32s = (slot: number) => ({ slot, kind: 'int32[]' }) as const;
function byteEnum<const V extends readonly string[]>(slot: number, values: V, byDefault: V[number]) {
  return { slot, kind: 'enum', values, default: byDefault } as const;
}
const padding = (slot: number) => byteEnum(slot, PADDINGS, 'SAME');
const activation = (slot: number) => byteEnum(slot, ACTIVATIONS, 'NONE');
// `quantized_bias_type: TensorType` defaults to FLOAT32 (0), meaning "not set".
const biasType = (slot: number) => byteEnum(slot, TENSOR_TYPES, 'float32');

const EMPTY = {} as const;

export const OPTIONS_TABLES = {
  Conv2DOptions: {
    unionType: 1,
    fields: {
      padding: padding(0),
      strideW: int32(1),
      strideH: int32(2),
      fusedActivationFunction: activation(3),
      dilationWFactor: int32(4, 1),
      dilationHFactor: int32(5, 1),
      quantizedBiasType: biasType(6),
    },
  },
  DepthwiseConv2DOptions: {
    unionType: 2,
    fields: {
      padding: padding(0),
      strideW: int32(1),
      strideH: int32(2),
      depthMultiplier: int32(3),
      fusedActivationFunction: activation(4),
      dilationWFactor: int32(5, 1),
      dilationHFactor: int32(6, 1),
    },
  },
  Pool2DOptions: {
    unionType: 5,
    fields: {
      padding: padding(0),
      strideW: int32(1),
      strideH: int32(2),
      filterWidth: int32(3),
      filterHeight: int32(4),
      fusedActivationFunction: activation(5),
    },
  },
  FullyConnectedOptions: {
    unionType: 8,
    fields: {
      fusedActivationFunction: activation(0),
      weightsFormat: byteEnum(1, FC_WEIGHTS_FORMATS, 'DEFAULT'),
      keepNumDims: bool(2),
      asymmetricQuantizeInputs: bool(3),
      quantizedBiasType: biasType(4),
    },
  },
  SoftmaxOptions: { unionType: 9, fields: { beta: float32(0) } },
  ConcatenationOptions: { unionType: 10, fields: { axis: int32(0), fusedActivationFunction: activation(1) } },
  AddOptions: { unionType: 11, fields: { fusedActivationFunction: activation(0), potScaleInt16: bool(1, true) } },
  ResizeBilinearOptions: {
    // Slots 0 and 1 are the deprecated new_height/new_width.
    unionType: 15,
    fields: { alignCorners: bool(2), halfPixelCenters: bool(3) },
  },
  ReshapeOptions: { unionType: 17, fields: { newShape: int32s(0) } },
  MulOptions: { unionType: 21, fields: { fusedActivationFunction: activation(0) } },
  PadOptions: { unionType: 22, fields: EMPTY },
  GatherOptions: { unionType: 23, fields: { axis: int32(0), batchDims: int32(1) } },
  TransposeOptions: { unionType: 26, fields: EMPTY },
  ReducerOptions: { unionType: 27, fields: { keepDims: bool(0) } },
  SubOptions: { unionType: 28, fields: { fusedActivationFunction: activation(0), potScaleInt16: bool(1, true) } },
  DivOptions: { unionType: 29, fields: { fusedActivationFunction: activation(0) } },
  SqueezeOptions: { unionType: 30, fields: { squeezeDims: int32s(0) } },
  StridedSliceOptions: {
    unionType: 32,
    fields: {
      beginMask: int32(0),
      endMask: int32(1),
      ellipsisMask: int32(2),
      newAxisMask: int32(3),
      shrinkAxisMask: int32(4),
      offset: bool(5),
    },
  },
  ExpOptions: { unionType: 33, fields: EMPTY },
  SplitOptions: { unionType: 35, fields: { numSplits: int32(0) } },
  LogSoftmaxOptions: { unionType: 36, fields: EMPTY },
  CastOptions: { unionType: 37, fields: { inDataType: byteEnum(0, TENSOR_TYPES, 'float32'), outDataType: byteEnum(1, TENSOR_TYPES, 'float32') } },
  DequantizeOptions: { unionType: 38, fields: EMPTY },
  MaximumMinimumOptions: { unionType: 39, fields: EMPTY },
  LessOptions: { unionType: 41, fields: EMPTY },
  NegOptions: { unionType: 42, fields: EMPTY },
  PadV2Options: { unionType: 43, fields: EMPTY },
  GreaterOptions: { unionType: 44, fields: EMPTY },
  GreaterEqualOptions: { unionType: 45, fields: EMPTY },
  LessEqualOptions: { unionType: 46, fields: EMPTY },
  SliceOptions: { unionType: 48, fields: EMPTY },
  TransposeConvOptions: {
    unionType: 49,
    fields: {
      padding: padding(0),
      strideW: int32(1),
      strideH: int32(2),
      fusedActivationFunction: activation(3),
      quantizedBiasType: biasType(4),
    },
  },
  ExpandDimsOptions: { unionType: 52, fields: EMPTY },
  EqualOptions: { unionType: 53, fields: EMPTY },
  NotEqualOptions: { unionType: 54, fields: EMPTY },
  PackOptions: { unionType: 59, fields: { valuesCount: int32(0), axis: int32(1) } },
  UnpackOptions: { unionType: 64, fields: { num: int32(0), axis: int32(1) } },
  UnidirectionalSequenceLSTMOptions: {
    unionType: 71,
    fields: {
      fusedActivationFunction: activation(0),
      cellClip: float32(1),
      projClip: float32(2),
      timeMajor: bool(3),
      asymmetricQuantizeInputs: bool(4),
      diagonalRecurrentTensors: bool(5),
    },
  },
  ResizeNearestNeighborOptions: { unionType: 74, fields: { alignCorners: bool(0), halfPixelCenters: bool(1) } },
  LeakyReluOptions: { unionType: 75, fields: { alpha: float32(0) } },
  MirrorPadOptions: { unionType: 77, fields: { mode: byteEnum(0, MIRROR_PAD_MODES, 'REFLECT') } },
  SplitVOptions: { unionType: 79, fields: { numSplits: int32(0) } },
  QuantizeOptions: { unionType: 89, fields: EMPTY },
  HardSwishOptions: { unionType: 91, fields: EMPTY },
  // Subgraph indices into Model.subgraphs (0 is the main graph).
  WhileOptions: { unionType: 93, fields: { condSubgraphIndex: int32(0), bodySubgraphIndex: int32(1) } },
  DepthToSpaceOptions: { unionType: 94, fields: { blockSize: int32(0) } },
  SelectV2Options: { unionType: 98, fields: EMPTY },
  BatchMatMulOptions: { unionType: 101, fields: { adjX: bool(0), adjY: bool(1), asymmetricQuantizeInputs: bool(2) } },
  Conv3DOptions: {
    unionType: 106,
    fields: {
      padding: padding(0),
      strideD: int32(1),
      strideW: int32(2),
      strideH: int32(3),
      fusedActivationFunction: activation(4),
      dilationDFactor: int32(5, 1),
      dilationWFactor: int32(6, 1),
      dilationHFactor: int32(7, 1),
    },
  },
  CumsumOptions: { unionType: 102, fields: { exclusive: bool(0), reverse: bool(1) } },
  GeluOptions: { unionType: 116, fields: { approximate: bool(0) } },
  DynamicUpdateSliceOptions: { unionType: 117, fields: EMPTY },
  ATan2Options: { unionType: 122, fields: EMPTY },
} as const satisfies Record<string, OptionsTable>;

export type OptionsTableName = keyof typeof OPTIONS_TABLES;

type FieldValue<F> = F extends { kind: 'bool' }
  ? boolean
  : F extends { kind: 'int32' | 'float32' }
    ? number
    : F extends { kind: 'int32[]' }
      ? readonly number[]
      : F extends { kind: 'enum'; values: readonly (infer V)[] }
        ? V
        : never;

/** The in-memory form of one options table: every field optional (absent = schema default). */
export type OptionsOf<N extends OptionsTableName> = {
  -readonly [K in keyof (typeof OPTIONS_TABLES)[N]['fields']]?: FieldValue<(typeof OPTIONS_TABLES)[N]['fields'][K]>;
};

/** Plain values of any options table, as the generic encoder/decoder see them. */
export type OptionValues = Record<string, boolean | number | string | readonly number[]>;
