export { convertWithTensorFlow, createKerasPyRunner, type KerasPyRunner, type KerasPyRunnerOptions, type TfConvertOptions } from './runner.ts';
