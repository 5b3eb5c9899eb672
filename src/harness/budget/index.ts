export { FLOAT64_DIR, float16WeightsError, loadFloat64Outputs } from '../../golden/index.ts';
export { float64Answer, float64Column, type Float64Column } from './column.ts';
