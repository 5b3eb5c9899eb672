export { compareTensors, type CompareContext, type Comparison, type Needed } from './compare.ts';
export { allclose, errorMetrics, findIncomparability, layerErrorMetrics, type AllcloseVerdict, type ErrorMetrics, type Incomparable } from './metrics.ts';
export {
  FP32_TOLERANCE,
  ToleranceError,
  describeTolerance,
  parseTolerance,
  type AllcloseTolerance,
  type QuantStepsTolerance,
  type RelativeTolerance,
  type ScaledTolerance,
  type Tolerance,
  type ToleranceRule,
} from './tolerance.ts';
