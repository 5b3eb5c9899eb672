// Custom Keras layers for PyTorch operations tfjs-layers has no exact built-in for. Importing this
// module registers them with tf.serialization, so tf.loadLayersModel can read models that use them.
export { GroupedConv2D, KerasLayerConfigError, adoptGroupedConvolutions, groupedConv2d, type GroupedConv2DArgs } from './grouped_conv2d.ts';
