// The op table: for every PyTorch op the builder knows (a module class such as Conv2d, or a
// function such as torch.cat / Tensor.view / F.relu), the Keras layer classes it becomes and the
// TFLite ops those are expected to lower to. Converters live in ops/; this file only maps.
import * as activation from './ops/activation.ts';
import { passThrough, type Converter } from './ops/common.ts';
import * as conv from './ops/conv.ts';
import * as elementwise from './ops/elementwise.ts';
import * as attention from './ops/attention.ts';
import * as condition from './ops/condition.ts';
import { checkEmbedding, embedding, integerCast, linear } from './ops/linear.ts';
import * as math from './ops/math.ts';
import { pad } from './ops/pad.ts';
import * as norm from './ops/norm.ts';
import * as pool from './ops/pool.ts';
import { checkRecurrent, recurrent } from './ops/recurrent.ts';
import * as reduce from './ops/reduce.ts';
import * as resize from './ops/resize.ts';
import * as shape from './ops/shape.ts';
import type { OpNode } from './op_node.ts';

export interface OpEntry {
  /** Keras layer classes this op may become (built-in names, or torchport's custom layers). */
  readonly keras: readonly string[];
  /** TFLite builtin ops those layers are expected to lower to ([] for ops that vanish). */
  readonly tflite: readonly string[];
  readonly convert: Converter;
  /**
   * Why this node cannot be converted, checked on every node before building so that one error
   * lists them all. `shapes` gives recorded value shapes.
   */
  readonly check?: (node: OpNode, shapes: (value: string) => readonly number[] | undefined) => string | undefined;
}

const entry = (keras: readonly string[], tflite: readonly string[], convert: Converter, check?: OpEntry['check']): OpEntry => ({ keras, tflite, convert, ...(check ? { check } : {}) });

/** x > y and friends under every spelling PyTorch records: Tensor.gt, torch.gt, torch.greater, ... */
function comparisons(): Record<string, OpEntry> {
  const tflite: Record<condition.Comparison, string> = { greater: 'GREATER', greaterEqual: 'GREATER_EQUAL', less: 'LESS', lessEqual: 'LESS_EQUAL', equal: 'EQUAL', notEqual: 'NOT_EQUAL' };
  const spellings: Record<condition.Comparison, readonly string[]> = {
    greater: ['gt', 'greater', '__gt__'],
    greaterEqual: ['ge', 'greater_equal', '__ge__'],
    less: ['lt', 'less', '__lt__'],
    lessEqual: ['le', 'less_equal', '__le__'],
    equal: ['eq', '__eq__'],
    notEqual: ['ne', 'not_equal', '__ne__'],
  };
  const table: Record<string, OpEntry> = {};
  for (const op of condition.COMPARISONS) {
    const converter = entry(['Compare'], [tflite[op]], condition.compare(op));
    for (const name of spellings[op]) {
      table[`Tensor.${name}`] = converter;
      if (!name.startsWith('__')) table[`torch.${name}`] = converter;
    }
  }
  return table;
}

