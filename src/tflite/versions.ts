// Operator versions and the model's minimum runtime version, as the official converter
// assigns them (tensorflow/lite/tools/versioning): a kernel registers the versions it can run,
// so an int8 CONV_2D must say version 3, a per-channel hybrid one version 5, and so on.
import type { KnownOperator, TfliteGraph } from './model.ts';
import type { TensorType } from './schema/index.ts';

function typeOf(model: TfliteGraph, index: number | undefined): TensorType | undefined {
  return index === undefined || index < 0 ? undefined : model.tensors[index]?.type;
}

function isPerChannel(model: TfliteGraph, index: number | undefined): boolean {
  return index !== undefined && index >= 0 && (model.tensors[index]?.quantization?.scale.length ?? 0) > 1;
}

/** The version the official converter would give this operator in this model. */
export function operatorVersion(model: TfliteGraph, operator: KnownOperator): number {
  const input = typeOf(model, operator.inputs[0]);
  const weights = typeOf(model, operator.inputs[1]);
  const output = typeOf(model, operator.outputs[0]);
  const int8 = input === 'int8' && weights === 'int8' && output === 'int8';
  const hybrid = input === 'float32' && weights === 'int8' && output === 'float32';
  switch (operator.op) {
    case 'CONV_2D':
      if (int8) return 3;
      if (hybrid) return isPerChannel(model, operator.inputs[1]) ? 5 : 2;
      return 1;
    case 'DEPTHWISE_CONV_2D': {
      if (hybrid) return isPerChannel(model, operator.inputs[1]) ? 6 : 4;
      if (int8) return 3;
      const options = operator.options ?? {};
      return (options.dilationWFactor ?? 1) !== 1 || (options.dilationHFactor ?? 1) !== 1 ? 2 : 1;
    }
    case 'FULLY_CONNECTED': {
      const options = operator.options ?? {};
      if (hybrid && isPerChannel(model, operator.inputs[1])) return 12;
      if (operator.inputs.length === 2) return 6;
      if (options.keepNumDims) return 5;
      if (int8) return 4;
      if (hybrid) return options.asymmetricQuantizeInputs ? 9 : 3;
      return 1;
    }
    case 'TRANSPOSE_CONV': {
      if ((operator.options?.fusedActivationFunction ?? 'NONE') !== 'NONE') return 4;
      if (operator.inputs.length === 4 && operator.inputs[3] !== -1) return 3;
      return weights === 'int8' ? 2 : 1;
    }
    case 'DEQUANTIZE':
      if (input === 'float16') return 3;
      return input === 'int8' ? 2 : 1;
    case 'QUANTIZE':
      return output === 'int8' ? 2 : 1;
    case 'SPLIT':
      // Input 0 is the axis; the data is input 1.
      return weights === 'int8' ? 2 : 1;
    case 'ADD':
    case 'SUB':
    case 'MUL':
    case 'AVERAGE_POOL_2D':
    case 'MAX_POOL_2D':
    case 'CONCATENATION':
    case 'MEAN':
    case 'PAD':
    case 'PADV2':
    case 'SOFTMAX':
    case 'LOGISTIC':
    case 'TANH':
    case 'RELU':
    case 'RELU6':
    case 'LEAKY_RELU':
    case 'TRANSPOSE':
    case 'RESIZE_BILINEAR':
    case 'RESIZE_NEAREST_NEIGHBOR':
    case 'STRIDED_SLICE':
    case 'MAXIMUM':
    case 'MINIMUM':
    case 'GATHER':
    case 'SLICE':
    case 'PACK':
    case 'UNPACK':
    case 'GELU':
    case 'RSQRT':
    case 'EXP':
    case 'REDUCE_MAX':
    case 'SUM':
    case 'LOG_SOFTMAX':
      return input === 'int8' ? 2 : 1;
    // BROADCAST_TO's version 1 was the Flex (TensorFlow) kernel; the builtin starts at 2 and
    // LiteRT registers no version 1.
    case 'BROADCAST_TO':
      return 2;
    default:
      return 1;
  }
}

