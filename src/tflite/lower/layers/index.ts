// The lowerings torchport's custom Keras layer classes call from their lower() methods.
export { compare, gather, select } from './condition.ts';
export { reshape } from './core.ts';
export { groupedConv2d } from './conv.ts';
export { torchGru } from './recurrent.ts';
export { statistic, topK, type StatisticOp } from './statistic.ts';
export { batchMatMul, clamp, mathFunction, stridedSlice } from './sequence.ts';
export { broadcastTo, constantArithmetic, constantPadding, constantTensor, geluTanh, hardSigmoid, hardSwish, logSoftmax, reduce, resize2d, slice, subtract } from './torchport.ts';
