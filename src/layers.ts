// 'torchport/layers': the custom Keras layers torchport writes (ConstantPadding, HardSwish, ...),
// for loading a converted model.json with tf.loadLayersModel in your own tfjs code. Importing this
// module registers every one of them with tf.serialization, on the @tensorflow/tfjs instance
// torchport resolves (yours too, when npm dedupes it: keep one version of @tensorflow/tfjs).
import { registerCustomLayers } from './keras/builder/index.ts';

export * from './keras/layers/index.ts';

registerCustomLayers();

/**
 * Makes sure torchport's custom layers are registered (importing this module already did) and
 * returns their class names. Call it where a bundler might drop a side-effect-only import.
 */
export function registerLayers(): string[] {
  return registerCustomLayers();
}