const NO_OP = entry([], [], passThrough);
const RESHAPE = entry(['Reshape', 'Flatten'], ['RESHAPE'], shape.reshape);
const TRANSPOSE = entry([], [], shape.transpose);
const PERMUTE = entry([], [], shape.permuteOp);
const SPLIT = entry(['Slice'], ['SLICE'], shape.split);
const STACK = entry(['Reshape', 'Concatenate'], ['RESHAPE', 'CONCATENATION'], shape.stack);
const MATMUL = entry(['BatchMatMul', 'Permute'], ['BATCH_MATMUL', 'TRANSPOSE'], math.matmul, math.checkMatmul);
const unary = (fn: Parameters<typeof math.unary>[0], tflite: readonly string[]) => entry(['MathFunction'], tflite, math.unary(fn));
const SQRT = unary('sqrt', ['SQRT']);
const RSQRT = unary('rsqrt', ['RSQRT']);
const EXP = unary('exp', ['EXP']);
const LOG = unary('log', ['LOG']);
const ERF = unary('erf', ['MUL', 'ADD', 'EXP', 'SIGN']);
const ABS = unary('abs', ['ABS']);
const POW = entry(['MathFunction'], ['POW', 'MUL', 'SQRT'], math.pow, math.checkPow);
const CLAMP = entry(['Clamp', 'Activation'], ['MAXIMUM', 'MINIMUM', 'RELU', 'RELU6'], math.clamp);
const CAT = entry(['Concatenate', 'ConstantTensor'], ['CONCATENATION'], shape.cat);
const RELU = entry(['Activation'], ['RELU'], activation.relu);
const RELU6 = entry(['Activation'], ['RELU6'], activation.relu6);
const SIGMOID = entry(['Activation'], ['LOGISTIC'], activation.sigmoid);
const TANH = entry(['Activation'], ['TANH'], activation.tanh);
const SILU = entry(['Activation'], ['LOGISTIC', 'MUL'], activation.silu);
const HARDSWISH = entry(['HardSwish'], ['HARD_SWISH'], activation.hardswish);
const HARDSIGMOID = entry(['HardSigmoid'], ['ADD', 'RELU6', 'MUL'], activation.hardsigmoid);
const SOFTMAX = entry(['Softmax'], ['SOFTMAX'], reduce.softmax);
const LOG_SOFTMAX = entry(['LogSoftmax'], ['LOG_SOFTMAX'], reduce.logSoftmax);
const MEAN = entry(['GlobalAveragePooling2D', 'GlobalAveragePooling1D', 'AveragePooling2D', 'AveragePooling1D', 'Reduce'], ['MEAN', 'AVERAGE_POOL_2D'], reduce.reduction('mean'));
const SUM = entry(['Reduce'], ['SUM'], reduce.reduction('sum'));
const AMAX = entry(['GlobalMaxPooling2D', 'GlobalMaxPooling1D', 'MaxPooling2D', 'MaxPooling1D', 'Reduce'], ['REDUCE_MAX', 'MAX_POOL_2D'], reduce.reduction('max'));

function binary(op: 'add' | 'sub' | 'mul' | 'div', merge: string, tflite: string, reflected = false): OpEntry {
  return entry([merge, 'ConstantArithmetic'].filter(Boolean), [tflite], elementwise.binary(op, reflected), (node) => elementwise.checkBinary(node, op));
}
const ADD = binary('add', 'Add', 'ADD');
const SUB = binary('sub', 'Subtract', 'SUB');
const RSUB = binary('sub', 'Subtract', 'SUB', true);
const MUL = binary('mul', 'Multiply', 'MUL');
const DIV = binary('div', '', 'DIV');
const RDIV = binary('div', '', 'DIV', true);

const CONV = ['ZeroPadding2D', 'ConstantPadding'];

