export { OnnxRuntimeError, createOnnxRunner } from './runner.ts';
