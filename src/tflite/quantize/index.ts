export { symmetricInt8 } from './params.ts';
export { DYNAMIC_RANGE_WEIGHTS, storedAsFloat16, type FloatVariant } from './weights.ts';
export { calibrate, type ExecuteModel } from './calibrate.ts';
export { DEFAULT_OBSERVER, OBSERVERS, type Observer } from './observers.ts';
export { emitInt8, type FloatOpCause } from './int8.ts';
export { int8ParameterProblems } from './spec-check.ts';
