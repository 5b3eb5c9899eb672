// Operator versions and the model's minimum runtime version, as the official converter
// assigns them (tensorflow/lite/tools/versioning): a kernel registers the versions it can run,
// so an int8 CONV_2D must say version 3, a per-channel hybrid one version 5, and so on. The
// per-operator facts live in the operator's record (./schema/builtins.ts).
import type { KnownOperator, TfliteGraph } from './model.ts';
import { BUILTINS, type BuiltinRecord } from './schema/builtins.ts';
import { isOperatorName, type TensorType } from './schema/index.ts';

function typeOf(model: TfliteGraph, index: number | undefined): TensorType | undefined {
  return index === undefined || index < 0 ? undefined : model.tensors[index]?.type;
}

function isPerChannel(model: TfliteGraph, index: number | undefined): boolean {
  return index !== undefined && index >= 0 && (model.tensors[index]?.quantization?.scale.length ?? 0) > 1;
}

/** The version the official converter would give this operator in this model. */
export function operatorVersion(model: TfliteGraph, operator: KnownOperator): number {
  const record: BuiltinRecord = BUILTINS[operator.op];
  return record.version({
    input: typeOf(model, operator.inputs[0]),
    weights: typeOf(model, operator.inputs[1]),
    output: typeOf(model, operator.outputs[0]),
    perChannelWeights: isPerChannel(model, operator.inputs[1]),
    inputs: operator.inputs,
    inputRank: operator.inputs[0] !== undefined && operator.inputs[0] >= 0 ? model.tensors[operator.inputs[0]]?.shape.length : undefined,
    options: operator.options ?? {},
  });
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The oldest runtime release that has every (operator, version) pair in the list. */
export function minimumRuntimeVersion(operators: Iterable<{ name: string; version: number }>): string {
  let minimum = '1.5.0';
  for (const { name, version } of operators) {
    if (!isOperatorName(name)) continue;
    const firstRuntime: BuiltinRecord['firstRuntime'] = BUILTINS[name].firstRuntime;
    const needed = firstRuntime[version];
    if (needed && compareVersions(needed, minimum) > 0) minimum = needed;
  }
  return minimum;
}
