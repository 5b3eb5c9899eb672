export { PLACEHOLDER_FOR_GREATER_OP_CODES, TENSOR_TYPES, TENSOR_TYPE_BYTES, builtinOperatorName, type TensorType } from './enums.ts';
export { OPTIONS_TABLES, type OptionField, type OptionValues, type OptionsTableName } from './options.ts';
export { OPERATORS, isOperatorName, operatorForCode, optionsTableOf, type OperatorName, type OptionsForOperator } from './operators.ts';
export * as slots from './tables.ts';
