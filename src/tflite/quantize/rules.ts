// Per-operator rules of full-integer quantization, read from each operator's record
// (../schema/builtins.ts, where they are written down with the operator's code and versions).
import { BUILTINS, type BuiltinRecord, type Int8Rule } from '../schema/builtins.ts';
import type { OperatorName } from '../schema/index.ts';

export type { Int8Rule } from '../schema/builtins.ts';

/** Operators full int8 writes quantized; the others stay float32 between DEQUANTIZE and QUANTIZE. */
export const INT8_RULES: Partial<Record<OperatorName, Int8Rule>> = Object.fromEntries(
  Object.entries(BUILTINS as Readonly<Record<OperatorName, BuiltinRecord>>).flatMap(([name, record]) => (record.int8 === 'float' ? [] : [[name, record.int8]])),
);
