export { asymmetricInt8, int32Bias, quantizeWith, rangeOf, symmetricInt8, unionRange, type Range } from './params.ts';
export { DYNAMIC_RANGE_WEIGHTS, type FloatVariant } from './weights.ts';
export { INT8_RULES, type Int8Rule, type OutputRule } from './rules.ts';
export { calibrate, type CalibrationResult } from './calibrate.ts';
export { emitInt8, type FloatOpCause, type Int8EmitOptions } from './int8.ts';
export { QuantizationError } from './errors.ts';
