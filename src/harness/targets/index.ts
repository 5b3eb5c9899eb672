export { TargetUnavailableError, type SelfTimedLatency, type Divergence, type DivergentLayer, type ModelStructure, type OpenTarget, type Target } from './target.ts';
export { ConversionFailedError, artifactsSource, conversionCache, kerasTarget, tfliteTarget, type ConversionSource } from './converted.ts';
export { DEFAULT_TARGETS, UnknownTargetError, availableTargetNames, createTargets, type TargetContext } from './registry.ts';
export { onnxTarget } from './onnx.ts';
export { StaleWeightsError, torchTarget } from './torch.ts';
export { KerasFormatMismatchError, kerasPyTarget, tfConverterTarget, tfliteNativeTarget } from './python-side.ts';
export { ModelFileError, fileTargets, tfliteVariantOf, type ModelFile, type ModelFileKind } from './file.ts';
export { IoMatchError, matchIo, type IoBinding, type LayoutChoice } from './io-match.ts';
