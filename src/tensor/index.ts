export { DTYPES, BYTES_PER_ELEMENT, fromLittleEndianBytes, isDType, isFloatDType, toLittleEndianBytes, viewOf, type DType, type TensorData } from './dtype.ts';
export { bfloat16BitsToNumber, float16BitsToNumber, numberToBfloat16Bits, numberToFloat16Bits } from './float16.ts';
export { Tensor, TensorShapeError, channelsFirstAxes, channelsLastAxes, inversePermutation, sizeOf, stridesOf, unravelIndex, type Shape } from './tensor.ts';
export { NpyFormatError, decodeNpy, encodeNpy } from './npy.ts';
export {
  InputDistributionError,
  STANDARD_NORMAL,
  describeDistribution,
  parseInputDistribution,
  seededInput,
  seededInputs,
  type InputDistribution,
} from './random.ts';
