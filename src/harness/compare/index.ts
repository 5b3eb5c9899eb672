export { compareTensors, type CompareContext, type Comparison, type Needed } from './compare.ts';
export { allclose, errorMetrics, findIncomparability, layerErrorMetrics, type AllcloseVerdict, type ErrorMetrics, type Incomparable } from './metrics.ts';
export {
  FLOAT16_BUDGET,
  FLOAT64_BUDGET,
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
export { float64Error, judgeFloat64Budget, type BudgetVerdict, type Float64BudgetTolerance, type Float64Error } from './float64-budget.ts';
export { judgeFloat16Budget, type Float16BudgetTolerance } from './float16-budget.ts';
