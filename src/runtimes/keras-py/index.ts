export { convertToKerasNative, createKerasPyRunner, type KerasPyRunnerOptions } from './runner.ts';
