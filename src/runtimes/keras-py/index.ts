export { convertToKerasNative, convertWithTensorFlow, createKerasPyRunner, type KerasPyRunnerOptions, type TfConvertOptions } from './runner.ts';
