export { TargetUnavailableError, type ModelStructure, type OpenTarget, type Target } from './target.ts';
export { UnknownTargetError, availableTargetNames, createTargets, type TargetContext } from './registry.ts';
export { onnxTarget } from './onnx.ts';
export { torchTarget } from './torch.ts';
