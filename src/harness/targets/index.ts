export { TargetUnavailableError, type Divergence, type ModelStructure, type OpenTarget, type Target } from './target.ts';
export { kerasTarget, type ConversionSource } from './converted.ts';
export { DEFAULT_TARGETS, availableTargetNames, createTargets, type TargetContext } from './registry.ts';
export { onnxTarget } from './onnx.ts';
export { torchTarget } from './torch.ts';
export { fileTargets, type ModelFile } from './file.ts';
export { type LayoutChoice } from './io-match.ts';
