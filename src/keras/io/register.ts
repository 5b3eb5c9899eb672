// For apps: plain `tf.loadLayersModel` reads torchport's model.json once torchport's custom layers
// are registered with TensorFlow.js. Importing torchport's layers registers them; this function
// makes that an explicit call and says what it registered.
import { tf } from '../../runtimes/tfjs/index.ts';
import * as layers from '../layers/index.ts';

/**
 * Registers every torchport custom layer (HardSwish, ConstantPadding, GroupedConv2D, ...) with the
 * `@tensorflow/tfjs` instance torchport uses (the app's own, when npm dedupes it); returns their
 * class names. Idempotent.
 */
export function registerTorchportLayers(): string[] {
  const names: string[] = [];
  for (const value of Object.values(layers)) {
    if (typeof value !== 'function' || !(value.prototype instanceof tf.layers.Layer)) continue;
    const layer = value as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable> & { className: string };
    tf.serialization.registerClass(layer);
    names.push(layer.className);
  }
  return names.sort();
}
