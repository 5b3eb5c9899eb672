export { FLOAT64_DIR, float64File, parseFloat64Record, recordFloat64, type Float64Record, type RecordedSeed } from './record.ts';
export { FLOAT64_RECORD_HINT, loadFloat64Outputs, type Float64Outputs } from './reference.ts';
export { float64Answer, float64Column, type Float64Column } from './column.ts';
