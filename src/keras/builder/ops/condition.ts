// Comparisons, torch.where / masked_fill, *_like fills and gathers at constant indices. A
// comparison is a Compare layer whose bool result only Select (where, masked_fill) or a cast to
// float reads; a constant condition (a mask buffer, a folded constant) is stored in Select's weight
// aligned to the output's Keras layout, like ConstantArithmetic's tensor operand.
import { COMPARISONS, Compare, ConstantTensor, Gather, Select, StaticReshape, type Comparison } from '../../layers/index.ts';
import { Tensor } from '../../../tensor/index.ts';
import type { GraphArg } from '../../../torch/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { identityPerm, kerasAxis, kerasShapeOf } from '../layout.ts';
import { Unsupported, isTensorConstant, isValueArg, literal, num, type OpNode } from '../op_node.ts';
import { castValue } from './casts.ts';
import { constantSource, constantValue } from './constants.ts';
import { firstInput, input, nameFor, outputShape, type Converter } from './common.ts';
import { op, spellings, type OpSpec, type OpFamily } from '../family.ts';

export { COMPARISONS, type Comparison };

/** Whether recorded value `id` is a bool tensor (a comparison's result, a mask). */
const isBoolValue = (ctx: BuildContext, arg: GraphArg | undefined): boolean => isValueArg(arg) && ctx.graph.values[arg.value]?.dtype === 'bool';

/** x (op) other, other a number, a computed tensor or a tensor constant. */
export function compare(op: Comparison): Converter {
  return (node, ctx) => {
    const args = node.bind(['input', 'other']);
    if (!isValueArg(args['input'])) throw new Unsupported('compares a constant with a computed tensor in that order (write the computed tensor first)');
    const x = ctx.plain(input(node, ctx, args['input']), node);
    const out = outputShape(node, ctx);
    if (out.length !== x.torchShape.length || out.some((d, i) => d !== x.torchShape[i])) throw new Unsupported(`a comparison that broadcasts [${x.torchShape.join(', ')}] to [${out.join(', ')}]`);
    const other = args['other'];
    if (isValueArg(other) || isTensorConstant(other)) {
      const y = isValueArg(other) ? input(node, ctx, other) : constantValue(node, ctx, other, x.torchShape.length, x.layout.perm, x);
      if (y.torchShape.length !== x.torchShape.length) throw new Unsupported(`compares tensors of rank ${x.torchShape.length} and ${y.torchShape.length}`);
      const aligned = ctx.relayout(y, x.layout.perm, node, 'both sides of a comparison need one layout');
      return [ctx.apply(new Compare({ op, name: nameFor(node, ctx) }), [x, aligned], out, x.layout)];
    }
    return [ctx.apply(new Compare({ op, scalar: num(other, 'other'), name: nameFor(node, ctx) }), x, out, x.layout)];
  };
}

interface SelectOperand {
  readonly arg: GraphArg | undefined;
  readonly role: 'condition' | 'whenTrue' | 'whenFalse';
}

/** where(condition, whenTrue, whenFalse) with each operand computed, a number or a tensor constant. */
function select(node: OpNode, ctx: BuildContext, operands: readonly SelectOperand[]): KValue {
  const out = outputShape(node, ctx);
  const rank = out.length;
  const computed = operands.filter((o) => isValueArg(o.arg)).map((o) => ({ ...o, value: ctx.plain(input(node, ctx, o.arg, o.role), node) }));
  if (computed.length === 0) throw new Unsupported('selects between constants only');
  const wrongRank = computed.find((o) => o.value.torchShape.length !== rank || o.value.torchShape[0] !== out[0]);
  if (wrongRank) {
    if (operands.some((o) => isTensorConstant(o.arg)))
      throw new Unsupported(
        `its ${wrongRank.role} has shape [${wrongRank.value.torchShape.join(', ')}], the result [${out.join(', ')}], beside a constant tensor operand (only computed tensors and numbers broadcast across ranks or the batch axis)`,
      );
    return liftedSelect(node, ctx, operands, out);
  }
  // The layout of an operand that has the result's shape, so nothing is transposed to broadcast.
  const full = computed.find((o) => o.value.torchShape.every((d, i) => d === out[i])) ?? computed[0]!;
  const perm = full.value.layout.perm;
  const layer: { condition?: number[]; whenTrue?: number; whenFalse?: number; tensor?: string } = {};
  const inputs: KValue[] = [];
  for (const { arg, role } of operands) {
    if (isValueArg(arg)) {
      if ((role === 'condition') !== isBoolValue(ctx, arg)) throw new Unsupported(role === 'condition' ? 'its condition is not a bool tensor' : `its ${role} is a bool tensor`);
      inputs.push(ctx.relayout(computed.find((o) => o.role === role)!.value, perm, node, 'the operands of where need one layout'));
    } else if (isTensorConstant(arg) && role === 'condition') {
      const { tensor, shape } = constantSource(node, ctx, arg);
      const aligned = [...new Array<number>(rank - shape.length).fill(1), ...shape];
      if (shape.length > rank || aligned[0] !== 1) node.fail(`a condition of shape [${shape.join(', ')}] varies along the batch axis or has a larger rank than the result`);
      layer.condition = perm.map((axis) => aligned[axis]!);
      layer.tensor = tensor;
    } else if (isTensorConstant(arg)) {
      inputs.push(constantValue(node, ctx, arg, rank, perm, full.value));
    } else {
      if (role === 'condition') throw new Unsupported('a Python bool as the condition (use the branch directly)');
      const value = literal(arg, role);
      layer[role] = typeof value === 'boolean' ? Number(value) : num(arg, role);
    }
  }
  const select = new Select({ name: nameFor(node, ctx), condition: layer.condition ?? null, whenTrue: layer.whenTrue ?? null, whenFalse: layer.whenFalse ?? null });
  if (layer.tensor !== undefined) ctx.fillFrom(select.name, 'condition', layer.tensor, { kind: 'aligned', rank, axes: perm });
  return ctx.apply(select, inputs.length === 1 ? inputs[0]! : inputs, out, { perm });
}

