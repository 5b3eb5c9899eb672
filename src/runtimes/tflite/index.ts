export { TfliteInputError, TfliteRuntimeError, createTfliteRunner, type TfliteRunnerOptions } from './runner.ts';
export { executeTflite } from './execute.ts';
export { LiteRtLoadError } from './litert-node.ts';
