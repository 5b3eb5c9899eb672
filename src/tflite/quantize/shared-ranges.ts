// Operators whose int8 kernels move values without rescaling them (CONCATENATION, MAXIMUM,
// MINIMUM: the 'shared' rule) need every input on the output's scale. TFLite's own converter gets
// there by giving the inputs' producers the shared range from the start, so no QUANTIZE has to
// rescale an int8 input; this does the same: the values a shared operator joins (walking back
// through operators that pass their input's parameters on: reshapes, pooling, padding...) are
// grouped, and each group's calibrated values get the union of the group's ranges.
// A value whose parameters do not come from its calibrated range (a LOGISTIC output, an int32
// value) is left out of its group: it is still re-quantized where it meets the others. Operators
// that run in float32 because they compute indices (`floatOps`, ./index-values.ts) join no group:
// their values keep their own ranges.
import type { IrGraph, IrOp } from '../ir/index.ts';
import { rangeOf, unionRange, type Range } from './params.ts';
import { INT8_RULES } from './rules.ts';

export function shareRanges(graph: IrGraph, ranges: ReadonlyMap<number, Range>, floatOps: ReadonlySet<IrOp> = new Set()): Map<number, Range> {
  const parent = new Map<number, number>();
  const find = (id: number): number => {
    let root = id;
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root)!;
    parent.set(id, root);
    return root;
  };
  const join = (a: number, b: number) => parent.set(find(a), find(b));
  const producerOf = new Map<number, (typeof graph.ops)[number]>();
  for (const op of graph.ops) for (const id of op.outputs) producerOf.set(id, op);

  /** The value whose calibrated range decides `id`'s parameters, or undefined when none does. */
  const calibratedSource = (id: number): number | undefined => {
    for (;;) {
      if (graph.isConstant(id) || graph.value(id).dtype !== 'float32' || !ranges.has(id)) return undefined;
      const op = producerOf.get(id);
      const rule = op ? INT8_RULES[op.op] : undefined;
      if (!op || !rule || floatOps.has(op) || rule.output.kind === 'calibrated' || rule.output.kind === 'shared') return id; // graph input, float operator, own range
      if (rule.output.kind !== 'same-as-input') return undefined;
      id = op.inputs[rule.output.input]!;
    }
  };

  const constantRanges = new Map<number, Range>(); // group root -> range of its constant operands
  const groups: number[][] = [];
  for (const op of graph.ops) {
    if (INT8_RULES[op.op]?.output.kind !== 'shared' || floatOps.has(op)) continue;
    const members = [...op.inputs, op.outputs[0]!].filter((id) => id >= 0 && !graph.isConstant(id)).map(calibratedSource);
    if (members.some((id) => id === undefined)) continue; // an input with fixed parameters: leave this operator as it was
    for (const id of members) join(id!, members[0]!);
    groups.push(members as number[]);
    for (const id of op.inputs.filter((k) => k >= 0 && graph.isConstant(k) && graph.value(k).dtype === 'float32')) {
      const root = find(members[0]!);
      const range = rangeOf(graph.value(id).data!.toFloat32().data);
      constantRanges.set(root, constantRanges.has(root) ? unionRange([constantRanges.get(root)!, range]) : range);
    }
  }
  const union = new Map<number, Range>();
  for (const id of groups.flat()) {
    const root = find(id);
    union.set(root, unionRange([ranges.get(id)!, ...(union.has(root) ? [union.get(root)!] : [])]));
  }
  const shared = new Map(ranges);
  for (const id of groups.flat()) {
    const root = find(id);
    const constants = [...constantRanges].filter(([k]) => find(k) === root).map(([, range]) => range);
    shared.set(id, unionRange([union.get(root)!, ...constants]));
  }
  return shared;
}
