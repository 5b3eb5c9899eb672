// nn.LSTMCell and nn.GRUCell (one step) -> Dense projections and pointwise Keras layers. Keras's
// cells only run inside an RNN layer over a sequence, while a PyTorch cell is called on one step,
// often several times in a Python loop (the capture records one node per call of the module) with
// a state computed by the previous call. The decomposition needs no new layer (Keras 3 loads it as
// is), and the TFLite lowerings and every quantization of Dense / Slice / Activation / Add /
// Multiply apply unchanged. Every call of the module shares the same two Dense layers:
//   `m`      x W_ih^T + b_ih      (LSTMCell: + b_hh, the two biases are always added)
//   `m__hh`  h W_hh^T (+ b_hh for GRUCell, whose reset gate multiplies the recurrent bias)
// Gate blocks (rows of weight_ih / weight_hh) are PyTorch's: LSTMCell i, f, g, o; GRUCell r, z, n.
// An absent (or all-zero constant) state is zero: then the recurrent projection is skipped (LSTMCell)
// or is just b_hh (GRUCell, a ConstantTensor).
import { tf } from '../../../runtimes/tfjs/index.ts';
import { ConstantArithmetic, ConstantTensor, Slice, Subtract } from '../../layers/index.ts';
import { permute } from '../../transfer/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { identityPerm } from '../layout.ts';
import type { GraphArg, GraphNode } from '../../../torch/index.ts';
import { Unsupported, isTensorConstant, isValueArg, type OpNode } from '../op_node.ts';
import { input, nameFor } from './common.ts';
import { op, type OpFamily } from '../family.ts';

const PLAIN = { perm: identityPerm(2) };

function checkCell(node: OpNode): string | undefined {
  if (node.attrs['bias'] !== true) return 'bias=False is not supported (the converted projections are built with biases)';
  return undefined;
}

/** The `hx` argument of a call: h, or (h, c); none when absent or None. */
function stateArgs(node: GraphNode): GraphArg[] {
  const arg = node.args[1] ?? node.kwargs['hx'];
  if (arg === undefined || ('literal' in arg && arg.literal === null)) return [];
  return 'list' in arg ? [...arg.list] : [arg];
}

/** The cell's state tensors as values (h, or h and c), or undefined where PyTorch starts from zeros. */
function stateValues(node: OpNode, ctx: BuildContext, count: number): (KValue | undefined)[] {
  const args = stateArgs(node.node);
  if (args.length === 0) return new Array<undefined>(count).fill(undefined);
  if (args.length !== count) throw new Unsupported(`hx with ${args.length} tensors where ${node.op} takes ${count}`);
  return args.map((a, k) => {
    if (isValueArg(a)) return ctx.relayout(ctx.plain(input(node, ctx, a, `state ${k}`), node), identityPerm(2), node, 'a cell reads its state as (batch, hidden)');
    const tensor = isTensorConstant(a) ? ctx.tensorOf(a) : undefined;
    if (tensor?.toArray().every((v) => v === 0) !== true) throw new Unsupported(`a constant non-zero initial state ${JSON.stringify(a)} (pass it as a model input or compute it)`);
    return undefined;
  });
}

/** PyTorch's state-dict name of a parameter of `module` ('' is the root). */
const parameter = (module: string, name: string) => (module === '' ? name : `${module}.${name}`);

function projections(node: OpNode, ctx: BuildContext, gates: number, hidden: number, x: KValue, h: KValue | undefined): { fromInput: KValue; fromState: KValue | undefined } {
  const module = node.node.module!;
  const gru = node.op === 'GRUCell';
  const batch = x.torchShape[0]!;
  const shape = [batch, gates * hidden];
  const inputLayer = ctx.sharedLayer(module, (name) => tf.layers.dense({ units: gates * hidden, kernelInitializer: 'zeros', name }));
  ctx.fillFrom(inputLayer.name, 'kernel', parameter(module, 'weight_ih'), permute(1, 0));
  ctx.fillFrom(inputLayer.name, 'bias', parameter(module, 'bias_ih'), undefined, gru ? undefined : parameter(module, 'bias_hh'));
  const fromInput = ctx.apply(inputLayer, x, shape, PLAIN);
  if (h === undefined) {
    // A zero h multiplies weight_hh by zero: when no call of the module has a computed h, no layer reads it.
    if (!ctx.graph.nodes.some((n) => n.module === module && isValueArg(stateArgs(n)[0]))) ctx.consumed.add(parameter(module, 'weight_hh'));
    if (!gru) return { fromInput, fromState: undefined };
    const bias = new ConstantTensor({ shape: [gates * hidden], name: nameFor(node, ctx, '__recurrent_bias') });
    ctx.fillFrom(bias.name, 'value', parameter(module, 'bias_hh'), { kind: 'aligned', rank: 2, axes: [0, 1] });
    return { fromInput, fromState: ctx.apply(bias, x, shape, PLAIN) };
  }
  const stateLayer = ctx.sharedLayer(`${module}__hh`, (name) => tf.layers.dense({ units: gates * hidden, useBias: gru, kernelInitializer: 'zeros', name }));
  ctx.moduleNames[stateLayer.name] = module;
  ctx.fillFrom(stateLayer.name, 'kernel', parameter(module, 'weight_hh'), permute(1, 0));
  if (gru) ctx.fillFrom(stateLayer.name, 'bias', parameter(module, 'bias_hh'));
  return { fromInput, fromState: ctx.apply(stateLayer, h, shape, PLAIN) };
}