export const OP_TABLE: Readonly<Record<string, OpEntry>> = {
  // -- modules ---------------------------------------------------------------------------------
  Conv2d: entry(['Conv2D', 'DepthwiseConv2D', 'GroupedConv2D', ...CONV], ['CONV_2D', 'DEPTHWISE_CONV_2D', 'PAD'], conv.conv2d, conv.checkConv),
  Conv1d: entry(['Conv1D', 'ConstantPadding'], ['CONV_2D', 'PAD', 'RESHAPE'], conv.conv1d, conv.checkConv),
  ConvTranspose2d: entry(['Conv2DTranspose', 'Cropping2D'], ['TRANSPOSE_CONV', 'SLICE'], conv.convTranspose2d, conv.checkConvTranspose),
  Linear: entry(['Dense'], ['FULLY_CONNECTED'], linear),
  BatchNorm1d: entry(['BatchNormalization'], ['MUL', 'ADD'], norm.batchNorm, norm.checkBatchNorm),
  BatchNorm2d: entry(['BatchNormalization'], ['MUL', 'ADD'], norm.batchNorm, norm.checkBatchNorm),
  LayerNorm: entry(['LayerNormalization'], ['MEAN', 'SQUARED_DIFFERENCE', 'RSQRT', 'MUL', 'ADD', 'SUB'], norm.layerNorm, norm.checkLayerNorm),
  MaxPool2d: entry(['MaxPooling2D', 'ConstantPadding'], ['MAX_POOL_2D', 'PADV2'], pool.maxPool2d),
  MaxPool1d: entry(['MaxPooling1D', 'ConstantPadding'], ['MAX_POOL_2D', 'PADV2', 'RESHAPE'], pool.maxPool1d),
  AvgPool2d: entry(['AveragePooling2D', 'ConstantPadding', 'ConstantArithmetic'], ['AVERAGE_POOL_2D', 'PAD', 'MUL'], pool.avgPool2d),
  AvgPool1d: entry(['AveragePooling1D', 'ConstantPadding', 'ConstantArithmetic'], ['AVERAGE_POOL_2D', 'PAD', 'MUL', 'RESHAPE'], pool.avgPool1d),
  AdaptiveAvgPool2d: entry(['AveragePooling2D'], ['AVERAGE_POOL_2D'], pool.adaptiveAvgPool, pool.checkAdaptive),
  AdaptiveAvgPool1d: entry(['AveragePooling1D'], ['AVERAGE_POOL_2D', 'RESHAPE'], pool.adaptiveAvgPool, pool.checkAdaptive),
  AdaptiveMaxPool2d: entry(['MaxPooling2D'], ['MAX_POOL_2D'], pool.adaptiveMaxPool, pool.checkAdaptive),
  ReLU: RELU,
  ReLU6: RELU6,
  Sigmoid: SIGMOID,
  Tanh: TANH,
  SiLU: SILU,
  Hardswish: HARDSWISH,
  Hardsigmoid: HARDSIGMOID,
  GELU: entry(['Activation', 'GeluTanh'], ['GELU'], activation.geluModule),
  LeakyReLU: entry(['LeakyReLU'], ['LEAKY_RELU'], activation.leakyReluModule),
  ELU: entry(['ELU'], ['ELU'], activation.eluModule),
  Hardtanh: entry(['Activation'], ['RELU6'], activation.hardtanhModule),
  Softplus: entry(['Activation'], ['EXP', 'ADD', 'LOG'], activation.softplusModule),
  PReLU: entry(['PReLU'], ['PRELU'], activation.prelu),
  Softmax: SOFTMAX,
  LogSoftmax: LOG_SOFTMAX,
  Embedding: entry(['Embedding'], ['GATHER', 'CAST'], embedding, checkEmbedding),
  MultiheadAttention: entry(['Dense', 'Slice', 'Reshape', 'Permute', 'ConstantArithmetic', 'BatchMatMul', 'Softmax', 'Reduce'], ['FULLY_CONNECTED', 'SLICE', 'RESHAPE', 'TRANSPOSE', 'DIV', 'BATCH_MATMUL', 'SOFTMAX', 'MEAN'], attention.multiheadAttention, attention.checkMultiheadAttention),
  LSTM: entry(['LSTM', 'Bidirectional'], ['FULLY_CONNECTED', 'ADD', 'SPLIT', 'LOGISTIC', 'TANH', 'MUL', 'CONCATENATION'], recurrent, checkRecurrent),
  GRU: entry(['TorchGRU', 'Concatenate'], ['FULLY_CONNECTED', 'ADD', 'SPLIT', 'LOGISTIC', 'TANH', 'MUL', 'SUB', 'CONCATENATION'], recurrent, checkRecurrent),
  Identity: NO_OP,
  Dropout: NO_OP,
  Dropout2d: NO_OP,
  Dropout1d: NO_OP,
  AlphaDropout: NO_OP,
  Flatten: RESHAPE,
  Unflatten: RESHAPE,
  Upsample: entry(['UpSampling2D', 'Resize2D'], ['RESIZE_NEAREST_NEIGHBOR', 'RESIZE_BILINEAR'], resize.upsampleModule),
  UpsamplingNearest2d: entry(['UpSampling2D', 'Resize2D'], ['RESIZE_NEAREST_NEIGHBOR'], resize.upsampleModule),
  UpsamplingBilinear2d: entry(['Resize2D'], ['RESIZE_BILINEAR'], resize.upsampleModule),

  // -- functions and Tensor methods ------------------------------------------------------------
  'F.relu': RELU,
  'F.relu_': RELU,
  'torch.relu': RELU,
  'torch.relu_': RELU,
  'Tensor.relu': RELU,
  'Tensor.relu_': RELU,
  'F.relu6': RELU6,
  'F.hardtanh': entry(['Activation'], ['RELU6'], activation.hardtanhFunction),
  'F.hardtanh_': entry(['Activation'], ['RELU6'], activation.hardtanhFunction),
  'F.sigmoid': SIGMOID,
  'torch.sigmoid': SIGMOID,
  'Tensor.sigmoid': SIGMOID,
  'Tensor.sigmoid_': SIGMOID,
  'F.tanh': TANH,
  'torch.tanh': TANH,
  'Tensor.tanh': TANH,
  'F.silu': SILU,
  'F.hardswish': HARDSWISH,
  'F.hardsigmoid': HARDSIGMOID,
  'F.gelu': entry(['Activation', 'GeluTanh'], ['GELU'], activation.geluFunction),
  'F.leaky_relu': entry(['LeakyReLU'], ['LEAKY_RELU'], activation.leakyReluFunction),
  'F.elu': entry(['ELU'], ['ELU'], activation.eluFunction),
  'F.softmax': SOFTMAX,
  'F.log_softmax': LOG_SOFTMAX,
  'torch.log_softmax': LOG_SOFTMAX,
  'Tensor.log_softmax': LOG_SOFTMAX,
  'F.pad': entry(['ZeroPadding2D', 'ConstantPadding', 'Slice'], ['PAD', 'PADV2', 'SLICE'], pad),
  'torch.softmax': SOFTMAX,
  'Tensor.softmax': SOFTMAX,
  'F.dropout': NO_OP,
  'F.dropout2d': NO_OP,
  'Tensor.contiguous': NO_OP,
  'Tensor.clone': NO_OP,
  'Tensor.detach': NO_OP,
  'torch.flatten': RESHAPE,
  'Tensor.flatten': RESHAPE,
  'Tensor.view': RESHAPE,
  'Tensor.reshape': RESHAPE,
  'torch.reshape': RESHAPE,
  'Tensor.squeeze': RESHAPE,
  'torch.squeeze': RESHAPE,
  'Tensor.unsqueeze': RESHAPE,
  'torch.unsqueeze': RESHAPE,
  'Tensor.transpose': TRANSPOSE,
  'torch.transpose': TRANSPOSE,
  'Tensor.permute': PERMUTE,
  'torch.permute': PERMUTE,
  'torch.cat': CAT,
  'torch.concat': CAT,
  'torch.split': SPLIT,
  'Tensor.split': SPLIT,
  'torch.chunk': SPLIT,
  'Tensor.chunk': SPLIT,
  'Tensor.expand': entry(['BroadcastTo'], ['BROADCAST_TO'], shape.expand),
  'Tensor.expand_as': entry(['BroadcastTo'], ['BROADCAST_TO'], shape.expand),
  'Tensor.__getitem__': entry(['Slice', 'StridedSlice', 'Gather', 'Reshape'], ['SLICE', 'STRIDED_SLICE', 'GATHER', 'RESHAPE'], shape.getItem, condition.checkIndexing),
  'Tensor.mean': MEAN,
  'torch.mean': MEAN,
  'Tensor.sum': SUM,
  'torch.sum': SUM,
  'Tensor.amax': AMAX,
  'torch.amax': AMAX,
  'F.max_pool2d': entry(['MaxPooling2D', 'ConstantPadding'], ['MAX_POOL_2D', 'PADV2'], pool.maxPool2dFunction),
  'F.avg_pool2d': entry(['AveragePooling2D', 'ConstantPadding', 'ConstantArithmetic'], ['AVERAGE_POOL_2D', 'PAD', 'MUL'], pool.avgPool2dFunction),
  'F.adaptive_avg_pool2d': entry(['AveragePooling2D'], ['AVERAGE_POOL_2D'], pool.adaptiveAvgPool, pool.checkAdaptive),
  'F.adaptive_avg_pool1d': entry(['AveragePooling1D'], ['AVERAGE_POOL_2D', 'RESHAPE'], pool.adaptiveAvgPool, pool.checkAdaptive),
  'F.adaptive_max_pool2d': entry(['MaxPooling2D'], ['MAX_POOL_2D'], pool.adaptiveMaxPool, pool.checkAdaptive),
  'F.interpolate': entry(['UpSampling2D', 'Resize2D'], ['RESIZE_NEAREST_NEIGHBOR', 'RESIZE_BILINEAR'], resize.interpolate),
  'F.upsample': entry(['UpSampling2D', 'Resize2D'], ['RESIZE_NEAREST_NEIGHBOR', 'RESIZE_BILINEAR'], resize.interpolate),
  'torch.add': ADD,
  'Tensor.add': ADD,
  'Tensor.add_': ADD,
  'Tensor.__add__': ADD,
  'Tensor.__iadd__': ADD,
  'Tensor.__radd__': ADD,
  'torch.sub': SUB,
  'Tensor.sub': SUB,
  'Tensor.sub_': SUB,
  'Tensor.__sub__': SUB,
  'Tensor.__isub__': SUB,
  'Tensor.__rsub__': RSUB,
  'torch.mul': MUL,
  'Tensor.mul': MUL,
  'Tensor.mul_': MUL,
  'Tensor.__mul__': MUL,
  'Tensor.__imul__': MUL,
  'Tensor.__rmul__': MUL,
  'torch.div': DIV,
  'Tensor.div': DIV,
  'Tensor.div_': DIV,
  'Tensor.__truediv__': DIV,
  'Tensor.__itruediv__': DIV,
  'Tensor.__rtruediv__': RDIV,
  'Tensor.neg': entry(['ConstantArithmetic'], ['NEG'], elementwise.negate),
  'torch.neg': entry(['ConstantArithmetic'], ['NEG'], elementwise.negate),
  'Tensor.__neg__': entry(['ConstantArithmetic'], ['NEG'], elementwise.negate),
  'torch.stack': STACK,
  'torch.matmul': MATMUL,
  'torch.bmm': MATMUL,
  'Tensor.matmul': MATMUL,
  'Tensor.bmm': MATMUL,
  'Tensor.__matmul__': MATMUL,
  'torch.sqrt': SQRT,
  'Tensor.sqrt': SQRT,
  'torch.rsqrt': RSQRT,
  'Tensor.rsqrt': RSQRT,
  'torch.exp': EXP,
  'Tensor.exp': EXP,
  'torch.log': LOG,
  'Tensor.log': LOG,
  'torch.erf': ERF,
  'Tensor.erf': ERF,
  'torch.special.erf': ERF,
  'torch.abs': ABS,
  'Tensor.abs': ABS,
  'Tensor.__abs__': ABS,
  'torch.pow': POW,
  'Tensor.pow': POW,
  'Tensor.__pow__': POW,
  'torch.clamp': CLAMP,
  'torch.clip': CLAMP,
  'Tensor.clamp': CLAMP,
  'Tensor.clip': CLAMP,
  'Tensor.clamp_': CLAMP,
  'torch.clamp_min': entry(['Clamp', 'Activation'], ['MAXIMUM', 'RELU'], math.oneSidedClamp('min')),
  'Tensor.clamp_min': entry(['Clamp', 'Activation'], ['MAXIMUM', 'RELU'], math.oneSidedClamp('min')),
  'torch.clamp_max': entry(['Clamp'], ['MINIMUM'], math.oneSidedClamp('max')),
  'Tensor.clamp_max': entry(['Clamp'], ['MINIMUM'], math.oneSidedClamp('max')),
  'Tensor.long': entry(['MathFunction'], ['CAST'], integerCast),
  'Tensor.int': entry(['MathFunction'], ['CAST'], integerCast),
  'Tensor.float': entry(['Select'], ['SELECT_V2'], condition.toFloat),
  ...comparisons(),
  'torch.where': entry(['Select'], ['SELECT_V2'], condition.where, condition.checkWhere),
  'Tensor.where': entry(['Select'], ['SELECT_V2'], condition.where, condition.checkWhere),
  'Tensor.masked_fill': entry(['Select'], ['SELECT_V2'], condition.maskedFill),
  'Tensor.masked_fill_': entry(['Select'], ['SELECT_V2'], condition.maskedFill),
  'torch.masked_fill': entry(['Select'], ['SELECT_V2'], condition.maskedFill),
  'torch.zeros_like': entry(['ConstantTensor'], [], condition.fillLike('zeros')),
  'torch.ones_like': entry(['ConstantTensor'], [], condition.fillLike('ones')),
  'torch.full_like': entry(['ConstantTensor'], [], condition.fillLike('full')),
  'torch.index_select': entry(['Gather'], ['GATHER'], condition.indexSelect, condition.checkIndexing),
  'Tensor.index_select': entry(['Gather'], ['GATHER'], condition.indexSelect, condition.checkIndexing),
  'torch.maximum': entry(['Maximum'], ['MAXIMUM'], elementwise.extremum('maximum')),
  'torch.minimum': entry(['Minimum'], ['MINIMUM'], elementwise.extremum('minimum')),
};
