// Custom Keras layers for PyTorch operations tfjs-layers has no exact built-in for; each carries its
// TFLite lowering (lower()). The op families list the classes they build, and
// registerCustomLayers() (src/keras/builder/registry.ts) registers them with tf.serialization so
// tf.loadLayersModel can read models that use them.
export { GroupedConv2D, KerasLayerConfigError, adoptGroupedConvolutions, groupedConv2d, type GroupedConv2DArgs } from './grouped_conv2d.ts';
export { GeluTanh, HardSigmoid, HardSwish } from './activations.ts';
export { ConstantPadding, type ConstantPaddingArgs } from './constant_padding.ts';
export { Slice, type SliceArgs } from './slice.ts';
export { Resize2D, type Resize2DArgs } from './resize2d.ts';
export { ConstantArithmetic, type ArithmeticOp, type ConstantArithmeticArgs } from './constant_arithmetic.ts';
export { Reduce, type ReduceOp, type ReduceArgs } from './reduce.ts';
export { Statistic, type StatisticArgs } from './statistic.ts';
export { TopK, type TopKArgs } from './top_k.ts';
export { Subtract } from './subtract.ts';
export { LogSoftmax } from './log_softmax.ts';
export { ConstantTensor, type ConstantTensorArgs } from './constant_tensor.ts';
export { BroadcastTo, type BroadcastToArgs } from './broadcast_to.ts';
export { BatchMatMul, type BatchMatMulArgs } from './batch_matmul.ts';
export { Clamp, MathFunction, MATH_FUNCTIONS, type ClampArgs, type MathFunctionArgs, type MathFunctionName } from './math.ts';
export { StridedSlice, type StridedSliceArgs } from './strided_slice.ts';
export { TorchGRU, type TorchGRUArgs } from './torch_gru.ts';
export { Gather, type GatherArgs } from './gather.ts';
export { COMPARISONS, Compare, Select, type CompareArgs, type Comparison, type SelectArgs } from './select.ts';
export { StaticReshape, type StaticReshapeArgs } from './static_reshape.ts';
