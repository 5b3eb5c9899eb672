export { OnnxRuntimeError, createOnnxRunner, type OnnxRunnerOptions } from './runner.ts';