/**
 * where() whose computed operands differ in rank or batch size (a [3, 1] mask selecting in [2, 3, 4]): every
 * computed operand reshaped whole into one sample [1, ...1s, ...shape] (PyTorch's broadcasting adds leading
 * 1-axes), one Select broadcasting them, reshaped back to the result's shape.
 */
function liftedSelect(node: OpNode, ctx: BuildContext, operands: readonly SelectOperand[], out: readonly number[]): KValue {
  const rank = out.length;
  const numbers: { whenTrue?: number; whenFalse?: number } = {};
  const inputs: KValue[] = [];
  for (const { arg, role } of operands) {
    if (isValueArg(arg)) {
      if ((role === 'condition') !== isBoolValue(ctx, arg)) throw new Unsupported(role === 'condition' ? 'its condition is not a bool tensor' : `its ${role} is a bool tensor`);
      // A bool mask is reshaped as 1 / 0 numbers (the reshape computes float32) and compared with 0 again.
      const value = role === 'condition' ? castValue(node, ctx, input(node, ctx, arg, role), 'bool', 'float') : input(node, ctx, arg, role);
      const plain = ctx.relayout(value, identityPerm(value.torchShape.length), node, 'operands broadcast across ranks or the batch axis are read in PyTorch order');
      const shape = [1, ...new Array<number>(rank - plain.torchShape.length).fill(1), ...plain.torchShape];
      const lifted = ctx.apply(new StaticReshape({ shape, name: nameFor(node, ctx, `__${role}`) }), plain, shape, { perm: identityPerm(rank + 1) });
      inputs.push(role === 'condition' ? castValue(node, ctx, lifted, 'float', 'bool') : lifted);
    } else if (role === 'condition') {
      throw new Unsupported('a Python bool as the condition (use the branch directly)');
    } else {
      const value = literal(arg, role);
      numbers[role] = typeof value === 'boolean' ? Number(value) : num(arg, role);
    }
  }
  const select = new Select({ name: nameFor(node, ctx, '__select'), condition: null, whenTrue: numbers.whenTrue ?? null, whenFalse: numbers.whenFalse ?? null });
  const selected = ctx.apply(select, inputs.length === 1 ? inputs[0]! : inputs, [1, ...out], { perm: identityPerm(rank + 1) });
  return ctx.apply(new StaticReshape({ shape: rank === 0 ? [1] : [...out], name: nameFor(node, ctx) }), selected, out, { perm: identityPerm(rank) });
}

/** torch.where(condition, input, other). */
export const where: Converter = (node, ctx) => {
  const args = node.bind(['condition', 'input', 'other']);
  return [
    select(node, ctx, [
      { arg: args['condition'], role: 'condition' },
      { arg: args['input'], role: 'whenTrue' },
      { arg: args['other'], role: 'whenFalse' },
    ]),
  ];
};

/** x.masked_fill(mask, value) = where(mask, value, x). */
export const maskedFill: Converter = (node, ctx) => {
  const args = node.bind(['input', 'mask', 'value']);
  return [
    select(node, ctx, [
      { arg: args['mask'], role: 'condition' },
      { arg: args['value'], role: 'whenTrue' },
      { arg: args['input'], role: 'whenFalse' },
    ]),
  ];
};

export function checkWhere(node: OpNode): string | undefined {
  const [condition] = node.node.args;
  if (condition !== undefined && node.node.args.length === 1) return 'torch.where(condition) with one argument (the indices of true elements) has a data-dependent shape';
  return undefined;
}

/** index_select and x[...] index tensors: constant, and at most one of them. */
export function checkIndexing(node: OpNode): string | undefined {
  const [, second, third] = node.node.args;
  const index = node.op.endsWith('index_select') ? (third ?? node.node.kwargs['index']) : second;
  const items = index && 'list' in index ? index.list : index ? [index] : [];
  if (items.some(isValueArg)) return 'gathers at computed indices (only constant index tensors are supported)';
  if (items.filter(isTensorConstant).length > 1) return 'indexes with more than one tensor (advanced indices broadcast together)';
  return undefined;
}

