export { TfliteInputError, TfliteRuntimeError, createTfliteRunner, type TfliteRunnerOptions } from './runner.ts';
export { LiteRtLoadError } from './litert-node.ts';