// Runtime release that first shipped each (operator, version) we emit; operators missing here
// do not raise the model's minimum.
const FIRST_RUNTIME: Readonly<Record<string, string>> = {
  'ADD/1': '1.5.0', 'ADD/2': '1.14.0',
  'AVERAGE_POOL_2D/1': '1.5.0', 'AVERAGE_POOL_2D/2': '1.14.0',
  'BATCH_MATMUL/1': '2.3.0',
  'BROADCAST_TO/2': '2.5.0',
  'CONCATENATION/1': '1.5.0', 'CONCATENATION/2': '1.14.0',
  'CONV_2D/1': '1.5.0', 'CONV_2D/2': '1.14.0', 'CONV_2D/3': '1.14.0', 'CONV_2D/5': '2.4.0',
  'DEPTHWISE_CONV_2D/1': '1.5.0', 'DEPTHWISE_CONV_2D/2': '1.12.0', 'DEPTHWISE_CONV_2D/3': '1.14.0',
  'DEPTHWISE_CONV_2D/4': '2.2.0', 'DEPTHWISE_CONV_2D/6': '2.3.0',
  'DEQUANTIZE/1': '1.13.1', 'DEQUANTIZE/2': '1.14.0', 'DEQUANTIZE/3': '1.15.0',
  'DIV/1': '1.6.0',
  'DYNAMIC_UPDATE_SLICE/1': '2.9.0',
  'EQUAL/1': '1.14.0',
  'ELU/1': '2.4.0', 'ELU/2': '2.4.0',
  'FULLY_CONNECTED/1': '1.5.0', 'FULLY_CONNECTED/3': '1.14.0', 'FULLY_CONNECTED/4': '1.14.0',
  'FULLY_CONNECTED/5': '2.0.0', 'FULLY_CONNECTED/6': '2.1.0', 'FULLY_CONNECTED/9': '2.3.0',
  'GATHER/1': '1.6.0',
  'GELU/1': '2.9.0',
  'GREATER/1': '1.14.0',
  'GREATER_EQUAL/1': '1.14.0',
  'HARD_SWISH/1': '1.15.0',
  'LESS/1': '1.14.0',
  'LESS_EQUAL/1': '1.14.0',
  'LEAKY_RELU/1': '1.13.1', 'LEAKY_RELU/2': '2.3.0',
  'LOG_SOFTMAX/1': '1.14.0', 'LOG_SOFTMAX/2': '1.14.0',
  'LOGISTIC/1': '1.14.0', 'LOGISTIC/2': '1.14.0',
  'MAX_POOL_2D/1': '1.5.0', 'MAX_POOL_2D/2': '1.14.0',
  'MEAN/1': '1.6.0', 'MEAN/2': '1.14.0',
  'MUL/1': '1.5.0', 'MUL/2': '1.14.0',
  'NEG/1': '1.9.0',
  'NOT_EQUAL/1': '1.14.0',
  'PAD/1': '1.5.0', 'PAD/2': '1.14.0',
  'PADV2/1': '1.9.0', 'PADV2/2': '1.14.0',
  'PRELU/1': '1.8.0',
  'QUANTIZE/1': '1.14.0', 'QUANTIZE/2': '1.15.0',
  'RELU/1': '1.5.0', 'RELU/2': '2.1.0',
  'RELU6/1': '1.5.0', 'RELU6/2': '1.14.0',
  'RESHAPE/1': '1.5.0',
  'RSQRT/1': '1.10.0', 'RSQRT/2': '2.5.0',
  'RESIZE_BILINEAR/1': '1.7.0', 'RESIZE_BILINEAR/2': '1.14.0',
  'RESIZE_NEAREST_NEIGHBOR/1': '1.13.1', 'RESIZE_NEAREST_NEIGHBOR/2': '1.14.0',
  'SOFTMAX/1': '1.5.0', 'SOFTMAX/2': '1.14.0',
  'SPLIT/1': '1.5.0', 'SPLIT/2': '1.14.0',
  'SQUEEZE/1': '1.6.0',
  'STRIDED_SLICE/1': '1.6.0', 'STRIDED_SLICE/2': '1.14.0',
  'SUB/1': '1.6.0', 'SUB/2': '1.14.0',
  'SUM/1': '1.10.0', 'SUM/2': '1.15.0',
  'SELECT_V2/1': '2.2.0',
  'SLICE/1': '1.14.0', 'SLICE/2': '1.14.0',
  'REDUCE_MAX/1': '1.11.0', 'REDUCE_MAX/2': '1.14.0',
  'TANH/1': '1.14.0', 'TANH/2': '1.14.0',
  'TRANSPOSE/1': '1.6.0', 'TRANSPOSE/2': '1.14.0',
  'TRANSPOSE_CONV/1': '1.9.0', 'TRANSPOSE_CONV/2': '2.2.0', 'TRANSPOSE_CONV/3': '2.3.0',
  'WHILE/1': '1.15.0',
};

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The oldest runtime release that has every (operator, version) pair in the list. */
export function minimumRuntimeVersion(operators: Iterable<{ name: string; version: number }>): string {
  let minimum = '1.5.0';
  for (const { name, version } of operators) {
    const needed = FIRST_RUNTIME[`${name}/${version}`];
    if (needed && compareVersions(needed, minimum) > 0) minimum = needed;
  }
  return minimum;
}