/** zeros_like / ones_like / full_like of a computed tensor: a constant of its shape (its values are never read). */
export function fillLike(kind: 'zeros' | 'ones' | 'full'): Converter {
  return (node, ctx) => {
    const args = node.bind(
      kind === 'full' ? ['input', 'fill_value', 'dtype=', 'layout=', 'device=', 'requires_grad=', 'memory_format='] : ['input', 'dtype=', 'layout=', 'device=', 'requires_grad=', 'memory_format='],
    );
    const x = ctx.plain(firstInput(node, ctx), node);
    const dtype = args['dtype'] && 'dtype' in args['dtype'] ? args['dtype'].dtype : undefined;
    if (dtype !== undefined && dtype !== 'float32') throw new Unsupported(`${kind}_like with dtype ${dtype} (float32 only)`);
    const fill = kind === 'zeros' ? 0 : kind === 'ones' ? 1 : num(args['fill_value'], 'fill_value');
    const shape = kerasShapeOf(x.torchShape, x.layout.perm).slice(1);
    const layer = new ConstantTensor({ shape, name: nameFor(node, ctx) });
    ctx.addTensor(layer.name, 'value', `${layer.name}:fill`, new Tensor('float32', [1, ...shape], new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill)));
    return [ctx.apply(layer, x, x.torchShape, x.layout)];
  };
}

/** The indices of a constant 1-D integer tensor, checked against the axis size. */
function constantIndices(node: OpNode, ctx: BuildContext, arg: GraphArg | undefined, size: number): number[] {
  if (!isTensorConstant(arg)) throw new Unsupported('gathers at computed indices (only constant index tensors are supported)');
  const tensor = ctx.tensorOf(arg);
  if (!tensor) node.fail(`its index tensor ${JSON.stringify(arg)} is not among the model's tensors`);
  if (tensor.shape.length !== 1) throw new Unsupported(`an index tensor of shape [${tensor.shape.join(', ')}] (1-D only)`);
  if (!['int64', 'int32', 'int16', 'int8', 'uint8'].includes(tensor.dtype))
    throw new Unsupported(`an index tensor of dtype ${tensor.dtype} (integer indices only; a bool mask selects a data-dependent count)`);
  return tensor.toArray().map((i) => {
    if (i < -size || i >= size) node.fail(`index ${i} is out of range for an axis of size ${size}`);
    return i < 0 ? i + size : i;
  });
}

/** x gathered at constant indices along PyTorch axis `dim` (one Gather layer). */
export function gatherAxis(node: OpNode, ctx: BuildContext, x: KValue, dim: number, index: GraphArg | undefined, suffix = ''): KValue {
  if (dim === 0) node.fail('gathers along the batch axis');
  const indices = constantIndices(node, ctx, index, x.torchShape[dim]!);
  const shape = x.torchShape.map((d, i) => (i === dim ? indices.length : d));
  return ctx.apply(new Gather({ axis: kerasAxis(x.layout, dim), indices, name: nameFor(node, ctx, suffix) }), x, shape, x.layout);
}

/** torch.index_select(input, dim, index) with a constant index. */
export const indexSelect: Converter = (node, ctx) => {
  const args = node.bind(['input', 'dim', 'index']);
  const x = ctx.plain(input(node, ctx, args['input']), node);
  const raw = num(args['dim'], 'dim');
  return [gatherAxis(node, ctx, x, raw < 0 ? raw + x.torchShape.length : raw, args['index'])];
};

/** x > y and friends under every spelling PyTorch records: Tensor.gt, torch.gt, torch.greater, ... */
const COMPARISON_SPELLINGS: Record<Comparison, readonly string[]> = {
  greater: ['gt', 'greater', '__gt__'],
  greaterEqual: ['ge', 'greater_equal', '__ge__'],
  less: ['lt', 'less', '__lt__'],
  lessEqual: ['le', 'less_equal', '__le__'],
  equal: ['eq', '__eq__'],
  notEqual: ['ne', 'not_equal', '__ne__'],
};
const comparisonOps = (): Record<string, OpSpec> =>
  Object.fromEntries(
    COMPARISONS.flatMap((comparison) =>
      COMPARISON_SPELLINGS[comparison].flatMap((name) => (name.startsWith('__') ? [`Tensor.${name}`] : [`Tensor.${name}`, `torch.${name}`]).map((call) => [call, op(compare(comparison))])),
    ),
  );

export const FAMILY: OpFamily = {
  name: 'Comparisons, conditions and gathers',
  layers: [Compare, ConstantTensor, Gather, Select],
  ops: {
    ...comparisonOps(),
    ...spellings(['torch.where', 'Tensor.where'], op(where, checkWhere)),
    ...spellings(['Tensor.masked_fill', 'Tensor.masked_fill_', 'torch.masked_fill'], op(maskedFill)),
    'torch.zeros_like': op(fillLike('zeros')),
    'torch.ones_like': op(fillLike('ones')),
    'torch.full_like': op(fillLike('full')),
    ...spellings(['torch.index_select', 'Tensor.index_select'], op(indexSelect, checkIndexing)),
  },
};
