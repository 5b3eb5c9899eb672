// Names and codes of the builtin operators torchport reads and writes; each is one record in
// ./builtins.ts (code, options table, version, first runtime, int8 rule).
import { BUILTINS, type BuiltinRecord } from './builtins.ts';
import type { OptionsOf, OptionsTableName } from './options.ts';

/** Code and options table of every builtin, as recorded in ./builtins.ts. */
export const OPERATORS = BUILTINS;

export type OperatorName = keyof typeof OPERATORS;

/** The options an operator takes in memory (`undefined` for operators without options). */
export type OptionsForOperator<Op extends OperatorName> = (typeof OPERATORS)[Op] extends { options: infer T extends OptionsTableName } ? OptionsOf<T> : undefined;

const OPERATOR_BY_CODE = new Map<number, OperatorName>(Object.entries(OPERATORS).map(([name, entry]) => [entry.code, name as OperatorName]));

export function operatorForCode(code: number): OperatorName | undefined {
  return OPERATOR_BY_CODE.get(code);
}

export function isOperatorName(name: string): name is OperatorName {
  return Object.hasOwn(OPERATORS, name);
}

export function optionsTableOf(op: OperatorName): OptionsTableName | undefined {
  const entry: BuiltinRecord = OPERATORS[op];
  return entry.options;
}
