export { FLOAT64_DIR, loadFloat64Outputs } from '../../golden/index.ts';
export { budgetAnswers, float64Column, type Float64Column } from './column.ts';
