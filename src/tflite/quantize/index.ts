export { asymmetricInt8, int32Bias, quantizeWith, rangeOf, symmetricInt8, unionRange, type Range } from './params.ts';
export { DYNAMIC_RANGE_WEIGHTS, storedAsFloat16, type FloatVariant } from './weights.ts';
export { INT8_RULES, type Int8Rule, type OutputRule } from './rules.ts';
export { calibrate, type CalibrateOptions, type CalibrationResult, type ExecuteModel } from './calibrate.ts';
export { DEFAULT_OBSERVER, OBSERVERS, type Observer } from './observers.ts';
export { emitInt8, type FloatOpCause, type Int8EmitOptions } from './int8.ts';
export { QuantizationError } from './errors.ts';
export { int8ParameterProblems } from './spec-check.ts';
