// Field slots of the schema's core tables: a field's slot is its index in the table's
// declaration (deprecated fields keep theirs; a union field takes two, its type then its value).
// These numbers fix the binary layout and must match schema.fbs exactly.

export const MODEL = {
  version: 0,
  operatorCodes: 1,
  subgraphs: 2,
  description: 3,
  buffers: 4,
  metadataBuffer: 5,
  metadata: 6,
  signatureDefs: 7,
  count: 8,
} as const;

export const OPERATOR_CODE = { deprecatedBuiltinCode: 0, customCode: 1, version: 2, builtinCode: 3, count: 4 } as const;

export const SUBGRAPH = { tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4, count: 5 } as const;

export const TENSOR = {
  shape: 0,
  type: 1,
  buffer: 2,
  name: 3,
  quantization: 4,
  isVariable: 5,
  sparsity: 6,
  shapeSignature: 7,
  hasRank: 8,
  count: 9,
} as const;

export const QUANTIZATION = { min: 0, max: 1, scale: 2, zeroPoint: 3, detailsType: 4, details: 5, quantizedDimension: 6, count: 7 } as const;

export const OPERATOR = {
  opcodeIndex: 0,
  inputs: 1,
  outputs: 2,
  builtinOptionsType: 3,
  builtinOptions: 4,
  customOptions: 5,
  customOptionsFormat: 6,
  mutatingVariableInputs: 7,
  intermediates: 8,
  count: 9,
} as const;

export const BUFFER = { data: 0, offset: 1, size: 2, count: 3 } as const;

export const METADATA = { name: 0, buffer: 1, count: 2 } as const;

export const TENSOR_MAP = { name: 0, tensorIndex: 1, count: 2 } as const;

export const SIGNATURE_DEF = { inputs: 0, outputs: 1, signatureKey: 2, deprecatedTag: 3, subgraphIndex: 4, count: 5 } as const;

export const FILE_IDENTIFIER = 'TFL3';
export const SCHEMA_VERSION = 3;
/** `Buffer.data` is declared `force_align: 16`. */
export const BUFFER_ALIGNMENT = 16;
