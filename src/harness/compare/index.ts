export { compareTensors, type Comparison } from './compare.ts';
export { allclose, errorMetrics, findIncomparability, type AllcloseVerdict, type ErrorMetrics, type Incomparable } from './metrics.ts';
export { FP32_TOLERANCE, ToleranceError, describeTolerance, parseTolerance, type AllcloseTolerance, type Tolerance } from './tolerance.ts';
