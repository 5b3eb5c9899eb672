export {
  DEFAULT_SIGNATURE_KEY,
  TfliteGraphBuilder,
  TfliteModelError,
  defaultSignature,
  modelGraphs,
  validateModel,
  type KnownOperator,
  type OpaqueOperator,
  type Quantization,
  type Signature,
  type SignatureTensor,
  type TfliteGraph,
  type TfliteModel,
  type TfliteOperator,
  type TfliteSubgraph,
  type TfliteTensor,
} from './model.ts';
export { TfliteWriteError, writeTflite } from './writer.ts';
export { TfliteFormatError, optionsWithDefaults, readTflite, readTfliteFile, type OperatorCodeEntry, type TfliteFile } from './reader.ts';
export { operatorVersion, minimumRuntimeVersion } from './versions.ts';
export { ACTIVATIONS, OPERATORS, PADDINGS, TENSOR_TYPES, type Activation, type OperatorName, type OptionsForOperator, type Padding, type TensorType } from './schema/index.ts';
export { formatTfliteInspection, inspectTflite, inspectTfliteFile, type InspectedOperator, type InspectedQuantization, type InspectedTensor, type TfliteInspection } from './inspect.ts';