/** Small builders of the pointwise layers of one call, named after its node. */
function pointwise(node: OpNode, ctx: BuildContext, hidden: number) {
  const apply = (layer: tf.layers.Layer, inputs: KValue | KValue[]) => {
    const first = Array.isArray(inputs) ? inputs[0]! : inputs;
    return ctx.apply(layer, inputs, Array.isArray(inputs) ? first.torchShape : [first.torchShape[0]!, hidden], PLAIN);
  };
  return {
    gate: (x: KValue, k: number, suffix: string) => apply(new Slice({ begin: [k * hidden], size: [hidden], name: nameFor(node, ctx, `__${suffix}`) }), x),
    act: (x: KValue, activation: 'sigmoid' | 'tanh', suffix: string) => apply(tf.layers.activation({ activation, name: nameFor(node, ctx, `__${suffix}`) }), x),
    add: (a: KValue, b: KValue, suffix: string) => apply(tf.layers.add({ name: nameFor(node, ctx, `__${suffix}`) }), [a, b]),
    mul: (a: KValue, b: KValue, suffix: string) => apply(tf.layers.multiply({ name: nameFor(node, ctx, `__${suffix}`) }), [a, b]),
    sub: (a: KValue, b: KValue, suffix: string) => apply(new Subtract({ name: nameFor(node, ctx, `__${suffix}`) }), [a, b]),
    oneMinus: (x: KValue, suffix: string) => apply(new ConstantArithmetic({ op: 'sub', scalar: 1, reversed: true, name: nameFor(node, ctx, `__${suffix}`) }), x),
  };
}

function cellInput(node: OpNode, ctx: BuildContext, features: number): KValue {
  const x = ctx.plain(input(node, ctx, node.node.args[0]), node);
  if (x.torchShape.length !== 2 || x.torchShape[1] !== features)
    throw new Unsupported(`an input of shape [${x.torchShape.join(', ')}]; the converted cell reads a batch (batch, ${features}) (give an unbatched input a batch axis)`);
  return ctx.relayout(x, identityPerm(2), node, 'a cell reads (batch, features)');
}

/** i, f, g, o = split(x W_ih^T + h W_hh^T + b); c' = sigmoid(f) c + sigmoid(i) tanh(g); h' = sigmoid(o) tanh(c'). */
function lstmCell(node: OpNode, ctx: BuildContext): KValue[] {
  const hidden = node.attrNumber('hidden_size');
  const x = cellInput(node, ctx, node.attrNumber('input_size'));
  const [h, c] = stateValues(node, ctx, 2);
  const { fromInput, fromState } = projections(node, ctx, 4, hidden, x, h);
  const p = pointwise(node, ctx, hidden);
  const gates = fromState === undefined ? fromInput : p.add(fromInput, fromState, 'gates');
  const [i, f, g, o] = ['i', 'f', 'g', 'o'].map((name, k) => p.gate(gates, k, `${name}_in`)) as [KValue, KValue, KValue, KValue];
  const inputGate = p.mul(p.act(i, 'sigmoid', 'i'), p.act(g, 'tanh', 'g'), 'i_g');
  const nextC = c === undefined ? inputGate : p.add(p.mul(p.act(f, 'sigmoid', 'f'), c, 'f_c'), inputGate, 'c');
  const nextH = p.mul(p.act(o, 'sigmoid', 'o'), p.act(nextC, 'tanh', 'tanh_c'), 'h');
  return [nextH, nextC];
}

/** r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z); n = tanh(x_n + r h_n); h' = (1 - z) n + z h = n + z (h - n). */
function gruCell(node: OpNode, ctx: BuildContext): KValue[] {
  const hidden = node.attrNumber('hidden_size');
  const x = cellInput(node, ctx, node.attrNumber('input_size'));
  const [h] = stateValues(node, ctx, 1);
  const { fromInput, fromState } = projections(node, ctx, 3, hidden, x, h);
  const p = pointwise(node, ctx, hidden);
  const [xr, xz, xn] = ['x_r', 'x_z', 'x_n'].map((name, k) => p.gate(fromInput, k, name)) as [KValue, KValue, KValue];
  const [hr, hz, hn] = ['h_r', 'h_z', 'h_n'].map((name, k) => p.gate(fromState!, k, name)) as [KValue, KValue, KValue];
  const r = p.act(p.add(xr, hr, 'r_in'), 'sigmoid', 'r');
  const z = p.act(p.add(xz, hz, 'z_in'), 'sigmoid', 'z');
  const n = p.act(p.add(xn, p.mul(r, hn, 'r_hn'), 'n_in'), 'tanh', 'n');
  return [h === undefined ? p.mul(p.oneMinus(z, 'one_minus_z'), n, 'h') : p.add(n, p.mul(z, p.sub(h, n, 'h_minus_n'), 'z_h_minus_n'), 'h')];
}

export const FAMILY: OpFamily = {
  name: 'Recurrent cells',
  layers: [ConstantArithmetic, ConstantTensor, Slice, Subtract],
  ops: {
    LSTMCell: op(lstmCell, checkCell),
    GRUCell: op(gruCell, checkCell),
  },
};
