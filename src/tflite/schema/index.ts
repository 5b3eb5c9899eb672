export {
  ACTIVATIONS,
  BUILTIN_OPERATOR_NAMES,
  PADDINGS,
  PLACEHOLDER_FOR_GREATER_OP_CODES,
  TENSOR_TYPES,
  TENSOR_TYPE_BYTES,
  builtinOperatorName,
  type Activation,
  type Padding,
  type TensorType,
} from './enums.ts';
export { OPTIONS_TABLES, optionsTableForUnionType, type OptionField, type OptionValues, type OptionsOf, type OptionsTableName } from './options.ts';
export { OPERATORS, isOperatorName, operatorForCode, optionsTableOf, type OperatorName, type OptionsForOperator } from './operators.ts';
export * as slots from './tables.ts';
