export { TfliteInputError, TfliteRuntimeError, createTfliteRunner } from './runner.ts';
export { executeTflite } from './execute.ts';
export { LiteRtLoadError } from './litert-node.ts';
