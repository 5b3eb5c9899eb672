export { BYTES_PER_ELEMENT, isDType, isFloatDType, toLittleEndianBytes, viewOf, type DType } from './dtype.ts';
export { float16BitsToNumber, numberToFloat16Bits } from './float16.ts';
export { Tensor, TensorShapeError, channelsFirstAxes, channelsLastAxes, inversePermutation, sizeOf, stridesOf, unravelIndex, type Shape } from './tensor.ts';
export { NpyFormatError, decodeNpy, encodeNpy } from './npy.ts';
export { InputDistributionError, STANDARD_NORMAL, describeDistribution, parseInputDistribution, seededInput, seededInputs, type InputDistribution } from './random.ts';
