// 'torchport/layers': the custom Keras layers torchport writes (ConstantPadding, HardSwish, ...),
// for loading a converted model.json with tf.loadLayersModel in your own tfjs code. Importing this
// module registers every one of them with tf.serialization, on the @tensorflow/tfjs instance
// torchport resolves (yours too, when npm dedupes it: keep one version of @tensorflow/tfjs).
import * as tf from '@tensorflow/tfjs';
import * as layers from './keras/layers/index.ts';

export * from './keras/layers/index.ts';

/**
 * Makes sure torchport's custom layers are registered (importing this module already did) and
 * returns their class names. Call it where a bundler might drop a side-effect-only import.
 */
export function registerLayers(): string[] {
  const registered = tf.serialization.SerializationMap.getMap().classNameMap;
  const names: string[] = [];
  for (const value of Object.values(layers)) {
    if (typeof value !== 'function' || !('className' in value) || typeof value.className !== 'string') continue;
    if (!(value.prototype instanceof tf.layers.Layer)) continue;
    if (!(value.className in registered)) tf.serialization.registerClass(value as unknown as tf.serialization.SerializableConstructor<tf.layers.Layer>);
    names.push(value.className);
  }
  return names.sort();
}
