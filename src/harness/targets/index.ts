export type { ModelStructure, OpenTarget, Target } from './target.ts';
export { onnxTarget } from './onnx.ts';
export { torchTarget } from './torch.ts';
