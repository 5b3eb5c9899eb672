export { TargetUnavailableError, type ModelStructure, type OpenTarget, type Target } from './target.ts';
export { onnxTarget } from './onnx.ts';
export { torchTarget } from './torch.ts';
