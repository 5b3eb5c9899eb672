// TensorFlow.js, the engine torchport's Keras models are made of. Everything outside src/runtimes/
// that builds, reads or runs a tfjs-layers model takes `tf` from here, and the backend it computes
// on is chosen here too (backend.ts), so which engine and which backend is decided in one module.
export * as tf from '@tensorflow/tfjs';
export { activeTfjsBackend, describeTfjsBackend, initTfjsBackend } from './backend.ts';
