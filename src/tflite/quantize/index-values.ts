// Operators that compute indices, found backwards from the graph's integer values. Full int8
// must not quantize them: an id computed in float (Keras represents PyTorch's long tensors as
// float32 between CASTs) is truncated to int32 by a CAST, so a quantized 4.98 for an exact 5
// becomes 4 and GATHER reads another row; int8 rounding of the id arithmetic (RoBERTa's
// `cumsum(mask) * mask + padding_idx`, a gather offset, a token id input) changes whole
// embeddings instead of adding the small error int8 is judged on. These operators run in float32
// (int32 / bool where the graph already is), with DEQUANTIZE / QUANTIZE only where they meet
// int8 operators (./int8.ts).
//
// The rule: every operator writing an int32 value (a CAST to int, GATHER of an int table, a
// SELECT_V2 of ids...) carries integer semantics, and so does, transitively, every operator
// whose output any of them reads: the float arithmetic before a CAST, the comparison choosing
// between ids in a SELECT_V2, a GATHER whose gathered values are ids. The walk stops at graph
// inputs, constants and at operators whose integer output does not carry their input's values:
import type { IrGraph, IrOp } from '../ir/index.ts';
import type { OperatorName } from '../schema/index.ts';

/**
 * - TOPK_V2: its indices depend only on the order of its input, which int8 keeps (up to ties);
 *   following it would keep a whole network float because its top-k ids are used.
 * - WHILE: a recurrence's int32 outputs are loop counters; the loop already runs in float32.
 */
const STOPS: ReadonlySet<OperatorName> = new Set<OperatorName>(['TOPK_V2', 'WHILE']);

/** The operators of `graph` that compute (or feed, transitively) an int32 value: they must run unquantized. */
export function indexOperators(graph: IrGraph): Set<IrOp> {
  const producer = new Map<number, IrOp>();
  for (const op of graph.ops) for (const id of op.outputs) producer.set(id, op);
  const found = new Set<IrOp>();
  const pending: IrOp[] = graph.ops.filter((op) => !STOPS.has(op.op) && op.outputs.some((id) => graph.value(id).dtype === 'int32'));
  for (let op = pending.pop(); op; op = pending.pop()) {
    if (found.has(op)) continue;
    found.add(op);
    for (const id of op.inputs) {
      if (id < 0 || graph.isConstant(id)) continue;
      const source = producer.get(id);
      if (source && !STOPS.has(source.op) && !found.has(source)) pending.push(source);
    }
  }
  return found;
}
