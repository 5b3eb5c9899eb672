export { convertToKerasNative, convertWithTensorFlow, createKerasPyRunner } from './runner.ts';
