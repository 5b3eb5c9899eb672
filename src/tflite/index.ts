export { DEFAULT_SIGNATURE_KEY, TfliteGraphBuilder, TfliteModelError, modelGraphs, validateModel, type KnownOperator, type Quantization, type TfliteModel, type TfliteSubgraph } from './model.ts';
export { writeTflite } from './writer.ts';
export { TfliteFormatError, optionsWithDefaults, readTflite } from './reader.ts';
export { formatTfliteInspection, inspectTflite, inspectTfliteFile, type InspectedTensor, type TfliteInspection } from './inspect.ts';
