export { FLOAT64_DIR, FLOAT64_RECORD_HINT, float64File, loadFloat64Outputs, type Float64Outputs, type Float64Record } from '../../golden/index.ts';
export { float64Answer, float64Column, type Float64Column } from './column.ts';
